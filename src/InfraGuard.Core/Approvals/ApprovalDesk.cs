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
    /// <summary>
    /// The person behind a raw identity (<c>github:alice</c>, <c>email:…</c>, <c>slack:U…</c>); an unmapped identity
    /// stands for itself, by its canonical <see cref="IdentityKey"/> (<c> Email:Dave@Corp.com.</c> is <c>dave@corp.com</c>).
    /// </summary>
    public static PersonRef Resolve(IdentityMap identities, string rawIdentity)
    {
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentException.ThrowIfNullOrWhiteSpace(rawIdentity);
        var id = identities.Resolve(rawIdentity)?.Id ?? IdentityKey.Canonical(rawIdentity);
        return id.Length > 0
            ? new(id, rawIdentity)
            : throw new ArgumentException("The identity is empty once whitespace and invisible characters are removed.", nameof(rawIdentity));
    }

    /// <summary>
    /// The approver for a raw identity: groups and kind from the identity map, plus what the channel knows
    /// (<paramref name="channelGroups"/> such as Slack user groups, bot/guest flags from the platform, and
    /// <paramref name="verifiedAliases"/>: other names the channel verified for the same account, such as the Slack
    /// profile's e-mail). An unmapped approver is the canonical key of its first verified alias, else of the raw identity,
    /// so one person deciding through two channels is counted once.
    /// </summary>
    public static Approver ApproverFor(
        IdentityMap identities, string rawIdentity, IEnumerable<string>? channelGroups = null, bool isBot = false, bool isGuest = false, IReadOnlyList<string>? verifiedAliases = null)
    {
        ArgumentNullException.ThrowIfNull(identities);
        ArgumentNullException.ThrowIfNull(rawIdentity);
        var aliases = verifiedAliases ?? [];
        var person = identities.Resolve(rawIdentity) ?? aliases.Select(identities.Resolve).FirstOrDefault(p => p is not null);
        var groups = new HashSet<string>(person?.Groups ?? [], StringComparer.OrdinalIgnoreCase);
        groups.UnionWith(channelGroups ?? []);
        string[] names = [rawIdentity, .. aliases, .. person?.Names ?? []];
        return new Approver(
            person?.Id ?? IdentityKey.Canonical(aliases.Count > 0 ? aliases[0] : rawIdentity),
            rawIdentity,
            groups,
            isBot || person?.Kind == IdentityKind.Bot,
            isGuest || person?.Kind == IdentityKind.Guest)
        {
            KnownAs = [.. aliases, .. person?.Names ?? []],
            LooksLike = [.. names.SelectMany(identities.LookAlikesOf).Select(p => p.Id).Where(id => id != person?.Id).Distinct()],
        };
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
            [.. existing.Select(d => new PriorDecision(d.Approver.PersonId, d.Verdict, d.Approver.RawIdentity))],
            request.Requester.RawIdentity);
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
