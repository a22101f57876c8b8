using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Store;

namespace InfraGuard.Server.Hosting;

/// <summary>A delegation refused: its rule code (<c>self-delegation</c>, <c>bad-window</c>, <c>not-delegator</c> …) and a sentence.</summary>
internal sealed record DelegationRefusal(string Code, string Message);

/// <summary>
/// Granting and revoking delegations for a signed-in caller, the one code behind <c>/api/v1/delegations</c> and the web
/// page: the caller delegates their own approvals (an admin anyone's), never to themselves, for a window that has not ended.
/// </summary>
internal static class Delegations
{
    public static bool IsAdmin(ClaimsPrincipal user) => user.HasClaim(ApiClaims.Scope, ApiScopes.Admin);

    /// <summary>Grants a delegation, or says why not.</summary>
    public static async Task<(Delegation? Granted, DelegationRefusal? Refusal)> GrantAsync(
        ClaimsPrincipal user, string? to, DateTimeOffset? from, DateTimeOffset until, string? reason, string? delegatorName,
        ChangeStore store, PolicyPack pack, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(to))
        {
            return (null, new("bad-request", "'to' is required: the person who covers (e.g. bob, github:bob)."));
        }

        var actor = ApprovalDesk.Resolve(pack.Identities, ApiClaims.IdentityOf(user));
        var delegator = string.IsNullOrWhiteSpace(delegatorName) ? actor : ApprovalDesk.Resolve(pack.Identities, delegatorName);
        var @delegate = ApprovalDesk.Resolve(pack.Identities, to);
        var now = time.GetUtcNow();
        var start = from ?? now;
        if (DelegationRules.Problem(delegator, @delegate, start, until, actor, IsAdmin(user), now) is { } problem)
        {
            return (null, new(problem.Rule, problem.Message));
        }

        var why = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        var granted = await store.GrantDelegationAsync(new Delegation("dl_" + RequestId.New()["cr_".Length..], delegator, @delegate, start, until, why, actor, now), ct).ConfigureAwait(false);
        return (granted, null);
    }

    /// <summary>Revokes a delegation (its delegator, its delegate or an admin), or says why not (<c>not-found</c>, <c>not-delegator</c>, <c>already-revoked</c>).</summary>
    public static async Task<(Delegation? Revoked, DelegationRefusal? Refusal)> RevokeAsync(ClaimsPrincipal user, string id, ChangeStore store, PolicyPack pack, CancellationToken ct)
    {
        if (await store.GetDelegationAsync(id, ct).ConfigureAwait(false) is not { } delegation)
        {
            return (null, new("not-found", $"There is no delegation {id}; list them with 'infraguard delegate list'."));
        }

        var actor = ApprovalDesk.Resolve(pack.Identities, ApiClaims.IdentityOf(user));
        if (!IsAdmin(user) && actor.PersonId != delegation.Delegator.PersonId && actor.PersonId != delegation.Delegate.PersonId)
        {
            return (null, new("not-delegator", $"Only {delegation.Delegator.PersonId}, {delegation.Delegate.PersonId} or an admin may revoke {id}."));
        }

        return await store.RevokeDelegationAsync(id, actor, ct).ConfigureAwait(false) is { } revoked
            ? (revoked, null)
            : (null, new("already-revoked", $"Delegation {id} was already revoked."));
    }
}
