using System.Diagnostics;
using System.Text;

namespace InfraGuard.Testing;

/// <summary>A started process (usually the real <c>infraguard</c>) with its stdout and stderr collected as they come.</summary>
internal sealed class ProcessRun
{
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Task _pump;

    public ProcessRun(Process process)
    {
        Process = process;
        _pump = Task.WhenAll(
            Pump(process.StandardOutput, _out),
            Pump(process.StandardError, _err));
    }

    public Process Process { get; }

    /// <summary>
    /// Starts the real <c>infraguard</c> (beside the test assembly) in <paramref name="cwd"/> with exactly
    /// <paramref name="environment"/> on top of a copy of this process's environment from which every CI, GitHub
    /// Actions and INFRAGUARD_ variable has been removed, so a test never inherits the machine's CI identity.
    /// </summary>
    public static ProcessRun StartInfraGuard(IEnumerable<string> args, string cwd, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "infraguard.exe" : "infraguard"))
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var k in info.Environment.Keys.Where(k => k.StartsWith("GITHUB_", StringComparison.Ordinal) || k.StartsWith("INFRAGUARD_", StringComparison.Ordinal) || k.StartsWith("ACTIONS_", StringComparison.Ordinal) || k is "CI" or "GITLAB_CI" or "TF_BUILD" or "BUILDKITE" or "CIRCLECI" or "JENKINS_URL").ToList())
        {
            info.Environment.Remove(k);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        return new ProcessRun(Process.Start(info)!);
    }

    public int ExitCode => Process.ExitCode;

    public string Out { get { lock (_out) { return _out.ToString(); } } }

    public string Error { get { lock (_err) { return _err.ToString(); } } }

    public async Task<ProcessRun> WaitAsync(int seconds = 60)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await Process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"infraguard did not finish in {seconds}s. stderr so far:\n{Error}");
        }

        await _pump;
        return this;
    }

    /// <summary>Waits until stderr contains <paramref name="text"/>; returns the line.</summary>
    public async Task<string> WaitForErrorLineAsync(string text, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < deadline)
        {
            var line = Error.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            if (Process.HasExited)
            {
                await _pump;
                break;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"stderr never contained '{text}'. stderr:\n{Error}\nstdout:\n{Out}");
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {Process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into)
            {
                into.Append(buffer, 0, n);
            }
        }
    }
}
