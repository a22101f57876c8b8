using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace InfraGuard.Core.Audit;

/// <summary>A public key the verifier may trust, with its key id.</summary>
/// <param name="KeyId"><c>ed25519:</c> + 16 hex of SHA-256(raw public key).</param>
/// <param name="PublicKey">The raw 32-byte public key.</param>
public sealed record AuditPublicKey(string KeyId, byte[] PublicKey)
{
    /// <summary>The key for raw public key bytes, computing its id.</summary>
    public static AuditPublicKey FromRaw(ReadOnlySpan<byte> publicKey) => new(AuditKeys.KeyIdOf(publicKey), publicKey.ToArray());
}

/// <summary>
/// Key ids and key encodings. Key file format: a PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>), the form
/// <c>openssl genpkey -algorithm ed25519</c> writes; the file lives outside the database with mode 0600. The
/// <c>INFRAGUARD_AUDIT_KEY</c> environment variable may hold the same PEM or the base64 32-byte seed. Public keys are
/// SPKI PEM (<c>-----BEGIN PUBLIC KEY-----</c>), which <c>openssl pkey -pubin</c> reads.
/// </summary>
public static class AuditKeys
{
    /// <summary>Length of an Ed25519 seed (raw private key).</summary>
    public const int SeedLength = 32;

    /// <summary>Length of a raw Ed25519 public key.</summary>
    public const int PublicKeyLength = 32;

    /// <summary>Prefix of every key id.</summary>
    public const string KeyIdPrefix = "ed25519:";

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    // DER prefixes for Ed25519 (RFC 8410): SPKI public key and PKCS#8 private key, each followed by 32 raw bytes.
    private static readonly byte[] SpkiPrefix = Convert.FromHexString("302a300506032b6570032100");
    private static readonly byte[] Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");

    /// <summary><c>ed25519:</c> + first 16 hex digits of SHA-256 of the raw 32-byte public key.</summary>
    public static string KeyIdOf(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeyLength)
        {
            throw new ArgumentException($"An Ed25519 public key is {PublicKeyLength} bytes, got {publicKey.Length}.", nameof(publicKey));
        }

        return KeyIdPrefix + Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16];
    }

    /// <summary>True when <paramref name="keyId"/> has the shape <see cref="KeyIdOf"/> gives: <c>ed25519:</c> + 16 to 64 lower-case hex digits.</summary>
    public static bool IsKeyId(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var hex = keyId.AsSpan(Math.Min(keyId.Length, KeyIdPrefix.Length));
        return keyId.StartsWith(KeyIdPrefix, StringComparison.Ordinal) && hex.Length is >= 16 and <= 64 && !hex.ContainsAnyExcept(LowerHex);
    }

    /// <summary>A file-name-safe form of a key id: <c>ed25519-0123456789abcdef</c>.</summary>
    /// <exception cref="FormatException">The key id does not have the shape of <see cref="IsKeyId"/>: it never becomes a path.</exception>
    public static string FileStem(string keyId) => IsKeyId(keyId)
        ? keyId.Replace(':', '-')
        : throw new FormatException($"the key id '{keyId}' is not {KeyIdPrefix} followed by 16 to 64 lower-case hex digits, as InfraGuard writes it; the database's audit_key table was edited by hand or tampered with (check it with 'infraguard audit verify --trusted-key PEM')");

    /// <summary>SPKI PEM of a raw public key.</summary>
    public static string PublicKeyPem(ReadOnlySpan<byte> publicKey) =>
        Pem("PUBLIC KEY", [.. SpkiPrefix, .. publicKey]);

    /// <summary>Raw public key from an SPKI PEM.</summary>
    /// <exception cref="FormatException">Not an Ed25519 SPKI PEM.</exception>
    public static byte[] ParsePublicKeyPem(string pem) => Unpem(pem, "PUBLIC KEY", SpkiPrefix);

    /// <summary>The key file contents (PKCS#8 PEM) for a signer's seed.</summary>
    public static string PrivateKeyPem(ReadOnlySpan<byte> seed) => Pem("PRIVATE KEY", [.. Pkcs8Prefix, .. seed]);

    /// <summary>
    /// A signer from key file contents or an environment variable value: a PKCS#8 PEM, or the base64 32-byte seed.
    /// </summary>
    /// <exception cref="FormatException">Neither form; the message says what is expected.</exception>
    public static Ed25519AuditSigner ParsePrivateKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.StartsWith("-----BEGIN", StringComparison.Ordinal))
        {
            return Ed25519AuditSigner.FromSeed(Unpem(trimmed, "PRIVATE KEY", Pkcs8Prefix));
        }

        byte[] seed;
        try
        {
            seed = Convert.FromBase64String(trimmed);
        }
        catch (FormatException)
        {
            throw new FormatException("Audit key: expected a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----) or the base64 32-byte Ed25519 seed.");
        }

        return seed.Length == SeedLength
            ? Ed25519AuditSigner.FromSeed(seed)
            : throw new FormatException($"Audit key: a base64 seed must decode to {SeedLength} bytes, got {seed.Length}.");
    }

    /// <summary>Checks a raw Ed25519 signature.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        NSec.Cryptography.PublicKey.TryImport(SignatureAlgorithm.Ed25519, publicKey, KeyBlobFormat.RawPublicKey, out var key)
        && SignatureAlgorithm.Ed25519.Verify(key!, message, signature);

    private static string Pem(string label, byte[] der) =>
        $"-----BEGIN {label}-----\n{Convert.ToBase64String(der)}\n-----END {label}-----\n";

    private static byte[] Unpem(string pem, string label, byte[] prefix)
    {
        var begin = $"-----BEGIN {label}-----";
        var end = $"-----END {label}-----";
        var start = pem.IndexOf(begin, StringComparison.Ordinal);
        var stop = pem.IndexOf(end, StringComparison.Ordinal);
        if (start < 0 || stop < start)
        {
            throw new FormatException($"Expected a PEM block '{begin}' … '{end}'.");
        }

        var body = new StringBuilder();
        foreach (var c in pem.AsSpan(start + begin.Length, stop - start - begin.Length))
        {
            if (!char.IsWhiteSpace(c))
            {
                body.Append(c);
            }
        }

        var der = Convert.FromBase64String(body.ToString());
        if (der.Length != prefix.Length + 32 || !der.AsSpan(0, prefix.Length).SequenceEqual(prefix))
        {
            throw new FormatException($"The {label} PEM is not an Ed25519 key (expected the RFC 8410 encoding).");
        }

        return der[prefix.Length..];
    }
}
