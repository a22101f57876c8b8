using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>One attempt to decide, as a channel saw it: who (already resolved), where, what, why, and for which plan.</summary>
/// <param name="RequestId">The change request.</param>
/// <param name="Approver">The person deciding, from <see cref="ApprovalDesk.ApproverFor"/>.</param>
/// <param name="Channel">Where the decision was made.</param>
/// <param name="Verdict">Approve or reject.</param>
/// <param name="Reason">Why (required; stored in the audit log).</param>
/// <param name="PlanHash">Only decide if the request is for this plan (null: the request's own).</param>
public sealed record DecisionAttempt(string RequestId, Approver Approver, DecisionChannel Channel, Verdict Verdict, string? Reason, string? PlanHash = null);

/// <summary>What the desk did: the request after the decision, or the refusal with a sentence for the person who tried.</summary>
public sealed record DeskOutcome(ChangeRequest? Request, RequestError? Error)
{
    /// <summary>True when the decision was recorded.</summary>
    public bool Recorded => Error is null;

    /// <summary>What to tell the person whose decision was refused (null when it was recorded).</summary>
    public string? Refusal => Error is null ? null : ApprovalDesk.Friendly(Error);
}

/// <summary>Tells whoever keeps channels and waiting runners current that a request changed. Only informs.</summary>
public interface IRequestSignal
{
    /// <summary>Request <paramref name="requestId"/> changed in this process (its channels and long-polls should catch up).</summary>
    void Changed(string requestId);
}

/// <summary>
/// The one decision desk: every channel (CLI, API, web, Slack, Teams) decides through <see cref="DecideAsync"/>, which
/// resolves the rules (<see cref="ApprovalRules"/>), records the decision in the store inside its write lock, and
/// announces the change. The static helpers turn a channel's raw identity into the <see cref="Approver"/> it decides as.
/// </summary>
/// <remarks>
/// With <paramref name="flow"/> (and the <paramref name="identities"/> that resolve delegators), the desk also counts
/// escalation (the tier's <c>escalate-to</c> become eligible once a request escalated) and active delegations, and records
/// break-glass reviews (<see cref="ReviewAsync"/>) under the same rules.
/// </remarks>
public sealed class ApprovalDesk(IChangeStore store, TimeProvider time, IRequestSignal? signal = null, IApprovalFlow? flow = null, IdentityMap? identities = null)
{
    /// <summary>Decides <paramref name="attempt"/>: records it when the rules accept it, and announces the change.</summary>
    public async Task<DeskOutcome> DecideAsync(DecisionAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var reason = (attempt.Reason ?? string.Empty).Trim();
        var now = time.GetUtcNow();
        var approver = await WithDelegatorsAsync(attempt.Approver, now, cancellationToken).ConfigureAwait(false);
        var escalated = flow is null ? [] : await flow.EscalatedToAsync(attempt.RequestId, cancellationToken).ConfigureAwait(false);
        var outcome = await store.DecideAsync(
            attempt.RequestId,
            new DecisionInput(new PersonRef(attempt.Approver.PersonId, attempt.Approver.RawIdentity), attempt.Channel, attempt.Verdict, reason),
            Rule(approver, now, attempt.PlanHash, escalated),
            cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            signal?.Changed(attempt.RequestId);
        }

        return new DeskOutcome(outcome.Request, outcome.Error);
    }

    /// <summary>
    /// Records a retrospective review of a break-glass change: the same reason, independence and eligibility rules as a
    /// decision (the person who broke the glass counts as a party), counted once per person, within the review's life.
    /// </summary>
    public async Task<DeskOutcome> ReviewAsync(DecisionAttempt attempt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        if (flow is null)
        {
            throw new InvalidOperationException("This desk has no approval-flow store; break-glass reviews need one.");
        }

        var now = time.GetUtcNow();
        var approver = await WithDelegatorsAsync(attempt.Approver, now, cancellationToken).ConfigureAwait(false);
        var outcome = await flow.ReviewAsync(
            attempt.RequestId,
            new DecisionInput(new PersonRef(attempt.Approver.PersonId, attempt.Approver.RawIdentity), attempt.Channel, attempt.Verdict, (attempt.Reason ?? string.Empty).Trim()),
            (request, use, reviews) =>
            {
                var subject = new ApprovalSubject(
                    request.PlanHash,
                    request.Requester.PersonId,
                    request.OnBehalfOf,
                    request.CommitAuthors,
                    request.RequiredApprovals,
                    DateTimeOffset.MaxValue, // a late review is still a review; lateness is what 'reviews overdue' reports
                    [.. reviews.Select(r => new PriorDecision(r.Reviewer.PersonId, r.Verdict, r.Reviewer.RawIdentity))],
                    request.Requester.RawIdentity)
                {
                    BreakGlassBy = use.Actor.PersonId,
                };
                var ruled = ApprovalRules.Evaluate(subject, approver, attempt.Verdict, attempt.Reason, attempt.PlanHash ?? request.PlanHash, now);
                return ruled.Accepted ? DecisionRuling.Accept(null) : DecisionRuling.Refuse(ruled.Reason!, ruled.Rule ?? "other");
            },
            cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            signal?.Changed(attempt.RequestId);
        }

        return new DeskOutcome(outcome.Request, outcome.Error);
    }

    /// <summary>The approver with the people who delegated to them, active at <paramref name="now"/>.</summary>
    private async Task<Approver> WithDelegatorsAsync(Approver approver, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (flow is null || identities is null)
        {
            return approver;
        }

        var key = IdentityKey.Canonical(approver.PersonId);
        var delegations = await flow.ListDelegationsAsync(approver.PersonId, cancellationToken).ConfigureAwait(false);
        var delegators = delegations
            .Where(d => d.ActiveAt(now) && IdentityKey.Canonical(d.Delegate.PersonId) == key)
            .Select(d => ApproverFor(identities, d.Delegator.PersonId))
            .ToList();
        return delegators.Count == 0 ? approver : approver with { Delegators = delegators };
    }

    /// <summary>What to tell a person whose decision was refused, the same words on every channel.</summary>
    public static string Friendly(RequestError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error switch
        {
            AlreadyDecided d => $"You have already decided on {d.RequestId}; a person decides once per request.",
            IllegalTransition t => $"Change request {t.RequestId} is already {t.From.ToString().ToLowerInvariant()}: someone decided first, so your decision was not recorded.",
            DecisionRefused r => $"{r.Reason} Your decision was not recorded.",
            _ => error.Message,
        };
    }

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
    internal static DecisionRule Rule(Approver approver, DateTimeOffset now, string? planHash = null, IReadOnlyList<string>? escalatedTo = null) => (request, existing, incoming) =>
    {
        var subject = new ApprovalSubject(
            request.PlanHash,
            request.Requester.PersonId,
            request.OnBehalfOf,
            request.CommitAuthors,
            request.RequiredApprovals,
            request.ExpiresAt,
            [.. existing.Select(d => new PriorDecision(d.Approver.PersonId, d.Verdict, d.Approver.RawIdentity))],
            request.Requester.RawIdentity)
        {
            EscalatedTo = escalatedTo ?? [],
        };
        if (request.State != RequestState.Pending)
        {
            return DecisionRuling.Refuse($"Change request {request.Id} is {request.State.ToString().ToLowerInvariant()}; only pending requests can be decided.", "not-pending");
        }

        var outcome = ApprovalRules.Evaluate(subject, approver, incoming.Verdict, incoming.Reason, planHash ?? request.PlanHash, now);
        return !outcome.Accepted
            ? DecisionRuling.Refuse(outcome.Reason!, outcome.Rule ?? "other")
            : DecisionRuling.Accept(outcome.Standing switch
            {
                ApprovalStanding.Approved => RequestState.Approved,
                ApprovalStanding.Rejected => RequestState.Rejected,
                _ => null,
            });
    };
}
