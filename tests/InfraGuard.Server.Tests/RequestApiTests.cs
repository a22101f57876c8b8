using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests;

public class RequestApiTests
{
    private static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(ServerJson.Options))!;

    private static Task<HttpResponseMessage> DecideAsync(HttpClient client, string id, string verdict, string reason, string? planHash = null, string? extra = null) =>
        client.PostAsync($"/api/v1/requests/{id}/decisions", new StringContent(
            $$"""{"verdict":"{{verdict}}","reason":"{{reason}}"{{(planHash is null ? "" : $",\"planHash\":\"{planHash}\"")}}{{extra ?? ""}}}""",
            System.Text.Encoding.UTF8, "application/json"));

    [Fact]
    public async Task Healthz_Anonymous_ReportsOk()
    {
        using var world = new ApiWorld();
        using var client = world.NewFactory().CreateClient();

        var health = JsonNode.Parse(await client.GetStringAsync("/healthz"))!;

        Assert.Equal("ok", (string?)health["status"]);
    }

    [Fact]
    public async Task Create_SameBodyTwice_CreatedThenFoundAgain()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);

        using var first = await runner.PostAsJsonAsync("/api/v1/requests", ApiWorld.Body(), ServerJson.Options);
        using var second = await runner.PostAsJsonAsync("/api/v1/requests", ApiWorld.Body(), ServerJson.Options);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var a = await ReadAsync<Core.Runs.Submission>(first);
        var b = await ReadAsync<Core.Runs.Submission>(second);
        Assert.True(a.Created);
        Assert.False(b.Created);
        Assert.Equal(a.Request!.Id, b.Request!.Id);
        Assert.Equal($"/api/v1/requests/{a.Request.Id}", first.Headers.Location!.ToString());
        Assert.Equal(RequestState.Pending, a.Request.State);
        Assert.Equal(ApiWorld.Plan(), (await api.Store.GetArtifactAsync(a.Request.Id, ArtifactKind.SavedPlan))!.Content);
    }

    [Fact]
    public async Task Create_MalformedStateFingerprint_Unprocessable()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);

        using var response = await runner.PostAsJsonAsync("/api/v1/requests", ApiWorld.Body() with { StateFingerprint = "ABC" }, ServerJson.Options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("bad-evidence", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(await api.Store.ListAsync(new RequestQuery()));
    }

    [Fact]
    public async Task Get_KnownAndUnknown_RequestViewOrProblem404()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var approver = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        var view = await approver.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}", ServerJson.Options);
        using var missing = await approver.GetAsync("/api/v1/requests/cr_000000000000");

        Assert.Equal(id, view!.Request.Id);
        Assert.Equal("carol", view.Request.Requester.PersonId);
        Assert.Empty(view.Decisions);
        Assert.Null(view.Outcome);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task List_ByState_ReturnsOnlyMatching()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var pending = await api.CreateRequestAsync(ApiWorld.Body("run-1"));
        var rejected = await api.CreateRequestAsync(ApiWorld.Body("run-2", "other"));
        using var bob = await api.ClientAsync(ApiWorld.Bob, ApiScopes.Approver);
        (await DecideAsync(bob, rejected, "reject", "this database still serves reports")).EnsureSuccessStatusCode();

        var list = await bob.GetFromJsonAsync<RequestList>("/api/v1/requests?state=pending&stack=prod", ServerJson.Options);
        using var bad = await bob.GetAsync("/api/v1/requests?state=sleeping");

        Assert.Equal(pending, Assert.Single(list!.Requests).Id);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Decide_IndependentEligibleApprover_ApprovesAsTheTokensIdentity()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        // An "approver" field in the body is not part of the contract and cannot change who decides.
        using var response = await DecideAsync(alice, id, "approve", "restored from snapshot, safe to drop", extra: ",\"approver\":{\"personId\":\"carol\",\"rawIdentity\":\"github:carol-example\"}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = await ReadAsync<RequestView>(response);
        Assert.Equal(RequestState.Approved, view.Request.State);
        var decision = Assert.Single(view.Decisions);
        Assert.Equal("alice", decision.Approver.PersonId);
        Assert.Equal(ApiWorld.Alice, decision.Approver.RawIdentity);
        Assert.Equal(DecisionChannel.Api, decision.Channel);
        Assert.Equal("restored from snapshot, safe to drop", decision.Reason);
    }

    public static TheoryData<string, string, string, string> Refusals() => new()
    {
        { ApiWorld.Carol, "approve", "You requested this change", "self-approval" },
        { "email:zed@example.com", "approve", "not eligible", "ineligible-approver" },
        { "github:example-deploy-bot[bot]", "reject", "Bots", "bot-or-service-account" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Decide_RefusedByCoreRules_403WithTheRulesCodeAndReason(string identity, string verdict, string expected, string code)
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var client = await api.ClientAsync(identity, ApiScopes.Approver);

        using var response = await DecideAsync(client, id, verdict, "looks fine to me, ship it");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal($"urn:infraguard:problem:{code}", (string?)problem["type"]);
        Assert.Equal(code, (string?)problem["code"]);
        Assert.Contains(expected, (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Contains(expected, (string?)problem["reason"], StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await api.Store.GetAsync(id))!.State);
        Assert.Empty(await api.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Decide_ForAnotherPlanOrWithShortReason_Refused()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        using var otherPlan = await DecideAsync(alice, id, "approve", "checked the plan carefully", planHash: new string('1', 64));
        using var shortReason = await DecideAsync(alice, id, "approve", "ok");

        Assert.Equal(HttpStatusCode.Forbidden, otherPlan.StatusCode);
        Assert.Contains("review the current plan", await otherPlan.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, shortReason.StatusCode);
        Assert.Contains("reason of at least", await shortReason.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_TwoApproversRacing_ExactlyOneTransition()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
        using var bob = await api.ClientAsync(ApiWorld.Bob, ApiScopes.Approver);

        var responses = await Task.WhenAll(
            DecideAsync(alice, id, "approve", "checked replicas and backups"),
            DecideAsync(bob, id, "reject", "not during the sale, please wait"));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        var decisions = await api.Store.GetDecisionsAsync(id);
        var winner = Assert.Single(decisions);
        var state = (await api.Store.GetAsync(id))!.State;
        Assert.Equal(winner.Verdict == Verdict.Approve ? RequestState.Approved : RequestState.Rejected, state);
        var entries = await api.Store.ListEntriesAsync(new Core.Audit.AuditQuery(Request: id));
        Assert.Single(entries, e => e.Kind is "approval.granted" or "approval.denied");
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task LongPoll_DecisionLands_ReturnsTheNewState()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync(requester: ApiWorld.Runner);
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        var poll = runner.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}?wait=30s", ServerJson.Options);
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        (await DecideAsync(alice, id, "approve", "checked replicas and backups")).EnsureSuccessStatusCode();
        var view = await poll.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(RequestState.Approved, view!.Request.State);
        Assert.Single(view.Decisions);
    }

    [Fact]
    public async Task LongPoll_NothingHappens_ReturnsPendingWhenTheWaitEnds()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync(requester: ApiWorld.Runner);
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);

        var poll = runner.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}?wait=30s&state=pending", ServerJson.Options);
        await Task.Delay(300);
        Assert.False(poll.IsCompleted);
        var advanced = TimeSpan.Zero;
        while (!poll.IsCompleted && advanced < TimeSpan.FromMinutes(5))
        {
            world.Time.Advance(TimeSpan.FromSeconds(5));
            advanced += TimeSpan.FromSeconds(5);
            await Task.Delay(20);
        }

        var view = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(RequestState.Pending, view!.Request.State);
        Assert.InRange(advanced, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task Restart_BetweenRequestAndDecision_LosesNothing()
    {
        using var world = new ApiWorld();
        var first = world.NewFactory();
        var id = await first.CreateRequestAsync();
        first.Dispose();

        var second = world.NewFactory();
        using var alice = await second.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
        using var decided = await DecideAsync(alice, id, "approve", "restored from snapshot, safe to drop");
        var view = await alice.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}", ServerJson.Options);

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        Assert.Equal(RequestState.Approved, view!.Request.State);
        Assert.Equal(ApiWorld.Plan(), (await second.Store.GetArtifactAsync(id, ArtifactKind.SavedPlan))!.Content);
        var keys = await second.Store.ListKeysAsync();
        Assert.True((await second.Store.VerifyAsync(keys)).IsValid);
    }

    [Fact]
    public async Task RunnerFlow_ApproveApplyingArtifactOutcome_AllRecordedTogether()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync(requester: ApiWorld.Runner);
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
        using var auditor = await api.ClientAsync("github:audrey", ApiScopes.Auditor);
        (await DecideAsync(alice, id, "approve", "restored from snapshot, safe to drop")).EnsureSuccessStatusCode();

        using var applying = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Applying, "applying the approved plan"), ServerJson.Options);
        using var artifact = await runner.GetAsync($"/api/v1/requests/{id}/artifacts/saved-plan");
        using var outcome = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/outcome",
            new ApplyOutcome(true, 0, new Dictionary<Core.Changes.ChangeOp, int> { [Core.Changes.ChangeOp.Delete] = 1 }, ""), ServerJson.Options);

        Assert.Equal(HttpStatusCode.OK, applying.StatusCode);
        Assert.Equal(ApiWorld.Plan(), await artifact.Content.ReadAsByteArrayAsync());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(ApiWorld.Plan())), artifact.Headers.GetValues("X-Content-SHA256").Single());
        Assert.Equal(HttpStatusCode.OK, outcome.StatusCode);
        var view = await auditor.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}", ServerJson.Options);
        Assert.Equal(RequestState.Applied, view!.Request.State);
        Assert.Equal("alice", Assert.Single(view.Decisions).Approver.PersonId);
        Assert.True(view.Outcome!.Succeeded);
        Assert.Equal(1, view.Outcome.Counts[Core.Changes.ChangeOp.Delete]);
        var entries = await auditor.GetFromJsonAsync<AuditEntryList>($"/api/v1/audit/entries?request={id}", ServerJson.Options);
        Assert.Equal(["plan.submitted", "approval.granted", "deploy.started", "deploy.completed"], entries!.Entries.Select(e => e.Kind));
        var started = JsonNode.Parse(entries.Entries[2].Payload)!;
        Assert.Equal(ApiWorld.Runner, (string?)started["actor"]!["identity"]);
    }

    [Fact]
    public async Task Transition_ToApprovedByRunner_NotAllowed()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync(requester: ApiWorld.Runner);
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);

        using var approved = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Approved, "approving myself"), ServerJson.Options);
        using var applying = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Applying, "applying without approval"), ServerJson.Options);
        using var cancelled = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Cancelled, "run interrupted"), ServerJson.Options);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, approved.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, applying.StatusCode);
        var problem = JsonNode.Parse(await applying.Content.ReadAsStringAsync())!;
        Assert.Equal("pending", (string?)problem["from"]);
        Assert.Equal("applying", (string?)problem["to"]);
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(RequestState.Cancelled, (await api.Store.GetAsync(id))!.State);
    }
}
