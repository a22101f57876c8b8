using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
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
        var (granted, refusal) = await Delegations.GrantAsync(user, body.To, body.From, body.Until, body.Reason, body.Delegator, store, pack, time, ct).ConfigureAwait(false);
        return refusal switch
        {
            null => TypedResults.Created($"/api/v1/delegations/{granted!.Id}", granted),
            { Code: "bad-request" } => Problems.BadRequest(refusal.Message),
            _ => Problems.Result(refusal.Code is "not-delegator" ? StatusCodes.Status403Forbidden : StatusCodes.Status422UnprocessableEntity, refusal.Code, "Delegation refused", refusal.Message),
        };
    }

    /// <summary>Revokes a delegation: its delegator, its delegate or an admin.</summary>
    private static async Task<IResult> RevokeAsync(string id, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, CancellationToken ct)
    {
        var (revoked, refusal) = await Delegations.RevokeAsync(user, id, store, pack, ct).ConfigureAwait(false);
        return refusal switch
        {
            null => TypedResults.Ok(revoked),
            { Code: "not-found" } => Problems.Result(StatusCodes.Status404NotFound, "not-found", "No such delegation", refusal.Message),
            { Code: "already-revoked" } => Problems.Result(StatusCodes.Status409Conflict, "already-revoked", "Already revoked", refusal.Message),
            _ => Problems.Result(StatusCodes.Status403Forbidden, refusal.Code, "Revocation refused", refusal.Message),
        };
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

}
