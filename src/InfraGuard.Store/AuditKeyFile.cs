using InfraGuard.Core.Audit;

namespace InfraGuard.Store;

/// <summary>
/// The audit signing key on disk: a PKCS#8 PEM with mode 0600, kept outside the database (a key next to a SQLite
/// file only protects against application bugs). The environment variable <see cref="EnvironmentVariable"/> may hold
/// the PEM or the base64 seed instead.
/// </summary>
public static class AuditKeyFile
{
    /// <summary>Environment variable that may carry the key.</summary>
    public const string EnvironmentVariable = "INFRAGUARD_AUDIT_KEY";

    /// <summary>Creates a new key file (refuses to overwrite) and returns its signer.</summary>
    /// <exception cref="IOException">The file exists; the message says to use <c>keys rotate</c>.</exception>
    public static Ed25519AuditSigner Create(string path)
    {
        var signer = Ed25519AuditSigner.Generate();
        Write(path, signer, overwrite: false);
        return signer;
    }

    /// <summary>Writes a signer's key file with mode 0600 (atomically via a temp file when overwriting).</summary>
    public static void Write(string path, Ed25519AuditSigner signer, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var full = Path.GetFullPath(path);
        if (!overwrite && File.Exists(full))
        {
            throw new IOException($"Audit key file {full} already exists. Use 'infraguard keys rotate' to replace it.");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        // A leftover temp file keeps whatever mode it had: start from a new one, created 0600.
        File.Delete(temp);
        using (var stream = StoreFiles.CreateNew(temp))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(AuditKeys.PrivateKeyPem(signer.ExportSeed()));
        }

        File.Move(temp, full, overwrite);
    }

    /// <summary>Loads a key file; refuses one that group or others can read.</summary>
    /// <exception cref="UnauthorizedAccessException">The file's mode is looser than 0600.</exception>
    public static Ed25519AuditSigner Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(full);
            var loose = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & loose) != 0)
            {
                throw new UnauthorizedAccessException($"Audit key file {full} is readable by others (mode {Convert.ToString((int)mode, 8)}). Run: chmod 600 {full}");
            }
        }

        try
        {
            return AuditKeys.ParsePrivateKey(File.ReadAllText(full));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{full}: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The signer from <paramref name="environmentValue"/> (the variable's value, read by the caller) when set, else
    /// from the key file at <paramref name="path"/>.
    /// </summary>
    public static Ed25519AuditSigner Resolve(string path, string? environmentValue) =>
        string.IsNullOrWhiteSpace(environmentValue) ? Load(path) : AuditKeys.ParsePrivateKey(environmentValue);
}
