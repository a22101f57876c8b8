using System.Diagnostics;
using CliWrap;
using InfraGuard.Core.Engine;

namespace InfraGuard.Engines;

/// <summary>How one engine process ended.</summary>
/// <param name="ExitCode">Its exit code, or -1 when it could not be read (killed).</param>
/// <param name="StderrTail">The last lines it wrote to stderr.</param>
/// <param name="Stopped">Whether InfraGuard stopped it.</param>
public sealed record ProcessOutcome(int ExitCode, IReadOnlyList<string> StderrTail, EngineStop Stopped);

/// <summary>
/// Runs one engine command with CliWrap. Cancellation is two-step, like a terminal: the interrupt token (or the
/// timeout) sends SIGINT so the engine cancels and unlocks its state (CliWrap's graceful cancellation); if the process is
/// still running <see cref="ProcessLimits.KillAfter"/> later, or the kill token fires, it is killed.
/// </summary>
public sealed class EngineProcess(string executable, ProcessLimits options, TimeProvider time)
{
    public string Executable => executable;

    public async Task<ProcessOutcome> RunAsync(
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?> environment,
        PipeTarget stdout,
        CancellationToken interrupt,
        CancellationToken kill)
    {
        using var timeout = options.Timeout is { } limit ? new CancellationTokenSource(limit, time) : new CancellationTokenSource();
        using var graceful = CancellationTokenSource.CreateLinkedTokenSource(interrupt, timeout.Token);
        using var forceful = CancellationTokenSource.CreateLinkedTokenSource(kill);
        ITimer? killTimer = null;
        var killTimerLock = new Lock();
        using var escalate = graceful.Token.Register(() =>
        {
            lock (killTimerLock)
            {
                killTimer ??= time.CreateTimer(_ => CancelQuietly(forceful), null, options.KillAfter, Timeout.InfiniteTimeSpan);
            }
        });

        var tail = new StderrTail(options.StderrTailLines);
        int? exitCode = null;
        var command = Cli.Wrap(executable)
            .WithArguments(arguments)
            .WithWorkingDirectory(workingDirectory)
            .WithEnvironmentVariables(environment)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(stdout)
            .WithStandardErrorPipe(PipeTarget.ToDelegate(tail.Add));
        try
        {
            // CliWrap throws once cancelled and disposes the process; keep the exit code of a gracefully stopped run.
            var result = await command.ExecuteAsync(_ => { }, p => p.Exited += (_, _) => exitCode = SafeExitCode(p), forceful.Token, graceful.Token).ConfigureAwait(false);
            return new ProcessOutcome(result.ExitCode, tail.Lines, EngineStop.None);
        }
        catch (OperationCanceledException) when (graceful.IsCancellationRequested || forceful.IsCancellationRequested)
        {
            var stopped = forceful.IsCancellationRequested ? EngineStop.Killed
                : timeout.IsCancellationRequested && !interrupt.IsCancellationRequested ? EngineStop.TimedOut
                : EngineStop.Interrupted;
            return new ProcessOutcome(stopped == EngineStop.Killed ? -1 : exitCode ?? -1, tail.Lines, stopped);
        }
        finally
        {
            lock (killTimerLock)
            {
                killTimer?.Dispose();
                killTimer = NoTimer.Instance;
            }
        }
    }

    private static int? SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run already finished.
        }
    }

    /// <summary>Stands in for the kill timer once the run is over, so a late interrupt starts no timer.</summary>
    private sealed class NoTimer : ITimer
    {
        public static NoTimer Instance { get; } = new();

        public bool Change(TimeSpan dueTime, TimeSpan period) => false;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Keeps the last lines of stderr; the pipe writes from another thread.</summary>
    private sealed class StderrTail(int capacity)
    {
        private readonly Queue<string> _lines = new();
        private readonly Lock _lock = new();

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lock)
                {
                    return [.. _lines];
                }
            }
        }

        public void Add(string line)
        {
            lock (_lock)
            {
                _lines.Enqueue(line);
                while (_lines.Count > capacity)
                {
                    _lines.Dequeue();
                }
            }
        }
    }
}

/// <summary>Limits for one engine command.</summary>
/// <param name="Timeout">Overall time limit, or null for none; when it passes the engine is interrupted and the outcome says <c>TimedOut</c>.</param>
/// <param name="KillAfter">After an interrupt, how long the engine may take to stop and unlock its state before it is killed.</param>
/// <param name="StderrTailLines">How many trailing stderr lines are kept.</param>
public sealed record ProcessLimits(TimeSpan? Timeout, TimeSpan KillAfter, int StderrTailLines);
