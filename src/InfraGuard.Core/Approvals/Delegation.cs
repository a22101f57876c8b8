using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>
/// A person covering for another: between <see cref="From"/> and <see cref="Until"/>, <see cref="Delegate"/> may approve
/// what <see cref="Delegator"/> could, and only where the delegate is independent of the change.
/// </summary>
/// <param name="Id">Short id, <c>dl_</c> + 12 characters.</param>
/// <param name="Delegator">Whose approvals are covered.</param>
/// <param name="Delegate">Who covers.</param>
/// <param name="From">Start (inclusive).</param>
/// <param name="Until">End (exclusive): the delegation expires then.</param>
/// <param name="Reason">Why (leave, on-call swap …), when given.</param>
/// <param name="GrantedBy">Who granted it: the delegator, or an admin.</param>
/// <param name="GrantedAt">When.</param>
public sealed record Delegation(string Id, PersonRef Delegator, PersonRef Delegate, DateTimeOffset From, DateTimeOffset Until, string? Reason, PersonRef GrantedBy, DateTimeOffset GrantedAt)
{
    /// <summary>When it was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Who revoked it.</summary>
    public PersonRef? RevokedBy { get; init; }

    /// <summary>True when it lets the delegate approve at <paramref name="now"/>: started, not expired, not revoked.</summary>
    public bool ActiveAt(DateTimeOffset now) => RevokedAt is null && now >= From && now < Until;
}

/// <summary>Who may grant and revoke delegations, and their audit entries. Pure: the caller passes the time.</summary>
public static class DelegationRules
{
    /// <summary>The longest a delegation may run; longer cover belongs in the identity map's groups.</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(90);

    /// <summary>
    /// Null when <paramref name="actor"/> may grant this delegation at <paramref name="now"/>; else a rule code and a
    /// sentence saying why and what to do. Only the delegator grants for themselves; an admin may grant for anyone.
    /// </summary>
    public static (string Rule, string Message)? Problem(PersonRef delegator, PersonRef @delegate, DateTimeOffset from, DateTimeOffset until, PersonRef actor, bool actorIsAdmin, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(delegator);
        ArgumentNullException.ThrowIfNull(@delegate);
        ArgumentNullException.ThrowIfNull(actor);
        if (Same(delegator.PersonId, @delegate.PersonId))
        {
            return ("self-delegation", $"{delegator.PersonId} cannot delegate to themselves; name another person with --to.");
        }

        if (!actorIsAdmin && !Same(actor.PersonId, delegator.PersonId))
        {
            return ("not-delegator", $"Only {delegator.PersonId} (or an admin) may delegate {delegator.PersonId}'s approvals; you are {actor.PersonId}.");
        }

        if (until <= from)
        {
            return ("bad-window", $"The delegation ends ({Stamp(until)}) before it starts ({Stamp(from)}); give --until after --from.");
        }

        if (until <= now)
        {
            return ("bad-window", $"The delegation would already have ended ({Stamp(until)}); give an --until in the future.");
        }

        return until - from > MaxLength
            ? ("bad-window", $"A delegation runs at most {MaxLength.TotalDays:0} days; this one runs {(until - from).TotalDays:0.#}. Grant a shorter one (or add the person to the approving group).")
            : null;
    }

    /// <summary><c>delegation.granted</c>.</summary>
    public static AuditEvent Granted(Delegation d)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new(FlowAuditEvents.DelegationGranted, d.GrantedAt, null, new Dictionary<string, JsonNode?>
        {
            ["delegation"] = d.Id,
            ["delegator"] = Person(d.Delegator),
            ["delegate"] = Person(d.Delegate),
            ["from"] = CanonicalJson.FormatTimestamp(d.From),
            ["until"] = CanonicalJson.FormatTimestamp(d.Until),
            ["reason"] = d.Reason,
            ["actor"] = Person(d.GrantedBy),
        });
    }

    /// <summary><c>delegation.revoked</c>.</summary>
    public static AuditEvent Revoked(Delegation d, PersonRef actor, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(actor);
        return new(FlowAuditEvents.DelegationRevoked, at, null, new Dictionary<string, JsonNode?>
        {
            ["delegation"] = d.Id,
            ["delegator"] = Person(d.Delegator),
            ["delegate"] = Person(d.Delegate),
            ["actor"] = Person(actor),
        });
    }

    internal static JsonObject Person(PersonRef p) => new() { ["person"] = p.PersonId, ["identity"] = p.RawIdentity };

    private static bool Same(string a, string b) => IdentityKey.Canonical(a) == IdentityKey.Canonical(b);

    private static string Stamp(DateTimeOffset at) => CanonicalJson.FormatTimestamp(at);
}
