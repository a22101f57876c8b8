using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>What a runner asks for when it breaks the glass: the incident and why. Never who: that is the authenticated person.</summary>
/// <param name="Incident">The incident id (<c>INC-1234</c>).</param>
/// <param name="Reason">Why it cannot wait.</param>
public sealed record BreakGlassAsk(string Incident, string Reason);

/// <summary>A break-glass that happened: who, for which incident, and the retrospective review it opened.</summary>
/// <param name="RequestId">The change request applied without waiting.</param>
/// <param name="Actor">The authenticated person who broke the glass.</param>
/// <param name="Incident">The incident id.</param>
/// <param name="Reason">Why.</param>
/// <param name="Tier">The request's tier.</param>
/// <param name="UsedAt">When.</param>
/// <param name="ReviewDueAt">When the retrospective review is due (<c>review-within</c> after).</param>
/// <param name="ReviewersNeeded">How many independent reviewers it needs (the tier's approval count).</param>
public sealed record BreakGlassUse(string RequestId, PersonRef Actor, string Incident, string Reason, string Tier, DateTimeOffset UsedAt, DateTimeOffset ReviewDueAt, int ReviewersNeeded);

/// <summary>A recorded retrospective review of a break-glass change.</summary>
public sealed record BreakGlassReview(string RequestId, PersonRef Reviewer, Verdict Verdict, string Reason, DateTimeOffset At);

/// <summary>A break-glass review standing open: the use and the reviews so far.</summary>
public sealed record OpenReview(BreakGlassUse Use, int Reviews)
{
    /// <summary>True when its window has passed at <paramref name="now"/>.</summary>
    public bool OverdueAt(DateTimeOffset now) => now >= Use.ReviewDueAt;
}

/// <summary>Who may break the glass, and its audit entries. Pure.</summary>
public static class BreakGlassRules
{
    /// <summary>Longest incident id kept.</summary>
    public const int MaxIncidentLength = 100;

    /// <summary>
    /// Null when <paramref name="person"/> (the authenticated identity, never one a runner names) may break the glass
    /// in <paramref name="tier"/>; else a rule code and a sentence for them.
    /// </summary>
    public static (string Rule, string Message)? Refusal(TierPolicy tier, Approver person, ActorKind actorKind, BreakGlassAsk ask)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(ask);
        if (string.IsNullOrWhiteSpace(ask.Incident) || ask.Incident.Trim().Length > MaxIncidentLength)
        {
            return ("break-glass-incident", $"Break-glass needs the incident it serves: give --incident ID (1 to {MaxIncidentLength} characters).");
        }

        if (string.IsNullOrWhiteSpace(ask.Reason) || ask.Reason.Trim().Length < ApprovalRules.MinimumReasonLength)
        {
            return ("break-glass-reason", $"Break-glass needs a reason of at least {ApprovalRules.MinimumReasonLength} characters: say why this cannot wait (--reason TEXT).");
        }

        if (tier.BreakGlass is not { } glass)
        {
            return ("break-glass-not-allowed", $"Tier '{tier.Name}' has no break-glass: the change must wait for approval. A policy admin can add 'break-glass: {{ group: group:NAME }}' to the tier.");
        }

        if (actorKind == ActorKind.Agent)
        {
            return ("break-glass-agent", "An AI agent cannot break the glass: a person in the tier's break-glass group must run it themselves.");
        }

        if (person.IsBot || person.IsGuest)
        {
            return ("break-glass-not-a-person", $"{person.PersonId} is a bot, service account or guest; only a person in {glass.Group} may break the glass.");
        }

        return ApprovalRules.IsEligible(person, [glass.Group])
            ? null
            : ("break-glass-not-in-group", $"{person.PersonId} is not in {glass.Group}, the break-glass group of tier '{tier.Name}': nothing was applied. Ask for an approval, or ask someone in {glass.Group}.");
    }

    /// <summary><c>breakglass.used</c>, with the fields the audit report reads (actor, incident, reason, tier, review_due_at).</summary>
    public static AuditEvent Used(BreakGlassUse use, ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(use);
        ArgumentNullException.ThrowIfNull(request);
        return new(FlowAuditEvents.BreakGlassUsed, use.UsedAt, request.Id, new Dictionary<string, JsonNode?>
        {
            ["actor"] = DelegationRules.Person(use.Actor),
            ["incident"] = use.Incident,
            ["reason"] = use.Reason,
            ["tier"] = use.Tier,
            ["stack"] = request.Stack,
            ["plan_hash"] = request.PlanHash,
            ["policy_pack_hash"] = request.PolicyPackHash,
            ["review_due_at"] = CanonicalJson.FormatTimestamp(use.ReviewDueAt),
            ["reviewers_needed"] = use.ReviewersNeeded,
            ["from_state"] = Names.Of(request.State),
            ["to_state"] = Names.Of(RequestState.Approved),
        });
    }

    /// <summary><c>breakglass.refused</c>: someone tried and was refused; nothing was applied.</summary>
    public static AuditEvent Refused(string stack, string tier, PersonRef person, string submittedBy, BreakGlassAsk ask, string rule, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(person);
        ArgumentNullException.ThrowIfNull(ask);
        return new(FlowAuditEvents.BreakGlassRefused, at, null, new Dictionary<string, JsonNode?>
        {
            ["actor"] = DelegationRules.Person(person),
            ["submitted_by"] = submittedBy,
            ["stack"] = stack,
            ["tier"] = tier,
            ["incident"] = ask.Incident.Length > MaxIncidentLength ? ask.Incident[..MaxIncidentLength] : ask.Incident,
            ["reason"] = ask.Reason,
            ["rule"] = rule,
        });
    }

    /// <summary><c>breakglass.reviewed</c>.</summary>
    public static AuditEvent Reviewed(BreakGlassReview review, ChangeRequest request, int reviews, int needed)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(request);
        return new(FlowAuditEvents.BreakGlassReviewed, review.At, request.Id, new Dictionary<string, JsonNode?>
        {
            ["reviewer"] = DelegationRules.Person(review.Reviewer),
            ["verdict"] = review.Verdict == Verdict.Approve ? "approve" : "reject",
            ["reason"] = review.Reason,
            ["plan_hash"] = request.PlanHash,
            ["reviews"] = reviews,
            ["reviewers_needed"] = needed,
        });
    }
}

/// <summary>
/// The store's part of the approval flow over time (InfraGuard.Store): follow-ups that happen once, delegations and
/// break-glass records. Every change appends its audit entry in the same transaction.
/// </summary>
public interface IApprovalFlow
{
    /// <summary>
    /// Records <paramref name="followUp"/> once (its request, kind and level are a unique key) with its audit entry (if any);
    /// true when this call recorded it, false when someone (another replica) already had. Post only when true.
    /// </summary>
    Task<bool> ClaimFollowUpAsync(FollowUp followUp, AuditEvent? auditEvent, CancellationToken cancellationToken = default);

    /// <summary>The principals a request escalated to (empty when it has not escalated).</summary>
    Task<IReadOnlyList<string>> EscalatedToAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Stores a delegation with its <c>delegation.granted</c> entry.</summary>
    Task<Delegation> GrantDelegationAsync(Delegation delegation, CancellationToken cancellationToken = default);

    /// <summary>Revokes a delegation with its <c>delegation.revoked</c> entry; null when there is none by that id or it was already revoked.</summary>
    Task<Delegation?> RevokeDelegationAsync(string id, PersonRef actor, CancellationToken cancellationToken = default);

    /// <summary>A delegation by id, or null.</summary>
    Task<Delegation?> GetDelegationAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Delegations, newest first: those naming <paramref name="personId"/> as delegator or delegate, or all when null.</summary>
    Task<IReadOnlyList<Delegation>> ListDelegationsAsync(string? personId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves pending request <paramref name="use"/> names to approved under break-glass, with <c>breakglass.used</c> and a
    /// checkpoint in one transaction, and opens its review. Fails unless the request is pending.
    /// </summary>
    Task<RequestOutcome> BreakGlassAsync(BreakGlassUse use, CancellationToken cancellationToken = default);

    /// <summary>The break-glass of a request, or null.</summary>
    Task<BreakGlassUse?> GetBreakGlassAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Reviews recorded for a break-glass request, oldest first.</summary>
    Task<IReadOnlyList<BreakGlassReview>> GetReviewsAsync(string requestId, CancellationToken cancellationToken = default);

    /// <summary>Break-glass reviews that still need reviewers, oldest due first.</summary>
    Task<IReadOnlyList<OpenReview>> ListOpenReviewsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Records a review under the write lock: <paramref name="rule"/> sees the use and the reviews so far and accepts or
    /// refuses it; appends <c>breakglass.reviewed</c>.
    /// </summary>
    Task<RequestOutcome> ReviewAsync(string requestId, DecisionInput review, Func<ChangeRequest, BreakGlassUse, IReadOnlyList<BreakGlassReview>, DecisionRuling> rule, CancellationToken cancellationToken = default);
}
