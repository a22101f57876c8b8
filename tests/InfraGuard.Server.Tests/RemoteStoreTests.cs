using System.Text.Json.Nodes;
using InfraGuard.Cli.Remote;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests;

/// <summary>The CLI's HTTP store against the real API: every member GuardedRun uses.</summary>
public class RemoteStoreTests
{
    [Fact]
    public async Task RemoteStore_GuardedRunMembers_RoundTripThroughTheApi()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var issued = await api.Store.CreateTokenAsync(ApiWorld.Runner, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"));
        using var http = api.WithToken(issued.Token);
        var notices = new List<string>();
        var remote = new RemoteStore(http, world.Time, notices.Add);
        var body = ApiWorld.Body();

        var created = await remote.CreateAsync(body.ToModel());
        var again = await remote.CreateAsync(body.ToModel());
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
        (await alice.PostAsync($"/api/v1/requests/{created.Request.Id}/decisions", new StringContent("""{"verdict":"approve","reason":"checked replicas and backups"}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var approved = await remote.GetAsync(created.Request.Id);
        var plan = await remote.GetArtifactAsync(created.Request.Id, ArtifactKind.SavedPlan);
        var applying = await remote.TransitionAsync(created.Request.Id, RequestState.Applying, new PersonRef("infraguard", "system:infraguard"), "applying the approved plan");
        var retried = await remote.TransitionAsync(created.Request.Id, RequestState.Applying, new PersonRef("infraguard", "system:infraguard"), "applying the approved plan");
        var done = await remote.CompleteApplyAsync(created.Request.Id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Delete] = 1 }, ""));
        var entry = await remote.AppendAsync(new AuditEvent(AuditEventTypes.RunCancelled, world.Time.GetUtcNow(), null, new Dictionary<string, JsonNode?> { ["stack"] = "prod", ["phase"] = "preview" }));

        Assert.True(created.Created);
        Assert.False(again.Created);
        Assert.Equal(created.Request.Id, again.Request.Id);
        Assert.Equal(RequestState.Approved, approved!.State);
        Assert.Equal(ApiWorld.Plan(), plan!.Content);
        Assert.Equal(body.PlanHash, plan.Sha256);
        Assert.Equal(RequestState.Applying, applying.Request!.State);
        Assert.True(retried.Succeeded, "a retried transition that already happened counts as done");
        Assert.Equal(RequestState.Applied, done.Request!.State);
        Assert.Equal(1, (await remote.GetApplyOutcomeAsync(created.Request.Id))!.Counts[ChangeOp.Delete]);
        Assert.Equal("run.cancelled", entry.Kind);
        Assert.Null(await remote.GetAsync("cr_000000000000"));
        await Assert.ThrowsAsync<NotSupportedException>(() => remote.DecideAsync(created.Request.Id, null!, null!));
    }

    [Fact]
    public async Task RemoteStore_ExpiredOnlyByTransitionRules_IllegalTransitionMapped()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var issued = await api.Store.CreateTokenAsync(ApiWorld.Runner, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"));
        using var http = api.WithToken(issued.Token);
        var remote = new RemoteStore(http, world.Time, _ => { });
        var id = (await remote.CreateAsync(ApiWorld.Body().ToModel())).Request.Id;

        var applying = await remote.TransitionAsync(id, RequestState.Applying, new PersonRef("x", "y"), "applying without approval");

        Assert.False(applying.Succeeded);
        var illegal = Assert.IsType<IllegalTransition>(applying.Error);
        Assert.Equal(RequestState.Pending, illegal.From);
    }
}
