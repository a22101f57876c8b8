using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>A person (or account) trying to decide, already resolved through the identity map.</summary>
/// <param name="PersonId">The person id from the identity map, or the canonical <see cref="IdentityKey"/> when unmapped.</param>
/// <param name="RawIdentity">What the channel told us (<c>slack:U123</c>, <c>github:alice</c>, <c>token:ops-bot</c>).</param>
/// <param name="Groups">Groups the person belongs to (from the identity map or the chat platform).</param>
/// <param name="IsBot">A bot, an app or a service account.</param>
/// <param name="IsGuest">A guest or restricted account.</param>
public sealed record Approver(string PersonId, string RawIdentity, IReadOnlySet<string> Groups, bool IsBot = false, bool IsGuest = false)
{
    /// <summary>
    /// Every other name of the same person: the identity map's logins, e-mails and chat ids, and what the channel
    /// verified for the account (a Slack profile's e-mail). Independence compares all of them.
    /// </summary>
    public IReadOnlyList<string> KnownAs { get; init; } = [];

    /// <summary>Ids of mapped people one of whose names looks like this approver's (UTS #39): for independence, the same person.</summary>
    public IReadOnlyList<string> LooksLike { get; init; } = [];

    /// <summary>
    /// People who delegated their approvals to this approver, active now (resolved through the identity map): the
    /// approver may approve what one of them could, but only when independent of the change themselves.
    /// </summary>
    public IReadOnlyList<Approver> Delegators { get; init; } = [];
}

/// <summary>A decision already recorded on the request.</summary>
/// <param name="PersonId">Who decided (resolved).</param>
/// <param name="Verdict">Approve or reject.</param>
/// <param name="RawIdentity">The identity they decided as, when known.</param>
public sealed record PriorDecision(string PersonId, Verdict Verdict, string? RawIdentity = null);

/// <summary>What the rules need to know about a pending change request.</summary>
/// <param name="PlanHash">The plan the request is for; a decision for any other plan is refused.</param>
/// <param name="RequesterPersonId">Who asked (resolved).</param>
/// <param name="OnBehalfOfPersonId">For agents: the person the agent acts for.</param>
/// <param name="CommitAuthorPersonIds">Authors of the commits in the change (resolved).</param>
/// <param name="Requirement">Count, eligible principals and expiry from the tier.</param>
/// <param name="ExpiresAt">When the request expires.</param>
/// <param name="Decisions">Decisions so far.</param>
/// <param name="RequesterRawIdentity">The identity the requester asked as (<c>github:carol</c>), when known.</param>
public sealed record ApprovalSubject(
    string PlanHash,
    string RequesterPersonId,
    string? OnBehalfOfPersonId,
    IReadOnlyList<string> CommitAuthorPersonIds,
    ApprovalRequirement Requirement,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<PriorDecision> Decisions,
    string? RequesterRawIdentity = null)
{
    /// <summary>Principals made eligible by escalation (the tier's <c>escalate-to</c>, once the request escalated).</summary>
    public IReadOnlyList<string> EscalatedTo { get; init; } = [];

    /// <summary>For a break-glass review: who broke the glass; they cannot review their own emergency change.</summary>
    public string? BreakGlassBy { get; init; }
}

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
    internal static ApprovalOutcome Refuse(string rule, string reason) => new(false, reason, ApprovalStanding.Pending, 0) { Rule = rule };

    /// <summary>For a refusal: which rule refused it (<c>self-approval</c>, <c>ineligible-approver</c>, …), for the audit log and reports.</summary>
    public string? Rule { get; init; }
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
    public static ApprovalOutcome Evaluate(ApprovalSubject subject, Approver approver, Verdict verdict, string? reason, string planHash, DateTimeOffset now) =>
        Evaluate(subject, approver, verdict, reason, planHash, now, IdentityNormaliser.Default);

    internal static ApprovalOutcome Evaluate(ApprovalSubject subject, Approver approver, Verdict verdict, string? reason, string planHash, DateTimeOffset now, IdentityNormaliser identities)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(approver);

        if (string.IsNullOrWhiteSpace(reason) || reason.Trim().Length < MinimumReasonLength)
        {
            return ApprovalOutcome.Refuse("reason-too-short", $"A reason of at least {MinimumReasonLength} characters is required: say why this change is safe (or not).");
        }

        if (now >= subject.ExpiresAt)
        {
            return ApprovalOutcome.Refuse("expired", $"This request expired at {subject.ExpiresAt:yyyy-MM-dd HH:mm}Z; the pipeline must be re-run to ask again.");
        }

        if (!string.Equals(planHash, subject.PlanHash, StringComparison.Ordinal))
        {
            return ApprovalOutcome.Refuse("plan-mismatch", $"This decision is for plan {Short(planHash)}, but the request is for plan {Short(subject.PlanHash)}; review the current plan.");
        }

        if (identities.Canonical(approver.PersonId).Length == 0)
        {
            return ApprovalOutcome.Refuse("no-identity", "Your identity is empty once whitespace and invisible characters are removed, so InfraGuard cannot tell who you are: decide with a real identity.");
        }

        if (approver.IsBot)
        {
            return ApprovalOutcome.Refuse("bot-or-service-account", "Bots, apps and service accounts cannot approve or reject changes; a person must.");
        }

        if (approver.IsGuest)
        {
            return ApprovalOutcome.Refuse("guest-account", "Guest and restricted accounts cannot approve or reject changes.");
        }

        var requester = new[] { subject.RequesterPersonId, subject.RequesterRawIdentity };
        if (Match(identities, approver, requester) is { } asRequester)
        {
            return ApprovalOutcome.Refuse("self-approval", Refusal(asRequester, "You requested this change", "requester", ", so you cannot decide on it: ask an independent engineer."));
        }

        if (Match(identities, approver, [subject.OnBehalfOfPersonId]) is { } asPrincipal)
        {
            return ApprovalOutcome.Refuse("agent-principal", Refusal(asPrincipal, "The agent that requested this change acts on your behalf", "agent's principal", ", so you cannot decide on it: ask an independent engineer."));
        }

        if (Match(identities, approver, subject.CommitAuthorPersonIds) is { } asAuthor)
        {
            return ApprovalOutcome.Refuse("commit-author", Refusal(asAuthor, "You authored a commit in this change", "commit author", ", so you cannot decide on it: ask an independent engineer."));
        }

        if (Match(identities, approver, [subject.BreakGlassBy]) is { } asBreaker)
        {
            return ApprovalOutcome.Refuse("break-glass-actor", Refusal(asBreaker, "You broke the glass for this change", "break-glass actor", ", so you cannot review it: ask an independent engineer."));
        }

        if (!IsEligible(approver, subject.Requirement.From) && !(subject.EscalatedTo.Count > 0 && IsEligible(approver, subject.EscalatedTo)))
        {
            if (Delegated(subject, approver, identities) is { } refusal)
            {
                return refusal;
            }
        }

        if (Match(identities, approver, [.. subject.Decisions.SelectMany(d => new[] { d.PersonId, d.RawIdentity })]) is { } asPrior)
        {
            return ApprovalOutcome.Refuse("already-decided", Refusal(asPrior, "You have already decided on this request", "earlier decider", "; each person counts once."));
        }

        if (verdict == Verdict.Reject)
        {
            return new ApprovalOutcome(true, null, ApprovalStanding.Rejected, subject.Decisions.Count(d => d.Verdict == Verdict.Approve));
        }

        var approvals = subject.Decisions.Count(d => d.Verdict == Verdict.Approve) + 1;
        var standing = approvals >= Math.Max(1, subject.Requirement.Count) ? ApprovalStanding.Approved : ApprovalStanding.Pending;
        return new ApprovalOutcome(true, null, standing, approvals);
    }

    /// <summary>
    /// Null when an active delegation lets a not-otherwise-eligible approver decide: a delegator who is eligible,
    /// independent of the change (a delegate approves only what the delegator could) and has not decided; else the refusal.
    /// The approver's own independence was checked before.
    /// </summary>
    private static ApprovalOutcome? Delegated(ApprovalSubject subject, Approver approver, IdentityNormaliser identities)
    {
        var eligible = subject.EscalatedTo.Count == 0 ? subject.Requirement.From : [.. subject.Requirement.From, .. subject.EscalatedTo];
        var candidates = approver.Delegators.Where(d => !d.IsBot && !d.IsGuest && IsEligible(d, eligible)).ToList();
        if (candidates.Count == 0)
        {
            return ApprovalOutcome.Refuse("ineligible-approver", $"You are not eligible to decide for this tier; eligible: {string.Join(", ", eligible)}.");
        }

        string?[] parties = [subject.RequesterPersonId, subject.RequesterRawIdentity, subject.OnBehalfOfPersonId, subject.BreakGlassBy, .. subject.CommitAuthorPersonIds];
        var independent = candidates.Where(d => Match(identities, d, parties) is null).ToList();
        if (independent.Count == 0)
        {
            return ApprovalOutcome.Refuse("delegator-not-independent", $"You decide here only as a delegate of {string.Join(", ", candidates.Select(d => d.PersonId))}, who is not independent of this change, so neither of you can decide on it: ask an independent engineer.");
        }

        string?[] priors = [.. subject.Decisions.SelectMany(d => new[] { d.PersonId, d.RawIdentity })];
        return independent.Any(d => Match(identities, d, priors) is null)
            ? null
            : ApprovalOutcome.Refuse("delegator-already-decided", $"{string.Join(", ", independent.Select(d => d.PersonId))}, whose delegate you are, has already decided on this request; a delegation does not count twice.");
    }

    /// <summary>True when the approver matches one of <paramref name="from"/> (<c>group:NAME</c> or <c>person:ID</c>); an empty list admits anyone independent.</summary>
    /// <remarks>A <c>person:</c> principal matches by canonical key only: a look-alike never borrows someone's eligibility.</remarks>
    public static bool IsEligible(Approver approver, IReadOnlyList<string> from)
    {
        ArgumentNullException.ThrowIfNull(approver);
        ArgumentNullException.ThrowIfNull(from);
        return from.Count == 0 || from.Any(principal => principal switch
        {
            _ when principal.StartsWith("group:", StringComparison.Ordinal) => approver.Groups.Contains(principal["group:".Length..]),
            _ when principal.StartsWith("person:", StringComparison.Ordinal) => IdentityKey.Canonical(approver.PersonId) == IdentityKey.Canonical(principal),
            _ => false,
        });
    }

    /// <summary>Why the approver counts as one of a party: how alike, which of the approver's names, which of the party's.</summary>
    private sealed record PartyMatch(IdentityLikeness Likeness, string Mine, string Theirs);

    /// <summary>
    /// The strongest match between any name of the approver and any identity of a party (requester, principal, authors,
    /// prior deciders): same key first, then look-alike, then unverifiable (non-ASCII without ICU). Null: independent.
    /// </summary>
    private static PartyMatch? Match(IdentityNormaliser identities, Approver approver, IEnumerable<string?> party)
    {
        string[] mine = [approver.PersonId, approver.RawIdentity, .. approver.KnownAs];
        PartyMatch? best = null;
        foreach (var theirs in party.OfType<string>().Where(p => p.Length > 0))
        {
            foreach (var name in mine)
            {
                Consider(identities.Compare(name, theirs), name, theirs);
            }

            foreach (var lookAlike in approver.LooksLike)
            {
                Consider(identities.Compare(lookAlike, theirs) == IdentityLikeness.Same ? IdentityLikeness.LookAlike : IdentityLikeness.Different, approver.RawIdentity, theirs);
            }
        }

        return best;

        void Consider(IdentityLikeness likeness, string name, string theirs)
        {
            if (likeness != IdentityLikeness.Different && (best is null || Rank(likeness) > Rank(best.Likeness)))
            {
                best = new PartyMatch(likeness, name, theirs);
            }
        }

        static int Rank(IdentityLikeness l) => l switch
        {
            IdentityLikeness.Same => 3,
            IdentityLikeness.LookAlike => 2,
            _ => 1,
        };
    }

    /// <summary>The refusal for the clicker, naming who they were taken for and why.</summary>
    private static string Refusal(PartyMatch match, string fact, string role, string next) => match.Likeness switch
    {
        IdentityLikeness.Same => $"{fact} ({role}: {Shown(match.Theirs)}){next}",
        IdentityLikeness.LookAlike =>
            $"{fact}, as far as InfraGuard can tell: your identity {Shown(match.Mine)} looks like the {role} {Shown(match.Theirs)} " +
            $"(Unicode look-alike characters count as the same person){next}",
        _ =>
            $"{fact}, as far as InfraGuard can tell: it cannot tell {Shown(match.Mine)} apart from the {role} {Shown(match.Theirs)}, because " +
            "an identity with non-ASCII characters needs the Unicode look-alike check (ICU's uspoof), and ICU could not be loaded on this host; " +
            $"such identities count as the same person{next} Installing libicu on this host enables the check.",
    };

    /// <summary>An identity as the refusal shows it: its canonical key (no control or invisible characters), quoted and bounded.</summary>
    private static string Shown(string identity)
    {
        var key = IdentityKey.Canonical(identity);
        return $"'{(key.Length > 80 ? key[..80] + "…" : key)}'";
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
}
