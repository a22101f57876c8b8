using System.Security.Claims;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Requests;
using InfraGuard.Core;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
using InfraGuard.Server.Oidc;
using InfraGuard.Store;

namespace InfraGuard.Server.Api;

/// <summary>
/// /api/v1/actions: privileged actions as requests of their kind; /api/v1/requests/{id}/credentials: the ID tokens of
/// an approved request; /.well-known: the OIDC issuer's discovery document and JWKS.
/// </summary>
internal static class ActionEndpoints
{
    public static void Map(WebApplication app, RouteGroupBuilder api)
    {
        var actions = api.MapGroup("/actions").WithTags("Actions");
        actions.MapPost("/", SubmitAsync).RequireScope(ApiScopes.Runner);
        actions.MapPost("/assessments", Assess).RequireScope(ApiScopes.Runner);
        api.MapPost("/requests/{id}/credentials", CredentialsAsync).WithTags("Change requests").RequireScope(ApiScopes.Runner);
        app.MapGet("/.well-known/openid-configuration", (OidcIssuer issuer) => TypedResults.Json(issuer.Discovery())).AllowAnonymous();
        app.MapGet("/.well-known/jwks.json", (OidcIssuer issuer) => TypedResults.Json(issuer.Jwks())).AllowAnonymous();
    }

    /// <summary>
    /// A runner (or an agent's runner) asks for an action; the server scores it with its own pack. 201 with a new request,
    /// 200 when found again or blocked (<c>assessment.decision</c> says which; a blocked action has no request).
    /// </summary>
    private static async Task<IResult> SubmitAsync(ActionBody body, ClaimsPrincipal user, Authorities authorities, RequestChanges changes, FollowUpSweep followUps, ILoggerFactory logs, CancellationToken ct)
    {
        var log = Logger(logs);
        var identity = ApiClaims.IdentityOf(user);
        var proposal = body.ToProposal();
        var subject = proposal.Action.Target ?? proposal.Action.Program;
        if (!Authorities.MayTouch(user, subject))
        {
            ServerLog.StackRefused(log, identity, subject);
            return Problems.Result(StatusCodes.Status403Forbidden, "stack-not-allowed", "Target not allowed",
                $"The credential {identity} may touch only {string.Join(", ", ApiClaims.StacksOf(user))}; '{subject}' is not among them. Ask the server's admin to extend the trust rule.");
        }

        ActionSubmission submission;
        try
        {
            submission = body.BreakGlass is { } ask
                ? await authorities.BreakGlassActionsFor(user).SubmitAsync(proposal, ask, ct).ConfigureAwait(false)
                : await authorities.ActionsFor(user).SubmitActionAsync(proposal, ct).ConfigureAwait(false);
        }
        catch (ActionRefusedException e)
        {
            ServerLog.ActionRefused(log, e.Code, identity);
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, e.Code, "Action refused", e.Message);
        }

        var a = submission.Assessment;
        ServerLog.ActionScored(log, submission.Action.Kind, a.Score, a.Decision.ToString().ToLowerInvariant(), a.Tier, identity);
        if (submission.Request is not { } request)
        {
            return TypedResults.Ok(submission);
        }

        changes.Changed(request.Id);
        if (body.BreakGlass is not null)
        {
            followUps.Poke(); // announce the break-glass on every channel now, not at the next sweep
        }

        ServerLog.RequestCreated(log, request.Id, submission.Created ? "created" : "found again", request.Stack, request.PlanHash, identity);
        return submission.Created ? TypedResults.Created($"/api/v1/requests/{request.Id}", submission) : TypedResults.Ok(submission);
    }

    /// <summary>Only the verdict on an action; nothing is stored.</summary>
    private static IResult Assess(ActionBody body, ClaimsPrincipal user, Authorities authorities)
    {
        try
        {
            return TypedResults.Ok(authorities.ActionsFor(user).Assess(body.ToProposal()));
        }
        catch (ActionRefusedException e)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, e.Code, "Action refused", e.Message);
        }
    }

    /// <summary>
    /// The ID tokens of an approved request (infrastructure or action), one per cloud asked for: only to the runner
    /// that submitted it, only while it is approved and its approval has not lapsed, only once the signed audit log
    /// holds the approval of exactly its plan or action hash. 409 before approval.
    /// </summary>
    private static async Task<IResult> CredentialsAsync(
        string id, CredentialsBody body, ClaimsPrincipal user, ChangeStore store, Authorities authorities, OidcIssuer issuer, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        var log = Logger(logs);
        var identity = ApiClaims.IdentityOf(user);
        var clouds = (body.Clouds ?? []).Select(c => c.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (clouds.Count == 0 || clouds.Any(c => !OidcIssuer.Clouds.Contains(c)))
        {
            return Problems.BadRequest($"clouds must name one or more of {string.Join(", ", OidcIssuer.Clouds)}.");
        }

        if (clouds.FirstOrDefault(c => string.IsNullOrWhiteSpace(issuer.AudienceFor(c))) is { } unconfigured)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "cloud-not-configured", "Cloud not configured",
                $"This server issues no {unconfigured} credentials: set Server:Oidc:{char.ToUpperInvariant(unconfigured[0])}{unconfigured[1..]}Audience (see docs/credentials.md).");
        }

        if (await store.GetAsync(id, ct).ConfigureAwait(false) is not { } request)
        {
            return Problems.NotFound(id);
        }

        string? refusal = null;
        var code = "not-approved";
        if (!string.Equals(request.SubmittedBy, identity, StringComparison.Ordinal))
        {
            ServerLog.GrantRefused(log, "credentials", id, identity, "not-submitter");
            return Problems.Result(StatusCodes.Status403Forbidden, "not-submitter", "Not the submitting runner",
                $"Change request {id} was submitted by {request.SubmittedBy}; only that runner may obtain its credentials.");
        }

        if (request.State != RequestState.Approved)
        {
            refusal = $"Change request {id} is {Names.Of(request.State)}; credentials are issued only for an approved request, before it runs.";
        }
        else if (time.GetUtcNow() >= request.ExpiresAt)
        {
            (code, refusal) = ("approval-lapsed", $"The approval of {id} lapsed at {request.ExpiresAt:u}; re-run to ask again.");
        }
        else if (await authorities.For(user).SignedApprovalProblemAsync(request, ct).ConfigureAwait(false) is { } problem)
        {
            (code, refusal) = ("approval-not-recorded", problem);
        }

        if (refusal is not null)
        {
            ServerLog.GrantRefused(log, "credentials", id, identity, code);
            return Problems.Result(StatusCodes.Status409Conflict, code, "Credentials refused", refusal, new Dictionary<string, object?> { ["requestId"] = id });
        }

        var decisions = await store.GetDecisionsAsync(id, ct).ConfigureAwait(false);
        var issued = new List<CredentialView>();
        foreach (var cloud in clouds)
        {
            var audience = issuer.AudienceFor(cloud)!;
            var token = issuer.Issue(request, decisions, audience);
            await store.AppendAsync(
                RequestAuditEvents.GrantIssued(id, request.Stack, "oidc:" + cloud, request.PlanHash, token.TokenId, identity, token.ExpiresAt, time.GetUtcNow()),
                ct).ConfigureAwait(false);
            ServerLog.GrantIssued(log, "oidc:" + cloud, token.TokenId, request.Stack, identity);
            issued.Add(new CredentialView(cloud, audience, token.Token, token.TokenId, token.ExpiresAt));
        }

        return TypedResults.Ok(new CredentialsView(issuer.Issuer, OidcIssuer.Subject(request), issued));
    }

    private static ILogger Logger(ILoggerFactory logs) => logs.CreateLogger("InfraGuard.Server.Actions");
}
