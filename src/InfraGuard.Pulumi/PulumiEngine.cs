using System.Text;
using System.Text.Json;
using CliWrap;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;
using InfraGuard.Engines;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;

namespace InfraGuard.Pulumi;

/// <summary>
/// <see cref="IEngine"/> over the <c>pulumi</c> CLI, driven the way the Automation API's LocalWorkspace drives it
/// (<c>--non-interactive</c>, <c>--stack</c>, <c>PULUMI_DEBUG_COMMANDS=true</c>, an event log file), except that the
/// apply keeps its own preview phase so a plan violation stops before any change.
/// </summary>
public sealed class PulumiEngine : IEngine
{
    /// <summary>Exit code of the CLI when the stack does not exist (v3.226.0+).</summary>
    private const int ExitStackNotFound = 6;

    private readonly PulumiEngineOptions _options;
    private readonly Lock _checkLock = new();
    private Task<EngineInfo>? _check;
    private readonly TimeProvider _time;
    private readonly Func<Stream, string, ChangeSet> _readEventLog;

    /// <summary>Creates the engine. <paramref name="time"/> drives the timeout and the kill delay.</summary>
    public PulumiEngine(PulumiEngineOptions options, TimeProvider time)
        : this(options, time, PulumiEventLogReader.Read)
    {
    }

    internal PulumiEngine(PulumiEngineOptions options, TimeProvider time, Func<Stream, string, ChangeSet> readEventLog)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _options = options;
        _time = time;
        _readEventLog = readEventLog;
    }

    /// <inheritdoc/>
    public EngineKind Kind => EngineKind.Pulumi;

    /// <inheritdoc/>
    public EngineArgumentsCheck CheckArguments(IReadOnlyList<string> arguments) => PulumiArguments.Check(arguments);

    /// <inheritdoc/>
    /// <remarks>The check runs once per engine instance; later calls return the same result (the CLI does not change mid-run).</remarks>
    public Task<EngineInfo> CheckAsync(CancellationToken cancellationToken)
    {
        lock (_checkLock)
        {
            return _check ??= CheckOnceAsync(cancellationToken);
        }
    }

    private async Task<EngineInfo> CheckOnceAsync(CancellationToken cancellationToken)
    {
        // Both at once: `whoami` asks the backend (a network round trip on Pulumi Cloud) while `version` runs. When
        // `version` fails, `whoami` is stopped rather than left running.
        var process = Process();
        using var stopWhoami = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var whoamiTask = RunBufferedAsync(process, ["whoami", "--non-interactive"], Directory.GetCurrentDirectory(), null, stopWhoami.Token);
        try
        {
            return await CheckBothAsync(process, whoamiTask, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopWhoami.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task<EngineInfo> CheckBothAsync(EngineProcess process, Task<(ProcessOutcome Outcome, string Stdout)> whoamiTask, CancellationToken cancellationToken)
    {
        var version = await RunBufferedAsync(process, ["version"], Directory.GetCurrentDirectory(), null, cancellationToken).ConfigureAwait(false);
        if (version.Outcome.ExitCode != 0 || !PulumiVersion.TryParse(version.Stdout, out var parsed))
        {
            throw new EngineException(
                $"`{process.Executable} version` did not print a version (exit code {version.Outcome.ExitCode}, output '{version.Stdout.Trim()}'). " +
                "Check that it is the Pulumi CLI; reinstall it from https://www.pulumi.com/docs/install/.");
        }

        if (parsed!.IsOlderThan(PulumiVersion.Minimum))
        {
            throw new EngineException(
                $"Pulumi CLI v{parsed} at {process.Executable} is too old: InfraGuard needs v{PulumiVersion.Minimum} or newer " +
                "(its summary events report whether a run succeeded). Upgrade it: https://www.pulumi.com/docs/install/.");
        }

        var whoami = await whoamiTask.ConfigureAwait(false);
        if (whoami.Outcome.ExitCode != 0)
        {
            throw new EngineException(
                $"Pulumi is not logged in to a backend: `pulumi whoami` failed (exit code {whoami.Outcome.ExitCode}): {LastLine(whoami.Outcome)}. " +
                "Run `pulumi login` (or set PULUMI_ACCESS_TOKEN / PULUMI_BACKEND_URL) and try again.");
        }

        return new EngineInfo("pulumi", parsed.ToString(), process.Executable);
    }

    /// <inheritdoc/>
    public async Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var process = Process();
        var export = await RunBufferedAsync(process, ["stack", "export", "--non-interactive", "--stack", target.Stack], target.WorkingDirectory, null, cancellationToken).ConfigureAwait(false);
        ThrowIfStackMissing(export.Outcome, target);
        if (export.Outcome.ExitCode != 0)
        {
            throw new EngineException(
                $"`pulumi stack export --stack {target.Stack}` failed in {target.WorkingDirectory} (exit code {export.Outcome.ExitCode}): {LastLine(export.Outcome)}.");
        }

        try
        {
            return StateFingerprint.Compute(Encoding.UTF8.GetBytes(export.Stdout));
        }
        catch (JsonException e)
        {
            throw new EngineException($"`pulumi stack export --stack {target.Stack}` printed something that is not a stack export: {e.Message}", e);
        }
    }

    /// <summary>Why a Pulumi run cannot be refresh-only: Pulumi saves no refresh plan that an apply is constrained to.</summary>
    public const string PulumiRefreshOnly =
        "--refresh-only is for Terraform/OpenTofu: Pulumi saves no refresh plan that InfraGuard could score and then apply exactly (`pulumi refresh` rewrites state at once). Run `pulumi refresh --preview-only` to see the drift; accepting it into state is not a guarded run.";

    /// <inheritdoc/>
    public async Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Run == RunKind.RefreshOnly)
        {
            throw new EngineException(PulumiRefreshOnly);
        }

        var process = Process();
        using var temp = PrivateTempDirectory.Create(_options.TempRoot);
        var eventLog = Path.Combine(temp.Path, "events.jsonl");
        var planFile = Path.Combine(temp.Path, "plan.json");
        var arguments = PulumiCommandLine.Preview(target, _options, eventLog, planFile);

        var outcome = await process.RunAsync(arguments, target.WorkingDirectory, Environment(options), PipeTarget.Null, cancellationToken, options.Kill).ConfigureAwait(false);
        ThrowIfStackMissing(outcome, target);

        var output = File.Exists(eventLog) ? await File.ReadAllBytesAsync(eventLog, CancellationToken.None).ConfigureAwait(false) : [];
        var changes = ReadChanges(output, File.Exists(eventLog), outcome);
        var succeeded = outcome.ExitCode == 0 && outcome.Stopped == EngineStop.None;
        if (succeeded && !File.Exists(planFile))
        {
            throw new EngineException($"`pulumi preview` succeeded but wrote no plan to {planFile}; InfraGuard needs Pulumi v{PulumiVersion.Minimum} or newer.");
        }

        var plan = succeeded ? await File.ReadAllBytesAsync(planFile, CancellationToken.None).ConfigureAwait(false) : [];
        var diagnostics = succeeded
            ? ""
            : DiagnosticText.Build("pulumi preview" + StoppedSuffix(outcome.Stopped), outcome.ExitCode, ErrorsIn(eventLog), [.. outcome.StderrTail], KnownSecrets(options));
        return new PreviewResult(changes, plan, plan.Length == 0 ? "" : PlanFingerprint.Compute(plan), outcome.ExitCode, diagnostics)
        {
            Stopped = outcome.Stopped,
            EngineOutput = output,
        };
    }

    /// <inheritdoc/>
    public async Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Length == 0)
        {
            throw new ArgumentException("The plan is empty: apply needs the plan a successful preview saved.", nameof(plan));
        }

        var process = Process();
        using var temp = PrivateTempDirectory.Create(_options.TempRoot);
        var planFile = Path.Combine(temp.Path, "plan.json");
        await File.WriteAllBytesAsync(planFile, plan, CancellationToken.None).ConfigureAwait(false);
        var arguments = PulumiCommandLine.Up(target, _options, planFile);

        var monitor = new ApplyMonitor(progress);
        var outcome = await process.RunAsync(arguments, target.WorkingDirectory, Environment(options), PipeTarget.ToDelegate(monitor.OnLine), cancellationToken, options.Kill).ConfigureAwait(false);
        ThrowIfStackMissing(outcome, target);

        var succeeded = outcome.ExitCode == 0 && outcome.Stopped == EngineStop.None && monitor.UpdateSummarised && monitor.UpdateResult is null or "succeeded";
        var diagnostics = succeeded
            ? ""
            : DiagnosticText.Build("pulumi up" + StoppedSuffix(outcome.Stopped), outcome.ExitCode, monitor.Errors, [.. outcome.StderrTail], KnownSecrets(options));
        return new ApplyResult(succeeded, outcome.ExitCode, monitor.Counts, diagnostics) { Stopped = outcome.Stopped };
    }

    private EngineProcess Process()
    {
        var path = ExecutableLookup.Find(_options.Executable, _options.Environment.TryGetValue("PATH", out var p) ? p : System.Environment.GetEnvironmentVariable("PATH"));
        return path is null
            ? throw new EngineException(
                $"The Pulumi CLI ('{_options.Executable}') was not found on PATH. Install Pulumi v{PulumiVersion.Minimum} or newer " +
                "(https://www.pulumi.com/docs/install/) and make sure `pulumi` is on PATH.")
            : new EngineProcess(path, new ProcessLimits(_options.Timeout, _options.KillAfter, _options.StderrTailLines), _time);
    }

    private async Task<(ProcessOutcome Outcome, string Stdout)> RunBufferedAsync(
        EngineProcess process, IReadOnlyList<string> arguments, string workingDirectory, EngineRunOptions? options, CancellationToken cancellationToken)
    {
        using var stdout = new MemoryStream();
        var outcome = await process.RunAsync(arguments, workingDirectory, Environment(options ?? EngineRunOptions.None), PipeTarget.ToStream(stdout), CancellationToken.None, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.Stopped != EngineStop.None)
        {
            throw new EngineException($"`pulumi {string.Join(' ', arguments)}` did not finish within {_options.Timeout}.");
        }

        return (outcome, Encoding.UTF8.GetString(stdout.ToArray()));
    }

    // Engine options first, then the run's variables, then what InfraGuard needs (so nothing can switch it off).
    private Dictionary<string, string?> Environment(EngineRunOptions options)
    {
        var environment = new Dictionary<string, string?>(_options.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }

        environment["PULUMI_DEBUG_COMMANDS"] = "true";
        return environment;
    }

    private ChangeSet ReadChanges(byte[] eventLog, bool written, ProcessOutcome outcome)
    {
        var ranToEnd = outcome.ExitCode == 0 && outcome.Stopped == EngineStop.None;
        if (!written)
        {
            return ranToEnd
                ? throw new EngineException("`pulumi preview` succeeded but wrote no event log; InfraGuard needs PULUMI_DEBUG_COMMANDS support (Pulumi v3).")
                : Incomplete($"the preview wrote no event log (exit code {outcome.ExitCode})");
        }

        try
        {
            using var stream = new MemoryStream(eventLog, writable: false);
            return _readEventLog(stream, "pulumi preview event log");
        }
        catch (PlanReadException e) when (!ranToEnd)
        {
            // A failed or stopped preview can leave a partial log; the failure itself is what the user needs.
            return Incomplete(e.Message);
        }
    }

    private static ChangeSet Incomplete(string reason) => new()
    {
        Engine = EngineKind.Pulumi,
        Changes = [],
        Counts = new Dictionary<ChangeOp, int>(),
        Complete = false,
        IncompleteReason = reason,
    };

    private static List<string> ErrorsIn(string eventLog) =>
        File.Exists(eventLog)
            ? File.ReadLines(eventLog).Select(EngineEvent.Parse).Select(e => e?.ErrorText()).OfType<string>().Where(t => t.Length > 0).ToList()
            : [];

    private static IEnumerable<string> KnownSecrets(EngineRunOptions options) =>
        options.Environment.Where(p => Redaction.IsSecretLookingName(p.Key)).Select(p => p.Value);

    private static string StoppedSuffix(EngineStop stopped) => stopped switch
    {
        EngineStop.Interrupted => " was interrupted and",
        EngineStop.TimedOut => " timed out, was interrupted and",
        EngineStop.Killed => " was killed and",
        _ => "",
    };

    private static void ThrowIfStackMissing(ProcessOutcome outcome, EngineTarget target)
    {
        if (outcome.ExitCode == ExitStackNotFound || outcome.StderrTail.Any(l => l.Contains("no stack named", StringComparison.Ordinal)))
        {
            throw new EngineException(
                $"Stack '{target.Stack}' was not found for the project in {target.WorkingDirectory} ({LastLine(outcome)}). " +
                $"Check the name with `pulumi stack ls`, or create it with `pulumi stack init {target.Stack}`.");
        }
    }

    private static string LastLine(ProcessOutcome outcome) =>
        outcome.StderrTail.LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "no error output";
}
