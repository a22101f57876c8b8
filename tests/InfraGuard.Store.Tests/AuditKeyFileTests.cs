using InfraGuard.Core.Audit;

namespace InfraGuard.Store.Tests;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AuditKeyFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ig-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Create_NewFile_IsMode0600AndLoadsTheSameKey()
    {
        var path = Path.Combine(_dir, "audit.key");

        using var created = AuditKeyFile.Create(path);
        using var loaded = AuditKeyFile.Load(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(created.KeyId, loaded.KeyId);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Throws<IOException>(() => AuditKeyFile.Create(path));
    }

    [Fact]
    public void Write_LeftoverWorldReadableTempFile_KeyFileIsStillMode0600()
    {
        var path = Path.Combine(_dir, "audit.key");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path + ".tmp", "left over");
        File.SetUnixFileMode(path + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var signer = Ed25519AuditSigner.Generate();

        AuditKeyFile.Write(path, signer, overwrite: true);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Load_GroupReadableFile_IsRefusedWithChmodHint()
    {
        var path = Path.Combine(_dir, "audit.key");
        using var created = AuditKeyFile.Create(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var ex = Assert.Throws<UnauthorizedAccessException>(() => AuditKeyFile.Load(path));

        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_EnvironmentValueSet_WinsOverTheFile()
    {
        using var env = Ed25519AuditSigner.FromSeed(new byte[32]);

        using var resolved = AuditKeyFile.Resolve(Path.Combine(_dir, "missing.key"), AuditKeys.PrivateKeyPem(env.ExportSeed()));

        Assert.Equal(env.KeyId, resolved.KeyId);
    }
}
