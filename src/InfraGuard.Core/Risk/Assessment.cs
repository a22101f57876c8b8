using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Risk;

/// <summary>What happens to a change after assessment.</summary>
public enum Decision
{
    /// <summary>Apply without approval.</summary>
    Allow,

    /// <summary>An independent approval is required first.</summary>
    Review,

    /// <summary>Refused outright.</summary>
    Block,
}

/// <summary>Facts about the run that rules can match on besides the plan itself.</summary>
/// <param name="Stack">Stack name (Pulumi) or workspace label (Terraform).</param>
/// <param name="ActorKind">Who asks.</param>
/// <param name="JobType">Free-form job label (e.g. <c>deploy</c>, <c>cost-optimisation</c>), if given.</param>
/// <param name="Tier">Tier forced by stack config (<c>infraguard:tier</c>) instead of matching stack names; null to match.</param>
public sealed record AssessmentContext(string Stack, ActorKind ActorKind, string? JobType = null, string? Tier = null);

/// <summary>One reason a change scored points.</summary>
/// <param name="RuleId">Id of the rule (or built-in detector) that fired.</param>
/// <param name="Address">Resource address (URN or Terraform address); empty for plan-wide findings.</param>
/// <param name="Type">Resource type.</param>
/// <param name="Op">The change's logical op.</param>
/// <param name="Path">Property path involved, if any.</param>
/// <param name="Before">Redacted display of the value before, if any.</param>
/// <param name="After">Redacted display of the value after, if any.</param>
/// <param name="Points">Points after tier scoring and actor weight.</param>
/// <param name="Reason">Human sentence saying why this matters.</param>
/// <param name="Blocking">True when this finding alone blocks the change (a rule with <c>block:</c>, or an unknown op).</param>
public sealed record Finding(
    string RuleId,
    string Address,
    string Type,
    ChangeOp Op,
    string? Path,
    string? Before,
    string? After,
    int Points,
    string Reason,
    bool Blocking = false);

/// <summary>
/// The deterministic result of scoring a <see cref="ChangeSet"/> against a policy pack: the same inputs always give
/// the same assessment, findings in the same order.
/// </summary>
public sealed record Assessment
{
    /// <summary>The tier the stack falls in.</summary>
    public required string Tier { get; init; }

    /// <summary>Allow, review or block.</summary>
    public required Decision Decision { get; init; }

    /// <summary>Sum of findings' points.</summary>
    public required int Score { get; init; }

    /// <summary>Score at or above which review is required in this tier.</summary>
    public required int ReviewAt { get; init; }

    /// <summary>Score at or above which the change is blocked in this tier.</summary>
    public required int BlockAt { get; init; }

    /// <summary>Findings, highest points first, then by address and rule id.</summary>
    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>Approval requirement when <see cref="Decision"/> is <see cref="Decision.Review"/>.</summary>
    public ApprovalRequirement? Approvals { get; init; }

    /// <summary>The actor kind the score was weighted for.</summary>
    public required ActorKind ActorKind { get; init; }

    /// <summary>SHA-256 of the policy pack text the assessment used (<c>PolicyPack.Hash</c>), for the audit log.</summary>
    public string? PolicyHash { get; init; }

    /// <summary>Plain sentences explaining a block or review that is not a sum of findings (incomplete preview, mandatory engine policy).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Why an allowed change needs no review, as InfraGuard's own approval records it; null unless allowed.</summary>
    public string? AllowedBecause => Decision == Decision.Allow
        ? $"allowed by policy: score {Score} is below review-at {ReviewAt} for tier {Tier}"
        : null;
}
