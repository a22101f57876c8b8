using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Oidc;

/// <summary>
/// The OIDC issuer's signing keys (RSA 2048, RS256, which AWS, Google Cloud and Azure all accept): one file, mode 0600,
/// separate from the audit and approval-token keys. The newest key not retired signs; every key in the file is
/// published in the JWKS, so after <see cref="Rotate"/> tokens signed by the old key still validate until
/// <see cref="DropRetired"/> removes it from the file (and so from the JWKS): then they are refused.
/// </summary>
public sealed class OidcKeyRing
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private OidcKeyRing(IReadOnlyList<OidcKey> keys) => Keys = keys;

    /// <summary>Every key in the file, oldest first; all are published.</summary>
    public IReadOnlyList<OidcKey> Keys { get; }

    /// <summary>The key that signs: the newest one not retired.</summary>
    public OidcKey Current => Keys.LastOrDefault(k => k.RetiredAt is null) ?? throw new InvalidOperationException("The OIDC key file holds no active key; run 'infraguard keys rotate --which oidc'.");

    /// <summary>Loads the ring; creates the file with one new key when it does not exist.</summary>
    /// <exception cref="UnauthorizedAccessException">The file's mode is looser than 0600.</exception>
    public static OidcKeyRing LoadOrCreate(string path, DateTimeOffset now)
    {
        if (!File.Exists(path))
        {
            Save(path, [OidcKey.Generate(now)]);
        }

        return Load(path);
    }

    /// <summary>Loads the ring from <paramref name="path"/>.</summary>
    public static OidcKeyRing Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(full) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
        {
            throw new UnauthorizedAccessException($"OIDC key file {full} can be read or written by group or others; run 'chmod 600 {full}'.");
        }

        var file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(full), Json)
            ?? throw new InvalidDataException($"OIDC key file {full} is empty.");
        return new OidcKeyRing([.. file.Keys.Select(k => OidcKey.FromPem(k.PrivateKeyPem, k.CreatedAt, k.RetiredAt))]);
    }

    /// <summary>Adds a new signing key and retires the current one (still published). Returns the new key's id.</summary>
    public static string Rotate(string path, DateTimeOffset now)
    {
        var ring = LoadOrCreate(path, now);
        var added = OidcKey.Generate(now);
        Save(path, [.. ring.Keys.Select(k => k.RetiredAt is null ? k with { RetiredAt = now } : k), added]);
        return added.KeyId;
    }

    /// <summary>Removes retired keys from the file, so they are no longer published and their tokens are refused. Returns their ids.</summary>
    public static IReadOnlyList<string> DropRetired(string path)
    {
        var ring = Load(path);
        var dropped = ring.Keys.Where(k => k.RetiredAt is not null).Select(k => k.KeyId).ToList();
        Save(path, [.. ring.Keys.Where(k => k.RetiredAt is null)]);
        return dropped;
    }

    private static void Save(string path, IReadOnlyList<OidcKey> keys)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.Delete(temp);
        using (var stream = new FileStream(temp, CreateOptions()))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(JsonSerializer.Serialize(new KeyFile([.. keys.Select(k => new KeyEntry(k.KeyId, k.CreatedAt, k.RetiredAt, k.PrivateKeyPem()))]), Json));
        }

        File.Move(temp, full, overwrite: true);
    }

    // Created with mode 0600: never readable by anyone else, not even for a moment.
    private static FileStreamOptions CreateOptions() => OperatingSystem.IsWindows()
        ? new() { Mode = FileMode.CreateNew, Access = FileAccess.Write }
        : new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };

    private sealed record KeyFile(IReadOnlyList<KeyEntry> Keys);

    private sealed record KeyEntry(string Kid, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt, string PrivateKeyPem);
}

/// <summary>One RSA signing key; its id is the RFC 7638 JWK thumbprint of its public key.</summary>
public sealed record OidcKey(RSA Rsa, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt)
{
    /// <summary>A new 2048-bit key.</summary>
    public static OidcKey Generate(DateTimeOffset now) => Of(RSA.Create(2048), now, null);

    /// <summary>A key from its PKCS#8 PEM.</summary>
    public static OidcKey FromPem(string pem, DateTimeOffset createdAt, DateTimeOffset? retiredAt)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return Of(rsa, createdAt, retiredAt);
    }

    /// <summary>The signing credentials (RS256).</summary>
    public SigningCredentials Signing() => new(new RsaSecurityKey(Rsa) { KeyId = KeyId }, SecurityAlgorithms.RsaSha256);

    /// <summary>The public key as a JWK (kty, use, alg, kid, n, e).</summary>
    public JsonWebKey PublicJwk()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(Rsa.ExportParameters(false)) { KeyId = KeyId });
        jwk.Use = "sig";
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        return jwk;
    }

    /// <summary>The private key as PKCS#8 PEM (for the key file only).</summary>
    public string PrivateKeyPem() => Rsa.ExportPkcs8PrivateKeyPem();

    private static OidcKey Of(RSA rsa, DateTimeOffset createdAt, DateTimeOffset? retiredAt)
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)));
        return new OidcKey(rsa, Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()), createdAt, retiredAt);
    }
}
