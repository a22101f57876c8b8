using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CliWrap;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;
using InfraGuard.Core.Readers;
using InfraGuard.Engines;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform;

/// <summary>
/// <see cref="IEngine"/> over the <c>terraform</c> or <c>tofu</c> CLI: <c>plan -out=P</c> with
/// <c>-detailed-exitcode</c>, <c>show -json P</c> read by <see cref="TerraformPlanReader"/>, and on approval
/// <c>apply P</c> of exactly the stored plan file. The engine itself refuses a plan made on older state (exit 6).
/// A refresh-only run (<see cref="RunKind.RefreshOnly"/>) plans with <c>-refresh-only</c> and reads the drift it accepts into state.
/// Runs with <c>TF_IN_AUTOMATION=1</c> and <c>TF_INPUT=0</c>; Ctrl-C is forwarded (SIGINT) so the state lock is released.
/// </summary>
public sealed partial class TerraformEngine(TerraformEngineOptions settings, TimeProvider time) : IEngine
{
    /// <summary>The oldest CLI InfraGuard drives (saved plans, <c>show -json</c>, <c>-detailed-exitcode</c>, <c>state pull</c>).</summary>
    public static readonly Version Minimum = new(1, 0, 0);

    private readonly Lock _checkLock = new();
    private Task<EngineInfo>? _check;

    private string Name => Path.GetFileNameWithoutExtension(settings.Executable);

    /// <inheritdoc/>
    public EngineKind Kind => EngineKind.Terraform;

    /// <inheritdoc/>
    public EngineArgumentsCheck CheckArguments(IReadOnlyList<string> arguments) => TerraformArguments.Check(arguments);

    /// <inheritdoc/>
    public Task<EngineInfo> CheckAsync(CancellationToken cancellationToken)
    {
        lock (_checkLock)
        {
            return _check ??= CheckOnceAsync(cancellationToken);
        }
    }

    private async Task<EngineInfo> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var process = Process();
        var (outcome, stdout) = await RunBufferedAsync(process, ["version", "-json"], Directory.GetCurrentDirectory(), cancellationToken).ConfigureAwait(false);
        var version = outcome.ExitCode == 0 ? ParseVersion(stdout) : null;
        if (version is null)
        {
            throw new EngineException(
                $"`{process.Executable} version -json` did not print a version (exit code {outcome.ExitCode}, output '{Encoding.UTF8.GetString(stdout).Trim()}'). " +
                "Check that it is Terraform or OpenTofu; install it from https://developer.hashicorp.com/terraform/install or https://opentofu.org/docs/intro/install/.");
        }

        return version < Minimum
            ? throw new EngineException($"{Name} v{version} at {process.Executable} is too old: InfraGuard needs v{Minimum} or newer. Upgrade it.")
            : new EngineInfo(Name, version.ToString(), process.Executable);
    }

    /// <summary>The version in <c>version -json</c> output (<c>terraform_version</c>, which OpenTofu writes too), or null.</summary>
    internal static Version? ParseVersion(byte[] json)
    {
        try
        {
            var text = (string?)JsonNode.Parse(json)?["terraform_version"];
            var core = text?.Split('-', '+')[0];
            return Version.TryParse(core, out var v) ? v : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Hashes <c>state pull</c> with every <c>timestamp</c> dropped; <c>serial</c> and <c>lineage</c> are kept, so any write to state changes it. No state yet hashes as <c>{}</c>.</remarks>
    public async Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var (outcome, stdout) = await RunBufferedAsync(Process(), ["state", "pull"], target.WorkingDirectory, cancellationToken).ConfigureAwait(false);
        if (outcome.ExitCode != 0)
        {
            throw new EngineException(
                $"`{Name} state pull` failed in {target.WorkingDirectory} (exit code {outcome.ExitCode}): {LastLine(outcome)}. " +
                $"Run `{Name} init` there first (or pass --init), and check the backend credentials.");
        }

        try
        {
            return StateFingerprint(stdout);
        }
        catch (JsonException e)
        {
            throw new EngineException($"`{Name} state pull` printed something that is not a state file: {e.Message}", e);
        }
    }

    /// <summary>Lower-case hex SHA-256 of a state file with every <c>timestamp</c> property removed.</summary>
    public static string StateFingerprint(ReadOnlySpan<byte> stateUtf8)
    {
        var text = Encoding.UTF8.GetString(stateUtf8).Trim();
        var root = text.Length == 0 ? new JsonObject() : JsonNode.Parse(text) as JsonObject ?? throw new JsonException("a state file must be a JSON object");
        DropTimestamps(root);
        return CanonicalJson.Fingerprint(root);
    }

    private static void DropTimestamps(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                obj.Remove("timestamp");
                foreach (var (_, value) in obj)
                {
                    DropTimestamps(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    DropTimestamps(item);
                }

                break;
        }
    }

    /// <inheritdoc/>
    public async Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        var check = TerraformArguments.Check(target.ExtraArgs);
        if (!check.IsAllowed)
        {
            throw new EngineException(check.Reason!);
        }

        var process = Process();
        using var temp = PrivateTempDirectory.Create(settings.TempRoot);
        var planFile = Path.Combine(temp.Path, "plan.tfplan");
        var environment = Environment(options);
        if (settings.Init)
        {
            var init = await process.RunAsync(["init", "-input=false", "-no-color"], target.WorkingDirectory, environment, PipeTarget.Null, cancellationToken, options.Kill).ConfigureAwait(false);
            if (init.ExitCode != 0 || init.Stopped != EngineStop.None)
            {
                return Failed($"{Name} init", init, options);
            }
        }

        string[] refreshOnly = target.Run == RunKind.RefreshOnly ? ["-refresh-only"] : [];
        string[] plan = ["plan", "-input=false", "-no-color", "-detailed-exitcode", LockTimeout(), .. refreshOnly, $"-out={planFile}", .. target.ExtraArgs];
        var planned = await process.RunAsync(plan, target.WorkingDirectory, environment, PipeTarget.Null, cancellationToken, options.Kill).ConfigureAwait(false);

        // -detailed-exitcode: 0 no changes, 2 changes, 1 (or anything else) failed.
        if (planned.ExitCode is not (0 or 2) || planned.Stopped != EngineStop.None || !File.Exists(planFile))
        {
            return Failed($"{Name} plan", planned, options);
        }

        using var json = new MemoryStream();
        var shown = await process.RunAsync(["show", "-json", "-no-color", planFile], target.WorkingDirectory, environment, PipeTarget.ToStream(json), cancellationToken, options.Kill).ConfigureAwait(false);
        if (shown.ExitCode != 0 || shown.Stopped != EngineStop.None)
        {
            return Failed($"{Name} show -json", shown, options);
        }

        var output = json.ToArray();
        ChangeSet changes;
        try
        {
            changes = TerraformPlanReader.Read(new MemoryStream(output, writable: false), $"{Name} show -json");
            changes = target.Run == RunKind.RefreshOnly ? changes.AcceptingDrift() : changes;
        }
        catch (PlanReadException e)
        {
            throw new EngineException($"InfraGuard could not read the plan `{Name} show -json` printed: {e.Message}", e);
        }

        var bytes = await File.ReadAllBytesAsync(planFile, CancellationToken.None).ConfigureAwait(false);
        return new PreviewResult(changes, bytes, TerraformPlanFile.Hash(bytes, "saved plan"), 0, "") { EngineOutput = output };
    }

    /// <inheritdoc/>
    public async Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        if (plan.Length == 0)
        {
            throw new ArgumentException("The plan is empty: apply needs the plan a successful preview saved.", nameof(plan));
        }

        var process = Process();
        using var temp = PrivateTempDirectory.Create(settings.TempRoot);
        var planFile = Path.Combine(temp.Path, "plan.tfplan");
        await File.WriteAllBytesAsync(planFile, plan, CancellationToken.None).ConfigureAwait(false);

        var summary = new ApplySummary(progress);
        var outcome = await process.RunAsync(
            ["apply", "-input=false", "-no-color", LockTimeout(), planFile], target.WorkingDirectory, Environment(options), PipeTarget.ToDelegate(summary.OnLine), cancellationToken, options.Kill).ConfigureAwait(false);
        var succeeded = outcome.ExitCode == 0 && outcome.Stopped == EngineStop.None;
        var stale = !succeeded && outcome.StderrTail.Any(l => l.Contains("Saved plan is stale", StringComparison.Ordinal));
        var diagnostics = succeeded ? "" : DiagnosticText.Build($"{Name} apply" + StoppedSuffix(outcome.Stopped), outcome.ExitCode, [], [.. outcome.StderrTail], KnownSecrets(options));
        return new ApplyResult(succeeded, outcome.ExitCode, summary.Counts, diagnostics) { Stopped = outcome.Stopped, StalePlan = stale };
    }

    private string LockTimeout() => string.Create(CultureInfo.InvariantCulture, $"-lock-timeout={(long)settings.LockTimeout.TotalSeconds}s");

    private static PreviewResult Failed(string command, ProcessOutcome outcome, EngineRunOptions options) =>
        new(
            new ChangeSet { Engine = EngineKind.Terraform, Changes = [], Counts = new Dictionary<ChangeOp, int>(), Complete = false, IncompleteReason = $"{command} failed (exit code {outcome.ExitCode})" },
            [],
            "",
            outcome.ExitCode == 0 ? 1 : outcome.ExitCode,
            DiagnosticText.Build(command + StoppedSuffix(outcome.Stopped), outcome.ExitCode, [], [.. outcome.StderrTail], KnownSecrets(options)))
        {
            Stopped = outcome.Stopped,
        };

    private EngineProcess Process()
    {
        var path = ExecutableLookup.Find(settings.Executable, settings.Environment.TryGetValue("PATH", out var p) ? p : System.Environment.GetEnvironmentVariable("PATH"));
        return path is null
            ? throw new EngineException(
                $"The {Name} CLI ('{settings.Executable}') was not found on PATH. Install Terraform (https://developer.hashicorp.com/terraform/install) " +
                "or OpenTofu (https://opentofu.org/docs/intro/install/) and make sure it is on PATH, or choose the other one with --engine.")
            : new EngineProcess(path, new ProcessLimits(settings.Timeout, settings.KillAfter, settings.StderrTailLines), time);
    }

    private async Task<(ProcessOutcome Outcome, byte[] Stdout)> RunBufferedAsync(EngineProcess process, IReadOnlyList<string> arguments, string workingDirectory, CancellationToken cancellationToken)
    {
        using var stdout = new MemoryStream();
        var outcome = await process.RunAsync(arguments, workingDirectory, Environment(EngineRunOptions.None), PipeTarget.ToStream(stdout), CancellationToken.None, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return outcome.Stopped != EngineStop.None
            ? throw new EngineException($"`{Name} {string.Join(' ', arguments)}` did not finish within {settings.Timeout}.")
            : (outcome, stdout.ToArray());
    }

    // Engine options first, then the run's variables, then what InfraGuard needs (so nothing can switch it off).
    private Dictionary<string, string?> Environment(EngineRunOptions options)
    {
        var environment = new Dictionary<string, string?>(settings.Environment, StringComparer.Ordinal);
        foreach (var (name, value) in options.Environment)
        {
            environment[name] = value;
        }

        if (settings.Workspace is { } workspace)
        {
            environment["TF_WORKSPACE"] = workspace;
        }

        environment["TF_IN_AUTOMATION"] = "1";
        environment["TF_INPUT"] = "0";
        return environment;
    }

    private static IEnumerable<string> KnownSecrets(EngineRunOptions options) =>
        options.Environment.Where(p => Redaction.IsSecretLookingName(p.Key) || p.Key.StartsWith("TF_VAR_", StringComparison.Ordinal)).Select(p => p.Value);

    private static string StoppedSuffix(EngineStop stopped) => stopped switch
    {
        EngineStop.Interrupted => " was interrupted and",
        EngineStop.TimedOut => " timed out, was interrupted and",
        EngineStop.Killed => " was killed and",
        _ => "",
    };

    private static string LastLine(ProcessOutcome outcome) =>
        outcome.StderrTail.LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "no error output";

    /// <summary>Passes apply's output on as progress and reads its closing summary line into counts.</summary>
    private sealed partial class ApplySummary(IProgress<string> progress)
    {
        private readonly Dictionary<ChangeOp, int> _counts = [];

        public IReadOnlyDictionary<ChangeOp, int> Counts => _counts;

        public void OnLine(string line)
        {
            progress.Report(line);
            var match = Summary().Match(line);
            if (match.Success)
            {
                _counts[ChangeOp.Create] = int.Parse(match.Groups["added"].Value, CultureInfo.InvariantCulture);
                _counts[ChangeOp.Update] = int.Parse(match.Groups["changed"].Value, CultureInfo.InvariantCulture);
                _counts[ChangeOp.Delete] = int.Parse(match.Groups["destroyed"].Value, CultureInfo.InvariantCulture);
            }
        }

        [GeneratedRegex(@"Apply complete! Resources: (?:(?<imported>\d+) imported, )?(?<added>\d+) added, (?<changed>\d+) changed, (?<destroyed>\d+) destroyed")]
        private static partial Regex Summary();
    }
}
