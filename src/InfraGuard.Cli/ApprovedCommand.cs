using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace InfraGuard.Cli;

/// <summary>
/// Runs the approved command once: its own stdin, stdout and stderr are this process's (passed through untouched),
/// its environment is this process's without the runner's credential to the server plus the approved request's
/// cloud credentials, the signals this process receives (SIGINT, SIGTERM, SIGQUIT, SIGHUP) are forwarded to it, and
/// its exit code is returned (128 + the signal when a signal ended it).
/// </summary>
internal static class ApprovedCommand
{
    /// <summary>Exit code when the program cannot be started (as a shell reports "command not found").</summary>
    public const int NotStarted = 127;

    /// <summary>The program's path: as given when it names a folder, else the first match on PATH; null when there is none.</summary>
    public static string? Find(string program, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(environment);
        if (program.Contains('/', StringComparison.Ordinal) || program.Contains('\\', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }

        return (environment("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> argv, string workingDirectory, IReadOnlyDictionary<string, string> extra, IEnumerable<string> withheld, TextWriter error)
    {
        var info = new ProcessStartInfo(argv[0]) { UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        foreach (var name in withheld)
        {
            info.Environment.Remove(name);
        }

        foreach (var (k, v) in extra)
        {
            info.Environment[k] = v;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            await error.WriteLineAsync($"Error: cannot start {argv[0]}: {e.Message}").ConfigureAwait(false);
            return NotStarted;
        }

        using (process)
        {
            var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP }
                .Select(signal => PosixSignalRegistration.Create(signal, context =>
                {
                    // This process stays to record the outcome; the command decides what the signal means.
                    context.Cancel = true;
                    Forward(process, context.Signal);
                }))
                .ToList();
            try
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                return process.ExitCode;
            }
            finally
            {
                registrations.ForEach(r => r.Dispose());
            }
        }
    }

    private static void Forward(Process process, PosixSignal signal)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var number = signal switch
        {
            PosixSignal.SIGHUP => 1,
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            _ => 15,
        };
        try
        {
            _ = Kill(process.Id, number);
        }
        catch (InvalidOperationException)
        {
            // It has exited already.
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
