using System.Diagnostics;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Core.Tests.Audit;

public sealed class AuditExportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ig-export-" + Guid.NewGuid().ToString("N"));
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public void Dispose()
    {
        _signer.Dispose();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Build_Log_HasEveryBundleFileAndChecksums()
    {
        var files = Export(TestChain.Build(_signer, 4, 2, 4));
        var paths = files.Select(f => f.Path).ToArray();

        Assert.Equal(
            ["records.jsonl", "entries.txt", "checkpoints/cp-000001.txt", "checkpoints/cp-000001.sig", "checkpoints/cp-000002.txt", "checkpoints/cp-000002.sig",
             $"keys/{AuditKeys.FileStem(_signer.KeyId)}.pem", "verify.sh", "VERIFY.md", "SHA256SUMS"],
            paths);
        Assert.Equal(64, files.Single(f => f.Path == "checkpoints/cp-000001.sig").Content.Length);
        Assert.True(files.Single(f => f.Path == "verify.sh").Executable);
        Assert.Equal(4, System.Text.Encoding.UTF8.GetString(files[1].Content).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("ed25519:../../../elsewhere/PWNED")]
    [InlineData("ed25519:0123456789ABCDEF")]
    [InlineData("ed25519:0123456789abcde")]
    [InlineData("ed25519:0123456789abcdef\n")]
    [InlineData("rsa:0123456789abcdef")]
    public void Build_KeyIdNotOfTheWrittenShape_RefusedNamingIt(string keyId)
    {
        var log = TestChain.Build(_signer, 2, 2);
        var key = new AuditPublicKey(keyId, _signer.PublicKey.ToArray());

        var e = Assert.Throws<FormatException>(() => AuditExport.Build("test/infraguard", log.Entries, log.Checkpoints, [key]));

        Assert.StartsWith($"the key id '{keyId}' is not ed25519: followed by 16 to 64 lower-case hex digits", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifySh_GoodBundle_ExitsZero()
    {
        SkipUnlessTools();
        Write(Export(TestChain.Build(_signer, 5, 3, 5)));

        var (exit, output) = RunVerify();

        Assert.True(exit == 0, output);
        Assert.Contains("recomputed 5 entries", output, StringComparison.Ordinal);
        Assert.Contains($"key {_signer.KeyId}", output, StringComparison.Ordinal);
        Assert.Contains("Result: VALID", output, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifySh_OneByteFlippedInRecord3_ExitsOneNamingSeq3()
    {
        SkipUnlessTools();
        Write(Export(TestChain.Build(_signer, 5, 3, 5)));
        var records = Path.Combine(_dir, "records.jsonl");
        var bytes = File.ReadAllBytes(records);
        var third = IndexOfLine(bytes, 2);
        bytes[third + 7] ^= 0x01;
        File.WriteAllBytes(records, bytes);

        var (exit, output) = RunVerify();

        Assert.Equal(1, exit);
        Assert.Contains("seq 3: FIRST MISMATCH", output, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifySh_CheckpointSizeEdited_ExitsOneOnSignature()
    {
        SkipUnlessTools();
        Write(Export(TestChain.Build(_signer, 5, 3, 5)));
        var cp = Path.Combine(_dir, "checkpoints", "cp-000001.txt");
        File.WriteAllText(cp, File.ReadAllText(cp).Replace("size 3", "size 2", StringComparison.Ordinal));

        var (exit, output) = RunVerify();

        Assert.Equal(1, exit);
        Assert.Contains("cp-000001.txt: CHECKPOINT SIGNATURE INVALID", output, StringComparison.Ordinal);
    }

    private static IReadOnlyList<AuditExportFile> Export(StoredLog log) =>
        AuditExport.Build("test/infraguard", log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(Ed25519AuditSigner.FromSeed(TestChain.Seed).PublicKey.Span)]);

    private static int IndexOfLine(byte[] bytes, int line)
    {
        var index = 0;
        for (var i = 0; i < line; i++)
        {
            index = Array.IndexOf(bytes, (byte)'\n', index) + 1;
        }

        return index;
    }

    private static void SkipUnlessTools()
    {
        foreach (var tool in new[] { "/bin/bash", "/usr/bin/openssl", "/usr/bin/sha256sum" })
        {
            if (!File.Exists(tool))
            {
                Assert.Skip($"{tool} is not installed; the auditor script needs bash, coreutils and openssl.");
            }
        }
    }

    private void Write(IReadOnlyList<AuditExportFile> files)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(_dir, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, file.Content);
        }
    }

    private (int Exit, string Output) RunVerify()
    {
        var start = new ProcessStartInfo("/bin/bash", [Path.Combine(_dir, "verify.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "verify.sh did not finish within 60 s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
