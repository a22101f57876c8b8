using InfraGuard.Testing;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Cli.Tests;

/// <summary>The outcome of one in-process <c>infraguard</c> run.</summary>
internal sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>Runs the CLI in-process with captured streams, a fixed clock and an explicit environment.</summary>
internal static class Cli
{
    public static readonly DateTimeOffset Now = new(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);

    public static async Task<CliResult> RunAsync(string[] args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var env = environment ?? new Dictionary<string, string>();
        var context = new CliContext(
            stdout,
            stderr,
            OutIsTerminal: false,
            ErrorIsTerminal: false,
            name => env.TryGetValue(name, out var v) ? v : null,
            workingDirectory ?? Repo.Root,
            new FakeTimeProvider(Now));
        var code = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>
/// Golden files in Expectations/: the expected text of a CLI output. Set INFRAGUARD_UPDATE_GOLDEN=1 to rewrite them,
/// then review the diff like any other change.
/// </summary>
internal static class Golden
{
    public static void Match(string name, string actual)
    {
        var path = Repo.File("tests", "InfraGuard.Cli.Tests", "Expectations", name + ".txt");
        if (Environment.GetEnvironmentVariable("INFRAGUARD_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"golden file {path} is missing; run the tests once with INFRAGUARD_UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
