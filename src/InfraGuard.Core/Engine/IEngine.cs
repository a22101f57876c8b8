using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Engine;

/// <summary>Where the engine runs: the stack and the project directory.</summary>
/// <param name="Stack">Stack name as the engine knows it.</param>
/// <param name="WorkingDirectory">Project directory.</param>
/// <param name="ExtraArgs">Pass-through engine arguments already checked by the engine's argument table.</param>
/// <param name="Run">What the run plans and applies: changes, or (Terraform/OpenTofu) a refresh-only plan that accepts drift into state.</param>
public sealed record EngineTarget(string Stack, string WorkingDirectory, IReadOnlyList<string> ExtraArgs, RunKind Run = RunKind.Update);

/// <summary>The engine CLI that was found.</summary>
public sealed record EngineInfo(string Name, string Version, string Path);

/// <summary>Why an engine run ended before its natural end.</summary>
public enum EngineStop
{
    /// <summary>It ran to its end (successfully or not).</summary>
    None = 0,

    /// <summary>The caller's token asked it to stop; the engine was interrupted (SIGINT) and stopped gracefully.</summary>
    Interrupted,

    /// <summary>The configured timeout passed; the engine was interrupted.</summary>
    TimedOut,

    /// <summary>The engine did not stop after the interrupt (or the kill token fired) and its process was killed. State may be locked.</summary>
    Killed,
}

/// <summary>A finished preview: the change set and the saved plan's bytes and hash.</summary>
/// <param name="Changes">The redacted change set (incomplete when the preview failed or was stopped).</param>
/// <param name="Plan">The saved plan file's bytes (what apply will be constrained to); empty when the preview failed.</param>
/// <param name="PlanHash">Lower-case hex SHA-256 of <paramref name="Plan"/>; empty when there is no plan.</param>
/// <param name="ExitCode">The engine's exit code (-1 when it was killed).</param>
/// <param name="Diagnostics">The engine's error diagnostics and stderr tail, redacted, for the user when it failed; else empty.</param>
public sealed record PreviewResult(ChangeSet Changes, byte[] Plan, string PlanHash, int ExitCode, string Diagnostics)
{
    /// <summary>True when the engine exited 0, saved a plan and was not stopped.</summary>
    public bool Succeeded => ExitCode == 0 && Plan.Length > 0 && Stopped == EngineStop.None;

    /// <summary>Why the run ended early, if it did.</summary>
    public EngineStop Stopped { get; init; }

    /// <summary>The engine's raw preview output (Pulumi event log, Terraform plan JSON): the evidence the authority reads itself.</summary>
    public byte[] EngineOutput { get; init; } = [];
}

/// <summary>A finished apply.</summary>
/// <param name="Succeeded">True when the engine exited 0, was not stopped and its last summary reported success.</param>
/// <param name="ExitCode">The engine's exit code (-1 when it was killed).</param>
/// <param name="Counts">What the update phase did, per op, from its last summary; empty when it never got there.</param>
/// <param name="Diagnostics">Redacted error text when it failed; else empty.</param>
public sealed record ApplyResult(bool Succeeded, int ExitCode, IReadOnlyDictionary<ChangeOp, int> Counts, string Diagnostics)
{
    /// <summary>Why the run ended early, if it did. Resources may have changed before an interrupt.</summary>
    public EngineStop Stopped { get; init; }

    /// <summary>The engine refused the saved plan because state moved since it was made (Terraform's "Saved plan is stale"); nothing was applied.</summary>
    public bool StalePlan { get; init; }
}

/// <summary>Per-run options for preview and apply.</summary>
/// <param name="Environment">Extra environment variables for the engine process (approval tokens the authority issued).</param>
/// <remarks>
/// Cancellation: the token passed to <see cref="IEngine.PreviewAsync"/> / <see cref="IEngine.ApplyAsync"/> asks the
/// engine to stop gracefully (an interrupt, so the engine cancels and releases its state lock; the first Ctrl-C).
/// <see cref="Kill"/> kills it at once (the second Ctrl-C). Once the process has started, stopping does not throw: the
/// result's <c>Stopped</c> says what happened.
/// </remarks>
public sealed record EngineRunOptions(IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>No extra environment.</summary>
    public static EngineRunOptions None { get; } = new(new Dictionary<string, string>());

    /// <summary>Cancelling this kills the engine process immediately (a second Ctrl-C). State may stay locked.</summary>
    public CancellationToken Kill { get; init; }
}

/// <summary>The outcome of <see cref="IEngine.CheckArguments"/>.</summary>
/// <param name="Argument">The first refused argument as the user wrote it, or null when all are allowed.</param>
/// <param name="Reason">Why it is refused and what to do instead, or null when all are allowed.</param>
public sealed record EngineArgumentsCheck(string? Argument, string? Reason)
{
    /// <summary>Every argument may be passed through.</summary>
    public static EngineArgumentsCheck Allowed { get; } = new(null, null);

    /// <summary>True when nothing was refused.</summary>
    public bool IsAllowed => Argument is null;

    /// <summary>A refusal of <paramref name="argument"/>, with the reason in words.</summary>
    public static EngineArgumentsCheck Refuse(string argument, string reason) =>
        new(argument, $"Engine argument '{argument}' is not allowed: {reason}.");
}

/// <summary>
/// The port the guarded run drives: a target, a preview that yields a change set, a saved plan and (through
/// <see cref="FingerprintStateAsync"/>) the state it was made on, the apply of exactly a saved plan, and the engine's
/// own checks. One implementation per engine project (Pulumi, Terraform/OpenTofu). Implementations never apply
/// anything but the plan they are given.
/// </summary>
public interface IEngine
{
    /// <summary>Which engine's evidence <see cref="PreviewAsync"/> produces.</summary>
    EngineKind Kind { get; }

    /// <summary>Checks pass-through arguments (after <c>--</c>) and returns the first refusal, with the reason.</summary>
    EngineArgumentsCheck CheckArguments(IReadOnlyList<string> arguments);

    /// <summary>Finds the engine CLI and checks its version; throws <see cref="EngineException"/> with the next step when unusable.</summary>
    Task<EngineInfo> CheckAsync(CancellationToken cancellationToken);

    /// <summary>Lower-case hex SHA-256 of the stack's current state, normalised so only real state changes alter it.</summary>
    Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken);

    /// <summary>Runs a preview that saves a plan. A failed preview is a result, not an exception.</summary>
    Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken);

    /// <summary>Applies exactly <paramref name="plan"/>; <paramref name="progress"/> receives human progress lines. A failed apply is a result.</summary>
    Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken);
}

/// <summary>The engine cannot be used (missing CLI, not logged in, unknown stack or workspace). The message says what to do next.</summary>
public sealed class EngineException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The engine's project files cannot be read (malformed YAML, say). The message names the file, line and column.</summary>
public sealed class EngineProjectException(string message, Exception? inner = null) : Exception(message, inner);
