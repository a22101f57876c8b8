namespace InfraGuard.Core.Changes;

/// <summary>Severity of an engine diagnostic.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Debug or info.</summary>
    Info,

    /// <summary>A warning.</summary>
    Warning,

    /// <summary>An error.</summary>
    Error,
}

/// <summary>A message the engine printed while planning (redacted).</summary>
public sealed record EngineDiagnostic(DiagnosticSeverity Severity, string Message, string? Address = null);

/// <summary>A policy violation the engine itself reported (Pulumi CrossGuard <c>policyEvent</c>).</summary>
/// <param name="PolicyPack">Pack name.</param>
/// <param name="Policy">Policy name.</param>
/// <param name="EnforcementLevel"><c>advisory</c>, <c>mandatory</c>, <c>remediate</c> or <c>disabled</c>.</param>
/// <param name="Message">The violation text, colour markup removed.</param>
/// <param name="Address">The resource, or null for a stack-level violation.</param>
/// <param name="Severity">low/medium/high/critical, when the pack set one.</param>
public sealed record EngineViolation(string PolicyPack, string Policy, string EnforcementLevel, string Message, string? Address, string? Severity);

/// <summary>
/// The engine-neutral, redacted result of reading one plan or preview. <see cref="Changes"/> holds only resources
/// that change (no <see cref="ChangeOp.Same"/>); <see cref="Counts"/> counts every logical op including same.
/// </summary>
public sealed record ChangeSet
{
    /// <summary>Which engine planned this.</summary>
    public required EngineKind Engine { get; init; }

    /// <summary>Stack name if the input names it (Pulumi URNs do; Terraform plans do not).</summary>
    public string? Stack { get; init; }

    /// <summary>Project name if the input names it.</summary>
    public string? Project { get; init; }

    /// <summary>The engine's format version, if given (Terraform <c>format_version</c>).</summary>
    public string? FormatVersion { get; init; }

    /// <summary>The resources that change, in plan order.</summary>
    public required IReadOnlyList<ResourceChange> Changes { get; init; }

    /// <summary>Count of resources per logical op, including <see cref="ChangeOp.Same"/>.</summary>
    public required IReadOnlyDictionary<ChangeOp, int> Counts { get; init; }

    /// <summary>Changes made outside the engine since the last apply (Terraform <c>resource_drift</c>). Not part of the plan.</summary>
    public IReadOnlyList<ResourceChange> Drift { get; init; } = [];

    /// <summary>Policy violations the engine reported.</summary>
    public IReadOnlyList<EngineViolation> Violations { get; init; } = [];

    /// <summary>Warnings and errors the engine printed.</summary>
    public IReadOnlyList<EngineDiagnostic> Diagnostics { get; init; } = [];

    /// <summary>True when the preview ran to its end without failing. An incomplete preview is never allowed.</summary>
    public required bool Complete { get; init; }

    /// <summary>Why the preview is incomplete, when it is.</summary>
    public string? IncompleteReason { get; init; }

    /// <summary>What applying the plan does: its changes (<see cref="RunKind.Update"/>), or only accept <see cref="Drift"/> into state.</summary>
    public RunKind Kind { get; init; } = RunKind.Update;

    /// <summary>
    /// This plan read as a refresh-only run: what its apply changes is state, by accepting the drift, so the drift
    /// becomes <see cref="Changes"/> and <see cref="Counts"/> (a resource deleted outside the engine is a
    /// <see cref="ChangeOp.Delete"/> from state). A refresh-only plan proposes no resource changes: one that does is
    /// not a refresh-only plan, and the set is incomplete (never allowed).
    /// </summary>
    public ChangeSet AcceptingDrift()
    {
        var proposed = Changes.Where(c => c.Op is not (ChangeOp.Same or ChangeOp.Read)).Select(c => c.Address).ToList();
        var counts = ChangeOps.All.ToDictionary(op => op, _ => 0);
        foreach (var drift in Drift)
        {
            counts[drift.Op]++;
        }

        return this with
        {
            Kind = RunKind.RefreshOnly,
            Changes = Drift,
            Counts = counts,
            Drift = [],
            Complete = Complete && proposed.Count == 0,
            IncompleteReason = proposed.Count == 0
                ? IncompleteReason
                : string.Join("; ", new[] { IncompleteReason, $"a refresh-only plan proposes no resource changes, but this one changes {string.Join(", ", proposed.Take(3))}{(proposed.Count > 3 ? $" and {proposed.Count - 3} more" : "")}" }.Where(r => r is not null)),
        };
    }
}
