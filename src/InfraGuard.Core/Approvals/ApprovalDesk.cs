using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>
/// Joins the identity map, the approval rules and the store: resolves who is deciding and turns
/// <see cref="ApprovalRules"/> into the <see cref="DecisionRule"/> the store runs inside its write lock. Every channel
/// (CLI, API, Slack, web) decides through here.
/// </summary>
public static class ApprovalDesk
{
    /// <summary>The person behind a raw identity (<c>github:alice</c>, <c>email:…</c>, <c>slack:U…</c>); unmapped identities stand for themselves.</summary>
    public static PersonRef Resolve(IdentityMap identities, string rawIdentity)
    {
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentException.ThrowIfNullOrWhiteSpace(rawIdentity);
        return new(identities.Resolve(rawIdentity)?.Id ?? rawIdentity, rawIdentity);
    }

    /// <summary>
    /// The approver for a raw identity: groups and kind from the identity map, plus what the channel knows
    /// (<paramref name="channelGroups"/> such as Slack user groups, and bot/guest flags from the platform).
    /// </summary>
    public static Approver ApproverFor(IdentityMap identities, string rawIdentity, IEnumerable<string>? channelGroups = null, bool isBot = false, bool isGuest = false)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var person = identities.Resolve(rawIdentity);
        var groups = new HashSet<string>(person?.Groups ?? [], StringComparer.OrdinalIgnoreCase);
        groups.UnionWith(channelGroups ?? []);
        return new Approver(
            person?.Id ?? rawIdentity,
            rawIdentity,
            groups,
            isBot || person?.Kind == IdentityKind.Bot,
            isGuest || person?.Kind == IdentityKind.Guest);
    }

    /// <summary>The store's decision rule for <paramref name="approver"/> deciding at <paramref name="now"/> on plan <paramref name="planHash"/> (null: the request's own plan).</summary>
    public static DecisionRule Rule(Approver approver, DateTimeOffset now, string? planHash = null) => (request, existing, incoming) =>
    {
        var subject = new ApprovalSubject(
            request.PlanHash,
            request.Requester.PersonId,
            request.OnBehalfOf,
            request.CommitAuthors,
            request.RequiredApprovals,
            request.ExpiresAt,
            [.. existing.Select(d => new PriorDecision(d.Approver.PersonId, d.Verdict))]);
        if (request.State != RequestState.Pending)
        {
            return DecisionRuling.Refuse($"Change request {request.Id} is {request.State.ToString().ToLowerInvariant()}; only pending requests can be decided.");
        }

        var outcome = ApprovalRules.Evaluate(subject, approver, incoming.Verdict, incoming.Reason, planHash ?? request.PlanHash, now);
        return !outcome.Accepted
            ? DecisionRuling.Refuse(outcome.Reason!)
            : DecisionRuling.Accept(outcome.Standing switch
            {
                ApprovalStanding.Approved => RequestState.Approved,
                ApprovalStanding.Rejected => RequestState.Rejected,
                _ => null,
            });
    };
}
