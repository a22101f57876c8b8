namespace InfraGuard.Core.Audit;

/// <summary>Signs audit entry statements and checkpoint bodies. The private key never enters the database.</summary>
public interface IAuditSigner
{
    /// <summary><c>ed25519:</c> + first 16 hex digits of SHA-256 of the raw public key.</summary>
    string KeyId { get; }

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>A raw 64-byte Ed25519 signature over <paramref name="message"/>.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}
