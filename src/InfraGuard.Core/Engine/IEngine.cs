using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Engine;

/// <summary>Where the engine runs: the stack and the project directory.</summary>
/// <param name="Stack">Stack name as the engine knows it.</param>
/// <param name="WorkingDirectory">Project directory.</param>
/// <param name="ExtraArgs">Pass-through engine arguments already checked by <see cref="EngineArguments"/>.</param>
public sealed record EngineTarget(string Stack, string WorkingDirectory, IReadOnlyList<string> ExtraArgs);

/// <summary>The engine CLI that was found.</summary>
public sealed record EngineInfo(string Name, string Version, string Path);

/// <summary>A finished preview: the change set, the saved plan's bytes and hash, and the raw event log bytes.</summary>
/// <param name="Changes">The redacted change set.</param>
/// <param name="Plan">The saved plan file's bytes (what apply will be constrained to).</param>
/// <param name="PlanHash">Lower-case hex SHA-256 of <paramref name="Plan"/>.</param>
/// <param name="ExitCode">The engine's exit code.</param>
/// <param name="Diagnostics">The engine's stderr tail and error diagnostics, redacted, for the user when it failed.</param>
public sealed record PreviewResult(ChangeSet Changes, byte[] Plan, string PlanHash, int ExitCode, string Diagnostics);

/// <summary>A finished apply.</summary>
/// <param name="Succeeded">True when the engine exited 0 and reported success.</param>
/// <param name="ExitCode">The engine's exit code.</param>
/// <param name="Counts">What it did, per op, from its summary.</param>
/// <param name="Diagnostics">Redacted error text when it failed.</param>
public sealed record ApplyResult(bool Succeeded, int ExitCode, IReadOnlyDictionary<ChangeOp, int> Counts, string Diagnostics);

/// <summary>Per-run options for preview and apply.</summary>
/// <param name="PolicyPacks">CrossGuard pack directories to pass with <c>--policy-pack</c>.</param>
/// <param name="PolicyPackConfig">JSON config file for the packs (same order), or null.</param>
/// <param name="Environment">Extra environment variables for the engine process.</param>
public sealed record EngineRunOptions(
    IReadOnlyList<string> PolicyPacks,
    string? PolicyPackConfig,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>
/// The port the guarded run drives. One implementation per engine (Pulumi CLI now). Implementations never apply
/// anything but the plan they are given.
/// </summary>
public interface IEngine
{
    /// <summary>Finds the engine CLI and checks its version; throws <see cref="EngineException"/> with the next step when unusable.</summary>
    Task<EngineInfo> CheckAsync(CancellationToken cancellationToken);

    /// <summary>Lower-case hex SHA-256 of the stack's current state, normalised so only real state changes alter it.</summary>
    Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken);

    /// <summary>Runs a preview that saves a plan.</summary>
    Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken);

    /// <summary>Applies exactly <paramref name="plan"/>; <paramref name="progress"/> receives human progress lines.</summary>
    Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken);
}

/// <summary>The engine cannot be used (missing CLI, not logged in, unknown stack). The message says what to do next.</summary>
public sealed class EngineException(string message, Exception? inner = null) : Exception(message, inner);
