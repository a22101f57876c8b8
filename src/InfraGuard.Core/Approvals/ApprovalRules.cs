using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Approvals;

/// <summary>A person (or account) trying to decide, already resolved through the identity map.</summary>
/// <param name="PersonId">The person id from the identity map, or the raw identity when unmapped.</param>
/// <param name="RawIdentity">What the channel told us (<c>slack:U123</c>, <c>github:alice</c>, <c>token:ops-bot</c>).</param>
/// <param name="Groups">Groups the person belongs to (from the identity map or the chat platform).</param>
/// <param name="IsBot">A bot, an app or a service account.</param>
/// <param name="IsGuest">A guest or restricted account.</param>
public sealed record Approver(string PersonId, string RawIdentity, IReadOnlySet<string> Groups, bool IsBot = false, bool IsGuest = false);

/// <summary>A decision already recorded on the request.</summary>
public sealed record PriorDecision(string PersonId, Verdict Verdict);

/// <summary>What the rules need to know about a pending change request.</summary>
/// <param name="PlanHash">The plan the request is for; a decision for any other plan is refused.</param>
/// <param name="RequesterPersonId">Who asked (resolved).</param>
/// <param name="OnBehalfOfPersonId">For agents: the person the agent acts for.</param>
/// <param name="CommitAuthorPersonIds">Authors of the commits in the change (resolved).</param>
/// <param name="Requirement">Count, eligible principals and expiry from the tier.</param>
/// <param name="ExpiresAt">When the request expires.</param>
/// <param name="Decisions">Decisions so far.</param>
public sealed record ApprovalSubject(
    string PlanHash,
    string RequesterPersonId,
    string? OnBehalfOfPersonId,
    IReadOnlyList<string> CommitAuthorPersonIds,
    ApprovalRequirement Requirement,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<PriorDecision> Decisions);

/// <summary>Where a request stands after a decision is counted.</summary>
public enum ApprovalStanding
{
    /// <summary>More approvals are needed.</summary>
    Pending,

    /// <summary>Quorum reached: the plan may be applied.</summary>
    Approved,

    /// <summary>An eligible person rejected it.</summary>
    Rejected,
}

/// <summary>The result of asking the rules: either refused with a reason, or counted with the new standing.</summary>
/// <param name="Accepted">True when the decision counts.</param>
/// <param name="Reason">For a refusal: a sentence for the person who tried, saying why and what to do.</param>
/// <param name="Standing">For an accepted decision: the request's standing after it.</param>
/// <param name="Approvals">Distinct approvals counted, including this one.</param>
public sealed record ApprovalOutcome(bool Accepted, string? Reason, ApprovalStanding Standing, int Approvals)
{
    internal static ApprovalOutcome Refuse(string reason) => new(false, reason, ApprovalStanding.Pending, 0);
}

/// <summary>
/// The one place that decides whether a decision counts. Every channel (CLI, API, Slack, web) calls this, so no
/// channel can be more lenient than another. Pure: the caller passes the time.
/// </summary>
public static class ApprovalRules
{
    /// <summary>Minimum length of a reason, so "ok" is not an audit trail.</summary>
    public const int MinimumReasonLength = 8;

    /// <summary>Checks one decision against the rules, in order: reason, expiry, plan, bot/guest, independence, eligibility, repeat.</summary>
    public static ApprovalOutcome Evaluate(ApprovalSubject subject, Approver approver, Verdict verdict, string? reason, string planHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(approver);

        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < MinimumReasonLength)
        {
            return ApprovalOutcome.Refuse($"A reason of at least {MinimumReasonLength} characters is required: say why this change is safe (or not).");
        }

        if (now >= subject.ExpiresAt)
        {
            return ApprovalOutcome.Refuse($"This request expired at {subject.ExpiresAt:yyyy-MM-dd HH:mm}Z; the pipeline must be re-run to ask again.");
        }

        if (!string.Equals(planHash, subject.PlanHash, StringComparison.Ordinal))
        {
            return ApprovalOutcome.Refuse($"This decision is for plan {Short(planHash)}, but the request is for plan {Short(subject.PlanHash)}; review the current plan.");
        }

        if (approver.IsBot)
        {
            return ApprovalOutcome.Refuse("Bots, apps and service accounts cannot approve or reject changes; a person must.");
        }

        if (approver.IsGuest)
        {
            return ApprovalOutcome.Refuse("Guest and restricted accounts cannot approve or reject changes.");
        }

        if (Same(approver.PersonId, subject.RequesterPersonId))
        {
            return ApprovalOutcome.Refuse("You requested this change, so you cannot decide on it: ask an independent engineer.");
        }

        if (subject.OnBehalfOfPersonId is { } principal && Same(approver.PersonId, principal))
        {
            return ApprovalOutcome.Refuse("The agent that requested this change acts on your behalf, so you cannot decide on it: ask an independent engineer.");
        }

        if (subject.CommitAuthorPersonIds.Any(a => Same(approver.PersonId, a)))
        {
            return ApprovalOutcome.Refuse("You authored a commit in this change, so you cannot decide on it: ask an independent engineer.");
        }

        if (!IsEligible(approver, subject.Requirement.From))
        {
            return ApprovalOutcome.Refuse($"You are not eligible to decide for this tier; eligible: {string.Join(", ", subject.Requirement.From)}.");
        }

        if (subject.Decisions.Any(d => Same(d.PersonId, approver.PersonId)))
        {
            return ApprovalOutcome.Refuse("You have already decided on this request; each person counts once.");
        }

        if (verdict == Verdict.Reject)
        {
            return new ApprovalOutcome(true, null, ApprovalStanding.Rejected, subject.Decisions.Count(d => d.Verdict == Verdict.Approve));
        }

        var approvals = subject.Decisions.Count(d => d.Verdict == Verdict.Approve) + 1;
        var standing = approvals >= Math.Max(1, subject.Requirement.Count) ? ApprovalStanding.Approved : ApprovalStanding.Pending;
        return new ApprovalOutcome(true, null, standing, approvals);
    }

    /// <summary>True when the approver matches one of <paramref name="from"/> (<c>group:NAME</c> or <c>person:ID</c>); an empty list admits anyone independent.</summary>
    public static bool IsEligible(Approver approver, IReadOnlyList<string> from)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentNullException.ThrowIfNull(from);
        return from.Count == 0 || from.Any(principal => principal switch
        {
            _ when principal.StartsWith("group:", StringComparison.Ordinal) => approver.Groups.Contains(principal["group:".Length..]),
            _ when principal.StartsWith("person:", StringComparison.Ordinal) => Same(approver.PersonId, principal["person:".Length..]),
            _ => false,
        });
    }

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
