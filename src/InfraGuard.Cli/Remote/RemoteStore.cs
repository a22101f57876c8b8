using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Core;
using InfraGuard.Server.Api;
using Microsoft.AspNetCore.Mvc;

namespace InfraGuard.Cli.Remote;

/// <summary>
/// The approval server as <see cref="IChangeStore"/> and <see cref="IAuditLog"/> for <c>infraguard up --server</c>:
/// exactly the members <c>GuardedRun</c> uses, over the REST API v1 with a runner token. Transient failures are
/// retried by the HttpClient's resilience pipeline; reads of the request being waited on keep trying through a server
/// restart (up to <see cref="OutageTolerance"/>), and the durable store on the other side finds the request again.
/// A waiting run does not poll: it long-polls the server (<c>GET /api/v1/requests/{id}?wait=…&amp;state=…</c>), which
/// answers as soon as the request leaves the state the run knows.
/// </summary>
internal sealed class RemoteStore(HttpClient http, TimeProvider time, Action<string> notice) : IChangeStore, IRunAuthority, IActionAuthority, IRequestWatch
{
    /// <summary>How long reads keep trying while the server cannot be reached.</summary>
    public static readonly TimeSpan OutageTolerance = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan OutageRetryDelay = TimeSpan.FromSeconds(2);

    /// <summary>Runners submit evidence (<see cref="SubmitAsync"/>); the server makes the request.</summary>
    public Task<CreateRequestResult> CreateAsync(NewChangeRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A runner submits evidence, never a finished request: use SubmitAsync (POST /api/v1/requests with the event log and saved plan).");

    public async Task<Submission> SubmitAsync(RunEvidence evidence, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/requests", SubmitBody.From(evidence), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        await ThrowIfEvidenceRefusedAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<Submission>(response, "score the change", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The server scores the action with its own pack and stores its request (POST /api/v1/actions).</summary>
    public Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, CancellationToken cancellationToken) => SubmitActionAsync(proposal, null, cancellationToken);

    /// <summary>The same, under break-glass when <paramref name="breakGlass"/> is given (<c>exec --break-glass</c>); a refusal has a <c>break-glass-…</c> code.</summary>
    public async Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, Core.Approvals.BreakGlassAsk? breakGlass, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/actions", ActionBody.From(proposal, breakGlass), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            throw new ActionRefusedException(Code(problem) ?? "bad-action", $"The InfraGuard server refused the action: {problem?.Detail ?? response.ReasonPhrase}");
        }

        return await ReadAsync<ActionSubmission>(response, "score the action", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The ID tokens of an approved request for <paramref name="clouds"/>; refused (409/403) before approval or for another runner.</summary>
    /// <exception cref="GrantRefusedException">The server refused: not approved, lapsed, not the submitter, or not configured for a cloud.</exception>
    public async Task<CredentialsView> CredentialsAsync(string requestId, IReadOnlyList<string> clouds, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"api/v1/requests/{Uri.EscapeDataString(requestId)}/credentials", new CredentialsBody(clouds), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity)
        {
            var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            throw new GrantRefusedException(Code(problem) ?? "refused", $"the server refused the cloud credentials of {requestId}: {problem?.Detail ?? response.ReasonPhrase}");
        }

        return await ReadAsync<CredentialsView>(response, $"issue the cloud credentials of {requestId}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the connection and readies the HTTP and JSON code while the engine previews (a start-up cost of tens of
    /// milliseconds per run that would otherwise sit between the preview and the submission). Never fails.
    /// </summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync("healthz", cancellationToken).ConfigureAwait(false);
            _ = System.Text.Json.JsonSerializer.Serialize(SubmitBody.From(new RunEvidence(Core.Changes.EngineKind.Pulumi, "-", "-", [], [], "-", Core.Policy.ActorKind.Pipeline)), ServerJson.Options);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            // The real calls report an unreachable server, with retries and a message that says what to do.
        }
    }

    /// <summary>The server's own verdict on an engine output, for a pull-request check; nothing is stored.</summary>
    public async Task<Core.Risk.Assessment> AssessAsync(RunEvidence evidence, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/assessments", SubmitBody.From(evidence), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        await ThrowIfEvidenceRefusedAsync(response, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<Core.Risk.Assessment>(response, "assess the change", cancellationToken).ConfigureAwait(false);
    }

    public async Task<EngineGrant> PreviewGrantAsync(string stack, string stateFingerprint, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync("api/v1/grants", new PreviewGrantBody(stack, stateFingerprint), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        return await GrantAsync(response, $"issue a preview token for {stack}", cancellationToken).ConfigureAwait(false);
    }

    public async Task<EngineGrant> ApplyGrantAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var response = await http.PostAsync($"api/v1/requests/{Uri.EscapeDataString(request.Id)}/grants", null, cancellationToken).ConfigureAwait(false);
        return await GrantAsync(response, $"issue the apply token of {request.Id}", cancellationToken).ConfigureAwait(false);
    }

    public async Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync($"api/v1/requests/{Uri.EscapeDataString(requestId)}/transitions", new TransitionBody(RequestState.Applying, "applying the approved plan"), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        return await OutcomeAsync(requestId, RequestState.Applying, response, $"move {requestId} to applying", cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken)
    {
        var fields = new JsonObject { ["stack"] = stack, ["phase"] = phase };
        using var response = await http.PostAsJsonAsync("api/v1/audit/events", new AuditEventBody(AuditEventTypes.RunCancelled, requestId, fields), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        await EnsureAsync(response, "record the cancellation", cancellationToken).ConfigureAwait(false);
    }

    private static async Task<EngineGrant> GrantAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Forbidden)
        {
            var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            throw new GrantRefusedException(Code(problem) ?? "refused", $"the server refused to {what}: {problem?.Detail ?? response.ReasonPhrase}");
        }

        var grant = await ReadAsync<GrantView>(response, what, cancellationToken).ConfigureAwait(false);
        return new EngineGrant(grant.TokenId, new Dictionary<string, string> { [grant.Variable] = grant.Token }, grant.ExpiresAt);
    }

    /// <summary>A 422 is the server's word on the evidence (it does not read, or the plan does not match it): never retried.</summary>
    private static async Task ThrowIfEvidenceRefusedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
            throw new SubmissionRefusedException(Code(problem) ?? "bad-evidence", $"The InfraGuard server refused the evidence: {problem?.Detail ?? response.ReasonPhrase}");
        }
    }

    private static string? Code(ProblemDetails? problem) =>
        problem?.Extensions.TryGetValue("code", out var c) == true ? c?.ToString() : null;

    public async Task<ChangeRequest?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        (await GetViewAsync(id, cancellationToken).ConfigureAwait(false))?.Request;

    public async Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var url = $"api/v1/requests?limit={query.Limit}"
            + (query.Stack is null ? string.Empty : "&stack=" + Uri.EscapeDataString(query.Stack))
            + (query.State is null ? string.Empty : "&state=" + Names.Of(query.State.Value));
        using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync<RequestList>(response, "list change requests", cancellationToken).ConfigureAwait(false)).Requests;
    }

    public async Task<IReadOnlyList<RequestDecision>> GetDecisionsAsync(string id, CancellationToken cancellationToken = default) =>
        (await GetViewAsync(id, cancellationToken).ConfigureAwait(false))?.Decisions ?? [];

    public async Task<ApplyOutcome?> GetApplyOutcomeAsync(string id, CancellationToken cancellationToken = default) =>
        (await GetViewAsync(id, cancellationToken).ConfigureAwait(false))?.Outcome;

    public async Task<PlanArtifact?> GetArtifactAsync(string id, ArtifactKind kind, CancellationToken cancellationToken = default)
    {
        var name = kind == ArtifactKind.SavedPlan ? "saved-plan" : "engine-output";
        using var response = await http.GetAsync($"api/v1/requests/{Uri.EscapeDataString(id)}/artifacts/{name}", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await EnsureAsync(response, $"download the {name} of {id}", cancellationToken).ConfigureAwait(false);
        var content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var actual = Convert.ToHexStringLower(SHA256.HashData(content));
        var claimed = response.Headers.TryGetValues("X-Content-SHA256", out var values) ? values.FirstOrDefault() : null;
        return claimed is null || claimed == actual
            ? new PlanArtifact(kind, content, actual)
            : throw new InvalidDataException($"The {name} of {id} downloaded from the server has SHA-256 {actual}, but the server says {claimed}; it was altered in transit.");
    }

    public Task<RequestOutcome> DecideAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("A runner cannot decide on change requests. Approvers decide with their own token (POST /api/v1/requests/{id}/decisions), in Slack, or with 'infraguard approve'.");

    public async Task<RequestOutcome> TransitionAsync(string id, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken = default)
    {
        // The server records the token's identity as the actor; a body field could not change it.
        using var response = await http.PostAsJsonAsync($"api/v1/requests/{Uri.EscapeDataString(id)}/transitions", new TransitionBody(to, reason), ServerJson.Options, cancellationToken).ConfigureAwait(false);
        return await OutcomeAsync(id, to, response, $"move {id} to {Names.Of(to)}", cancellationToken).ConfigureAwait(false);
    }

    public async Task<RequestOutcome> CompleteApplyAsync(string id, ApplyOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        using var response = await http.PostAsJsonAsync($"api/v1/requests/{Uri.EscapeDataString(id)}/outcome", outcome, ServerJson.Options, cancellationToken).ConfigureAwait(false);
        return await OutcomeAsync(id, outcome.Succeeded ? RequestState.Applied : RequestState.Failed, response, $"record the apply outcome of {id}", cancellationToken).ConfigureAwait(false);
    }

    public async Task WaitForChangeAsync(ChangeRequest request, TimeSpan longest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var seconds = Math.Max(1, (int)Math.Ceiling(longest.TotalSeconds));
        try
        {
            using var response = await http.GetAsync($"api/v1/requests/{Uri.EscapeDataString(request.Id)}?wait={seconds}s&state={Names.Of(request.State)}", HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
        {
            // The read that follows rides out the outage and says so; do not spin meanwhile.
            await Task.Delay(longest < OutageRetryDelay ? longest : OutageRetryDelay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads one request, riding out a server restart: transient failures are retried until <see cref="OutageTolerance"/> passes.</summary>
    private async Task<RequestView?> GetViewAsync(string id, CancellationToken cancellationToken)
    {
        var outageStarted = (DateTimeOffset?)null;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"api/v1/requests/{Uri.EscapeDataString(id)}", cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }

                if ((int)response.StatusCode >= 500)
                {
                    throw new HttpRequestException($"the server answered {(int)response.StatusCode}", null, response.StatusCode);
                }

                var view = await ReadAsync<RequestView>(response, $"read {id}", cancellationToken).ConfigureAwait(false);
                if (outageStarted is not null)
                {
                    notice($"The server is reachable again; change request {id} is {Names.Of(view.Request.State)}.");
                }

                return view;
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                outageStarted ??= now;
                if (now - outageStarted > OutageTolerance)
                {
                    throw new HttpRequestException($"The InfraGuard server at {http.BaseAddress} has been unreachable for {OutageTolerance.TotalMinutes:0} minutes ({e.Message}). Change request {id} is kept on the server; re-run to pick it up.", e);
                }

                if (now == outageStarted)
                {
                    notice($"Cannot reach the InfraGuard server at {http.BaseAddress} ({e.Message}); still waiting on {id} and retrying …");
                }

                await Task.Delay(OutageRetryDelay, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(Exception e) =>
        e is HttpRequestException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException or TaskCanceledException or IOException;

    /// <summary>A transition or outcome answer. A conflict whose request already stands where we wanted it (a retried call that had succeeded) counts as success.</summary>
    private async Task<RequestOutcome> OutcomeAsync(string id, RequestState wanted, HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return RequestOutcome.Ok((await response.Content.ReadFromJsonAsync<ChangeRequest>(ServerJson.Options, cancellationToken).ConfigureAwait(false))!);
        }

        var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
        var code = Code(problem);
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound when code == "not-found":
                return RequestOutcome.Fail(new RequestNotFound(id));
            case HttpStatusCode.Conflict when code == "approval-not-recorded":
                return RequestOutcome.Fail(new DecisionRefused(id, problem?.Detail ?? "the server refused to start the apply"));
            case HttpStatusCode.Conflict:
                var current = await GetAsync(id, cancellationToken).ConfigureAwait(false);
                if (current?.State == wanted)
                {
                    return RequestOutcome.Ok(current);
                }

                return RequestOutcome.Fail(new IllegalTransition(id, current?.State ?? wanted, wanted));
            default:
                throw Failure(response, problem, what);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        await EnsureAsync(response, what, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(ServerJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidDataException($"The server sent an empty answer when asked to {what}.");
    }

    private static async Task EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, await ProblemAsync(response, cancellationToken).ConfigureAwait(false), what);
        }
    }

    private static async Task<ProblemDetails?> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return response.Content.Headers.ContentType?.MediaType is "application/problem+json" or "application/json"
                ? await response.Content.ReadFromJsonAsync<ProblemDetails>(ServerJson.Options, cancellationToken).ConfigureAwait(false)
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static RemoteServerException Failure(HttpResponseMessage response, ProblemDetails? problem, string what)
    {
        var status = (int)response.StatusCode;
        var hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => " Check the runner credential: the CI's ID token and the server's Server:Runners trust rules (docs/ci-identity.md), or INFRAGUARD_TOKEN from 'infraguard tokens create --scope runner'.",
            HttpStatusCode.Forbidden => " The token needs the runner scope.",
            _ => string.Empty,
        };
        return new RemoteServerException(status, $"The InfraGuard server refused to {what}: {status} {problem?.Title ?? response.ReasonPhrase}{(problem?.Detail is { } d ? ": " + d : string.Empty)}.{hint}");
    }

    /// <summary>Sets the base address and user agent on a client (the bearer comes from <see cref="RunnerCredentialHandler"/>).</summary>
    public static void Configure(HttpClient client, Uri server)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.BaseAddress = server.AbsoluteUri.EndsWith('/') ? server : new Uri(server.AbsoluteUri + "/");
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("infraguard", CliApp.Version));
    }
}

/// <summary>The server answered with an error that retrying will not fix; the message says what and what to do.</summary>
internal sealed class RemoteServerException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
