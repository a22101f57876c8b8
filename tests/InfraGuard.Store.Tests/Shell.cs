using System.Diagnostics;

namespace InfraGuard.Store.Tests;

internal static class Shell
{
    public static (int Exit, string Output) Run(string file, params string[] args)
    {
        if (!File.Exists(file) || !File.Exists("/usr/bin/openssl"))
        {
            Assert.Skip($"{file} or openssl is not installed.");
        }

        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{file} did not finish within 60 s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
