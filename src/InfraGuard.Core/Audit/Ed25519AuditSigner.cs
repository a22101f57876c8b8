using System.Security.Cryptography;
using NSec.Cryptography;

namespace InfraGuard.Core.Audit;

/// <summary>An Ed25519 <see cref="IAuditSigner"/> over NSec (libsodium). Deterministic: same seed, same signatures.</summary>
public sealed class Ed25519AuditSigner : IAuditSigner, IDisposable
{
    private readonly Key _key;
    private readonly byte[] _seed;
    private readonly byte[] _publicKey;

    private Ed25519AuditSigner(byte[] seed)
    {
        _seed = seed;
        _key = Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        _publicKey = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyId = AuditKeys.KeyIdOf(_publicKey);
    }

    /// <inheritdoc />
    public string KeyId { get; }

    /// <inheritdoc />
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>A new key from the operating system's random generator.</summary>
    public static Ed25519AuditSigner Generate() => new(RandomNumberGenerator.GetBytes(AuditKeys.SeedLength));

    /// <summary>The key for a 32-byte seed (the raw private key).</summary>
    public static Ed25519AuditSigner FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != AuditKeys.SeedLength)
        {
            throw new ArgumentException($"An Ed25519 seed is {AuditKeys.SeedLength} bytes, got {seed.Length}.", nameof(seed));
        }

        return new Ed25519AuditSigner(seed.ToArray());
    }

    /// <summary>A copy of the 32-byte seed, for writing the key file.</summary>
    public byte[] ExportSeed() => (byte[])_seed.Clone();

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> message) => SignatureAlgorithm.Ed25519.Sign(_key, message);

    /// <inheritdoc />
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_seed);
        _key.Dispose();
    }
}
