using InfraGuard.Cli.Remote;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests;

/// <summary>The CLI's HTTP authority and store against the real API: every member GuardedRun uses.</summary>
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
        var evidence = ApiWorld.Body().ToEvidence()!;

        var created = await remote.SubmitAsync(evidence, TestContext.Current.CancellationToken);
        var again = await remote.SubmitAsync(evidence, TestContext.Current.CancellationToken);
        var id = created.Request!.Id;
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
        (await alice.PostAsync($"/api/v1/requests/{id}/decisions", new StringContent("""{"verdict":"approve","reason":"checked replicas and backups"}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        var approved = await remote.GetAsync(id);
        var plan = await remote.GetArtifactAsync(id, ArtifactKind.SavedPlan);
        var grant = await remote.ApplyGrantAsync(approved!, TestContext.Current.CancellationToken);
        var applying = await remote.BeginApplyAsync(id, TestContext.Current.CancellationToken);
        var retried = await remote.BeginApplyAsync(id, TestContext.Current.CancellationToken);
        var done = await remote.CompleteApplyAsync(id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Delete] = 1 }, ""));
        await remote.RecordCancelledAsync("prod", null, "preview", TestContext.Current.CancellationToken);

        Assert.True(created.Created);
        Assert.False(again.Created);
        Assert.Equal(Core.Risk.Decision.Review, created.Assessment.Decision);
        Assert.Equal(id, again.Request!.Id);
        Assert.Equal(ApiWorld.Runner, created.Request.SubmittedBy);
        Assert.Equal(ApiWorld.Runner, created.Request.Requester.RawIdentity);
        Assert.Equal(RequestState.Approved, approved!.State);
        Assert.Equal(ApiWorld.Plan(), plan!.Content);
        Assert.StartsWith("igt1.", grant.Environment[Core.Approvals.ApprovalToken.EnvironmentVariable], StringComparison.Ordinal);
        Assert.StartsWith("tok_", grant.TokenId, StringComparison.Ordinal);
        Assert.Equal(RequestState.Applying, applying.Request!.State);
        Assert.True(retried.Succeeded, "a retried transition that already happened counts as done");
        Assert.Equal(RequestState.Applied, done.Request!.State);
        Assert.Equal(1, (await remote.GetApplyOutcomeAsync(id))!.Counts[ChangeOp.Delete]);
        Assert.Single(await api.Store.ListEntriesAsync(new Core.Audit.AuditQuery(Kind: "run.cancelled")));
        Assert.Null(await remote.GetAsync("cr_000000000000"));
        await Assert.ThrowsAsync<NotSupportedException>(() => remote.DecideAsync(id, null!, null!));
    }

    [Fact]
    public async Task RemoteStore_ApplyBeforeApproval_IllegalTransitionAndNoGrant()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var issued = await api.Store.CreateTokenAsync(ApiWorld.Runner, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"));
        using var http = api.WithToken(issued.Token);
        var remote = new RemoteStore(http, world.Time, _ => { });
        var submitted = await remote.SubmitAsync(ApiWorld.Body().ToEvidence()!, TestContext.Current.CancellationToken);
        var id = submitted.Request!.Id;

        var grant = await Assert.ThrowsAsync<GrantRefusedException>(() => remote.ApplyGrantAsync(submitted.Request, TestContext.Current.CancellationToken));
        var applying = await remote.BeginApplyAsync(id, TestContext.Current.CancellationToken);

        Assert.Equal("not-approved", grant.Code);
        Assert.False(applying.Succeeded);
        var illegal = Assert.IsType<IllegalTransition>(applying.Error);
        Assert.Equal(RequestState.Pending, illegal.From);
    }
}
