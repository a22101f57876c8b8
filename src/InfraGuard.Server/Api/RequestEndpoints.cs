using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Core;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Api;

/// <summary>/api/v1/requests: create, read (with long-poll), list, decide, transition, report the outcome, download the plan.</summary>
internal static class RequestEndpoints
{
    /// <summary>The transitions a runner may ask for; approved/rejected only come from decisions, applied/failed from the outcome.</summary>
    private static readonly HashSet<RequestState> RunnerTransitions = [RequestState.Applying, RequestState.Cancelled, RequestState.Expired, RequestState.Superseded];

    public static void Map(RouteGroupBuilder api)
    {
        var requests = api.MapGroup("/requests").WithTags("Change requests");
        requests.MapPost("/", SubmitAsync).RequireScope(ApiScopes.Runner);
        requests.MapGet("/", ListAsync).RequireScope(ApiScopes.Runner, ApiScopes.Approver, ApiScopes.Auditor, ApiScopes.Admin);
        requests.MapGet("/{id}", GetAsync).RequireScope(ApiScopes.Runner, ApiScopes.Approver, ApiScopes.Auditor, ApiScopes.Admin);
        requests.MapPost("/{id}/decisions", DecideAsync).RequireScope(ApiScopes.Approver);
        requests.MapPost("/{id}/transitions", TransitionAsync).RequireScope(ApiScopes.Runner);
        requests.MapPost("/{id}/outcome", OutcomeAsync).RequireScope(ApiScopes.Runner);
        requests.MapGet("/{id}/artifacts/{kind}", ArtifactAsync).RequireScope(ApiScopes.Runner);
        requests.MapPost("/{id}/grants", ApplyGrantAsync).RequireScope(ApiScopes.Runner);
        api.MapPost("/grants", PreviewGrantAsync).WithTags("Change requests").RequireScope(ApiScopes.Runner);
        api.MapPost("/assessments", AssessAsync).WithTags("Change requests").RequireScope(ApiScopes.Runner);
    }

    /// <summary>
    /// A runner submits evidence; the server reads and scores it with its own pack. 201 with a new request, 200 when
    /// found again or when nothing needs a request (no changes, or blocked: <c>assessment.decision</c> says which).
    /// </summary>
    private static async Task<IResult> SubmitAsync(SubmitBody body, ClaimsPrincipal user, Authorities authorities, RequestChanges changes, FollowUpSweep followUps, ILoggerFactory logs, CancellationToken ct)
    {
        var log = Logger(logs);
        var identity = ApiClaims.IdentityOf(user);
        if (body.ToEvidence() is not { } evidence)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "unknown-engine", "Unknown engine", $"engine '{body.Engine}' is not one this server reads; use 'pulumi'.");
        }

        if (string.IsNullOrWhiteSpace(evidence.Stack) || string.IsNullOrWhiteSpace(evidence.Project))
        {
            return Problems.BadRequest("stack and project are required.");
        }

        if (!Authorities.MayTouch(user, evidence.Stack))
        {
            ServerLog.StackRefused(log, identity, evidence.Stack);
            return Problems.Result(StatusCodes.Status403Forbidden, "stack-not-allowed", "Stack not allowed",
                $"The credential {identity} may touch only {string.Join(", ", ApiClaims.StacksOf(user))}; '{evidence.Stack}' is not among them. Ask the server's admin to extend the trust rule.");
        }

        Submission submission;
        try
        {
            submission = await authorities.For(user).SubmitAsync(evidence, ct).ConfigureAwait(false);
        }
        catch (SubmissionRefusedException e)
        {
            ServerLog.SubmissionRefused(log, evidence.Stack, e.Code, identity);
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, e.Code, "Evidence refused", e.Message);
        }

        var a = submission.Assessment;
        ServerLog.Scored(log, evidence.Stack, a.Score, a.Decision.ToString().ToLowerInvariant(), a.Tier, identity);
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

    /// <summary>A pull-request check: the server's own verdict on an engine output; nothing is stored.</summary>
    private static IResult AssessAsync(SubmitBody body, ClaimsPrincipal user, Authorities authorities)
    {
        if (body.ToEvidence() is not { } evidence)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "unknown-engine", "Unknown engine", $"engine '{body.Engine}' is not one this server reads; use 'pulumi'.");
        }

        try
        {
            return TypedResults.Ok(authorities.For(user).Assess(evidence));
        }
        catch (SubmissionRefusedException e)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, e.Code, "Evidence refused", e.Message);
        }
    }

    /// <summary>An apply token for an approved request: only for the runner that submitted it, only once the signed log holds the approval.</summary>
    private static async Task<IResult> ApplyGrantAsync(string id, ClaimsPrincipal user, ChangeStore store, Authorities authorities, ILoggerFactory logs, CancellationToken ct)
    {
        if (await store.GetAsync(id, ct).ConfigureAwait(false) is not { } request)
        {
            return Problems.NotFound(id);
        }

        return await GrantAsync(user, logs, "apply", id, () => authorities.For(user).ApplyGrantAsync(request, ct)).ConfigureAwait(false);
    }

    /// <summary>A preview token for a stack the runner may touch, bound to the state it fingerprinted.</summary>
    private static async Task<IResult> PreviewGrantAsync(PreviewGrantBody body, ClaimsPrincipal user, Authorities authorities, ILoggerFactory logs, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Stack) || body.StateFingerprint is not { Length: 64 } || !body.StateFingerprint.All(char.IsAsciiHexDigitLower))
        {
            return Problems.BadRequest("stack and stateFingerprint (lower-case hex SHA-256, 64 characters) are required.");
        }

        if (!Authorities.MayTouch(user, body.Stack))
        {
            return Problems.Result(StatusCodes.Status403Forbidden, "stack-not-allowed", "Stack not allowed", $"The credential {ApiClaims.IdentityOf(user)} may not touch stack '{body.Stack}'.");
        }

        return await GrantAsync(user, logs, "preview", body.Stack, () => authorities.For(user).PreviewGrantAsync(body.Stack, body.StateFingerprint, ct)).ConfigureAwait(false);
    }

    private static async Task<IResult> GrantAsync(ClaimsPrincipal user, ILoggerFactory logs, string purpose, string subject, Func<Task<EngineGrant>> grant)
    {
        var log = Logger(logs);
        var identity = ApiClaims.IdentityOf(user);
        try
        {
            var issued = await grant().ConfigureAwait(false);
            ServerLog.GrantIssued(log, purpose, issued.TokenId, subject, identity);
            var (variable, token) = issued.Environment.Single();
            return TypedResults.Ok(new GrantView(issued.TokenId, token, variable, issued.ExpiresAt));
        }
        catch (GrantRefusedException e)
        {
            ServerLog.GrantRefused(log, purpose, subject, identity, e.Code);
            var status = e.Code is "not-submitter" ? StatusCodes.Status403Forbidden : StatusCodes.Status409Conflict;
            return Problems.Result(status, e.Code, "Grant refused", e.Message);
        }
    }

    private static async Task<IResult> ListAsync(ChangeStore store, string? stack, string? state, int? limit, CancellationToken ct)
    {
        RequestState? parsed = null;
        if (state is not null)
        {
            if (!Enum.TryParse<RequestState>(state, ignoreCase: true, out var s) || int.TryParse(state, out _))
            {
                return Problems.BadRequest($"state '{state}' is not a request state; use one of: {string.Join(", ", Enum.GetValues<RequestState>().Select(Names.Of))}.");
            }

            parsed = s;
        }

        if (limit is < 1 or > 1000)
        {
            return Problems.BadRequest("limit must be between 1 and 1000.");
        }

        var list = await store.ListAsync(new RequestQuery(stack, parsed, limit ?? 100), ct).ConfigureAwait(false);
        return TypedResults.Ok(new RequestList(list));
    }

    /// <summary>
    /// GET one request. With <c>?wait=30s</c> it returns as soon as the state differs from <c>?state=</c> (default:
    /// the state when the call arrived), or when the wait ends; either way 200 with the current request. A server that
    /// starts shutting down answers its waiting long-polls at once (with <c>Connection: close</c>), so runners ask
    /// again, and reach another replica, instead of holding on until the connection drops.
    /// </summary>
    /// <summary>The least time between a waiting long-poll's re-reads on a shared (PostgreSQL) store.</summary>
    private static readonly TimeSpan SharedPoll = TimeSpan.FromSeconds(15);

    private static async Task<IResult> GetAsync(
        string id, string? wait, string? state, HttpContext http, ChangeStore store, RequestChanges changes, TimeProvider time, IOptions<ServerOptions> options, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        TimeSpan? waitFor = null;
        if (wait is not null)
        {
            if (!Duration.TryParse(wait, out var w) || w <= TimeSpan.Zero)
            {
                return Problems.BadRequest($"wait '{wait}' is not a duration; use e.g. 30s or 1m.");
            }

            waitFor = TimeSpan.FromSeconds(Math.Min(w.TotalSeconds, options.Value.MaxWaitSeconds));
        }

        RequestState? known = null;
        if (state is not null)
        {
            if (!Enum.TryParse<RequestState>(state, ignoreCase: true, out var s) || int.TryParse(state, out _))
            {
                return Problems.BadRequest($"state '{state}' is not a request state.");
            }

            known = s;
        }

        var deadline = time.GetUtcNow() + (waitFor ?? TimeSpan.Zero);
        // Every change reaches RequestChanges (this server at once; others through NOTIFY on PostgreSQL and the audit-log
        // feed), so the re-read is a safety net. With several servers on PostgreSQL it is at least SharedPoll apart and
        // jittered, so thousands of waiting runners do not drain the connection pool every second.
        var poll = TimeSpan.FromMilliseconds(store.IsShared ? Math.Max(options.Value.PollMilliseconds, SharedPoll.TotalMilliseconds) * (0.75 + (unchecked((uint)StringComparer.Ordinal.GetHashCode(id)) % 1000 / 2000.0)) : options.Value.PollMilliseconds);
        var stopping = lifetime.ApplicationStopping;
        using var wake = waitFor is null ? null : CancellationTokenSource.CreateLinkedTokenSource(ct, stopping);
        while (true)
        {
            var next = changes.Next(id);
            var request = await store.GetAsync(id, ct).ConfigureAwait(false);
            if (request is null)
            {
                return Problems.NotFound(id);
            }

            known ??= request.State;
            var remaining = deadline - time.GetUtcNow();
            if (waitFor is null || request.State != known || remaining <= TimeSpan.Zero || stopping.IsCancellationRequested)
            {
                if (stopping.IsCancellationRequested)
                {
                    http.Response.Headers.Connection = "close";
                    http.Response.Headers[ServerHeaders.Draining] = "1";
                }

                var decisions = await store.GetDecisionsAsync(id, ct).ConfigureAwait(false);
                var outcome = await store.GetApplyOutcomeAsync(id, ct).ConfigureAwait(false);
                return TypedResults.Ok(new RequestView(request, decisions, outcome));
            }

            await Task.WhenAny(next, Task.Delay(remaining < poll ? remaining : poll, time, wake!.Token)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
    }

    private static async Task<IResult> DecideAsync(
        string id, DecideBody body, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, ApprovalDesk desk, ILoggerFactory logs, CancellationToken ct)
    {
        if (!Enum.IsDefined(body.Verdict))
        {
            return Problems.BadRequest("verdict must be approve or reject.");
        }

        // The approver is whoever the token belongs to; nothing in the body can change that.
        var raw = ApiClaims.IdentityOf(user);
        var outcome = await desk.DecideAsync(new DecisionAttempt(id, ApprovalDesk.ApproverFor(pack.Identities, raw), DecisionChannel.Api, body.Verdict, body.Reason, body.PlanHash), ct).ConfigureAwait(false);
        var log = Logger(logs);
        if (outcome.Error is { } error)
        {
            ServerLog.DecisionRefused(log, body.Verdict, id, raw, error.GetType().Name);
            return Problems.From(error);
        }

        ServerLog.DecisionRecorded(log, body.Verdict, id, raw, outcome.Request!.State);
        var decisions = await store.GetDecisionsAsync(id, ct).ConfigureAwait(false);
        return TypedResults.Ok(new RequestView(outcome.Request, decisions, null));
    }

    private static async Task<IResult> TransitionAsync(
        string id, TransitionBody body, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, Authorities authorities, RequestChanges changes, ILoggerFactory logs, CancellationToken ct)
    {
        if (!RunnerTransitions.Contains(body.To))
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "transition-not-allowed", "Not a runner transition",
                $"A runner may move a request to {string.Join(", ", RunnerTransitions.Select(Names.Of))}; '{Names.Of(body.To)}' comes from decisions or the apply outcome.");
        }

        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return Problems.BadRequest("reason is required: it is stored in the audit log.");
        }

        var raw = ApiClaims.IdentityOf(user);
        if (await SubmitterCheckAsync(id, user, store, ct).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        // Applying goes through the authority: it starts only when the signed log holds the approval of exactly this plan.
        var outcome = body.To == RequestState.Applying
            ? await authorities.For(user).BeginApplyAsync(id, ct).ConfigureAwait(false)
            : await store.TransitionAsync(id, body.To, ApprovalDesk.Resolve(pack.Identities, raw), body.Reason.Trim(), ct).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            return error is DecisionRefused r
                ? Problems.Result(StatusCodes.Status409Conflict, "approval-not-recorded", "Apply refused", r.Reason, new Dictionary<string, object?> { ["requestId"] = id })
                : Problems.From(error);
        }

        changes.Changed(id);
        ServerLog.Transitioned(Logger(logs), id, body.To, raw);
        return TypedResults.Ok(outcome.Request);
    }

    private static async Task<IResult> OutcomeAsync(string id, ApplyOutcome body, ClaimsPrincipal user, ChangeStore store, RequestChanges changes, ILoggerFactory logs, CancellationToken ct)
    {
        if (await SubmitterCheckAsync(id, user, store, ct).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var outcome = await store.CompleteApplyAsync(id, body with { Counts = body.Counts ?? new Dictionary<Core.Changes.ChangeOp, int>(), Diagnostics = body.Diagnostics ?? string.Empty }, ct).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            return Problems.From(error);
        }

        changes.Changed(id);
        ServerLog.ApplyCompleted(Logger(logs), id, outcome.Request!.PlanHash, outcome.Request.State, body.ExitCode);
        return TypedResults.Ok(outcome.Request);
    }

    /// <summary>Null when the caller is the runner credential that submitted the request; else the 404 or 403 to answer.</summary>
    private static async Task<IResult?> SubmitterCheckAsync(string id, ClaimsPrincipal user, ChangeStore store, CancellationToken ct)
    {
        var request = await store.GetAsync(id, ct).ConfigureAwait(false);
        return request is null ? Problems.NotFound(id)
            : string.Equals(request.SubmittedBy, ApiClaims.IdentityOf(user), StringComparison.Ordinal) ? null
            : Problems.Result(StatusCodes.Status403Forbidden, "not-submitter", "Not the submitting runner",
                $"Change request {id} was submitted by {request.SubmittedBy}; only that runner may move it, report its outcome or read its plan.");
    }

    private static async Task<IResult> ArtifactAsync(string id, string kind, ClaimsPrincipal user, HttpContext http, ChangeStore store, ILoggerFactory logs, CancellationToken ct)
    {
        ArtifactKind? parsed = kind switch
        {
            "saved-plan" => ArtifactKind.SavedPlan,
            "engine-output" => ArtifactKind.EngineOutput,
            _ => null,
        };
        if (parsed is null)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "not-found", "No such artifact", $"Artifact '{kind}' is not known; use saved-plan or engine-output.");
        }

        if (await SubmitterCheckAsync(id, user, store, ct).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var artifact = await store.GetArtifactAsync(id, parsed.Value, ct).ConfigureAwait(false);
        if (artifact is null)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "not-found", "No such artifact", $"Change request {id} has no {kind}.");
        }

        ServerLog.ArtifactDownloaded(Logger(logs), id, artifact.Sha256, ApiClaims.IdentityOf(user));
        http.Response.Headers["X-Content-SHA256"] = artifact.Sha256;
        return TypedResults.File(artifact.Content, "application/octet-stream", $"{id}-{kind}", entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{artifact.Sha256}\""));
    }

    private static ILogger Logger(ILoggerFactory logs) => logs.CreateLogger("InfraGuard.Server.Requests");
}
