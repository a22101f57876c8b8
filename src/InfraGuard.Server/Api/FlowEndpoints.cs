using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Store;

namespace InfraGuard.Server.Api;

/// <summary>POST /api/v1/delegations: cover another person's approvals. The delegator is the caller unless an admin names one.</summary>
/// <param name="To">The delegate (any identity: <c>bob</c>, <c>github:bob</c>, <c>bob@example.com</c>).</param>
/// <param name="Until">When it ends.</param>
/// <param name="From">When it starts (default: now).</param>
/// <param name="Reason">Why (leave, on-call swap).</param>
/// <param name="Delegator">Admins only: whose approvals are delegated.</param>
public sealed record DelegationBody(string To, DateTimeOffset Until, DateTimeOffset? From = null, string? Reason = null, string? Delegator = null);

/// <summary>POST /api/v1/requests/{id}/reviews: a retrospective review of a break-glass change.</summary>
public sealed record ReviewBody(Verdict Verdict, string Reason);

/// <summary>A break-glass review as listed: the use, the reviews so far, and whether it is overdue.</summary>
public sealed record ReviewView(BreakGlassUse BreakGlass, int Reviews, bool Overdue);

/// <summary>/api/v1/delegations and the break-glass reviews (/api/v1/reviews, /api/v1/requests/{id}/reviews).</summary>
internal static class FlowEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var delegations = api.MapGroup("/delegations").WithTags("Delegations");
        delegations.MapGet("/", ListAsync).RequireScope(ApiScopes.Approver, ApiScopes.Auditor, ApiScopes.Admin);
        delegations.MapPost("/", GrantAsync).RequireScope(ApiScopes.Approver, ApiScopes.Admin);
        delegations.MapDelete("/{id}", RevokeAsync).RequireScope(ApiScopes.Approver, ApiScopes.Admin);
        api.MapGet("/reviews", ReviewsAsync).WithTags("Break-glass").RequireScope(ApiScopes.Approver, ApiScopes.Auditor, ApiScopes.Admin);
        api.MapPost("/requests/{id}/reviews", ReviewAsync).WithTags("Break-glass").RequireScope(ApiScopes.Approver);
    }

    private static async Task<IResult> ListAsync(string? person, ChangeStore store, PolicyPack pack, CancellationToken ct)
    {
        var id = string.IsNullOrWhiteSpace(person) ? null : ApprovalDesk.Resolve(pack.Identities, person).PersonId;
        return TypedResults.Ok(await store.ListDelegationsAsync(id, ct).ConfigureAwait(false));
    }

    /// <summary>Grants a delegation: the caller for themselves, or an admin for anyone; never to oneself.</summary>
    private static async Task<IResult> GrantAsync(DelegationBody body, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, TimeProvider time, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.To))
        {
            return Problems.BadRequest("'to' is required: the person who covers (e.g. bob, github:bob).");
        }

        var actor = ApprovalDesk.Resolve(pack.Identities, ApiClaims.IdentityOf(user));
        var delegator = string.IsNullOrWhiteSpace(body.Delegator) ? actor : ApprovalDesk.Resolve(pack.Identities, body.Delegator);
        var to = ApprovalDesk.Resolve(pack.Identities, body.To);
        var now = time.GetUtcNow();
        var from = body.From ?? now;
        if (DelegationRules.Problem(delegator, to, from, body.Until, actor, IsAdmin(user), now) is { } problem)
        {
            return Problems.Result(problem.Rule is "not-delegator" ? StatusCodes.Status403Forbidden : StatusCodes.Status422UnprocessableEntity, problem.Rule, "Delegation refused", problem.Message);
        }

        var reason = string.IsNullOrWhiteSpace(body.Reason) ? null : body.Reason.Trim();
        var granted = await store.GrantDelegationAsync(new Delegation("dl_" + RequestId.New()["cr_".Length..], delegator, to, from, body.Until, reason, actor, now), ct).ConfigureAwait(false);
        return TypedResults.Created($"/api/v1/delegations/{granted.Id}", granted);
    }

    /// <summary>Revokes a delegation: its delegator, its delegate or an admin.</summary>
    private static async Task<IResult> RevokeAsync(string id, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, CancellationToken ct)
    {
        if (await store.GetDelegationAsync(id, ct).ConfigureAwait(false) is not { } delegation)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "not-found", "No such delegation", $"There is no delegation {id}; list them with 'infraguard delegate list'.");
        }

        var actor = ApprovalDesk.Resolve(pack.Identities, ApiClaims.IdentityOf(user));
        if (!IsAdmin(user) && actor.PersonId != delegation.Delegator.PersonId && actor.PersonId != delegation.Delegate.PersonId)
        {
            return Problems.Result(StatusCodes.Status403Forbidden, "not-delegator", "Revocation refused", $"Only {delegation.Delegator.PersonId}, {delegation.Delegate.PersonId} or an admin may revoke {id}.");
        }

        return await store.RevokeDelegationAsync(id, actor, ct).ConfigureAwait(false) is { } revoked
            ? TypedResults.Ok(revoked)
            : Problems.Result(StatusCodes.Status409Conflict, "already-revoked", "Already revoked", $"Delegation {id} was already revoked.");
    }

    /// <summary>Open break-glass reviews (or only the overdue ones), oldest due first.</summary>
    private static async Task<IResult> ReviewsAsync(bool? overdue, ChangeStore store, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var open = await store.ListOpenReviewsAsync(ct).ConfigureAwait(false);
        return TypedResults.Ok(open.Where(o => overdue != true || o.OverdueAt(now)).Select(o => new ReviewView(o.Use, o.Reviews, o.OverdueAt(now))).ToList());
    }

    /// <summary>Records a review through the desk: the reviewer is whoever the token belongs to.</summary>
    private static async Task<IResult> ReviewAsync(string id, ReviewBody body, ClaimsPrincipal user, PolicyPack pack, ApprovalDesk desk, CancellationToken ct)
    {
        if (!Enum.IsDefined(body.Verdict))
        {
            return Problems.BadRequest("verdict must be approve or reject.");
        }

        var raw = ApiClaims.IdentityOf(user);
        var outcome = await desk.ReviewAsync(new DecisionAttempt(id, ApprovalDesk.ApproverFor(pack.Identities, raw), DecisionChannel.Api, body.Verdict, body.Reason), ct).ConfigureAwait(false);
        return outcome.Error is { } error ? Problems.From(error) : TypedResults.Ok(outcome.Request);
    }

    private static bool IsAdmin(ClaimsPrincipal user) => user.HasClaim(ApiClaims.Scope, ApiScopes.Admin);
}
