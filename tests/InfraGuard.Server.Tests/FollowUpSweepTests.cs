using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfraGuard.Server.Tests;

/// <summary>
/// The server's follow-up sweep (reminders, escalation, break-glass alarm, overdue reviews) over the fake clock, two
/// "replicas" (two stores on one database) sweeping at once; and the delegation API's refusals.
/// </summary>
public class FollowUpSweepTests
{
    [Fact]
    public async Task Sweep_TwoReplicasAtOnce_EachFollowUpPostedOnceOnEveryChannel()
    {
        using var world = new ApiWorld();
        string id;
        using (var factory = world.NewFactory())
        {
            id = await factory.CreateRequestAsync();
        }

        var posts = new ConcurrentQueue<string>();
        using var signer = AuditKeyFile.Load(world.KeyFile);
        using var storeA = ChangeStore.Open(world.Db, world.Time, signer);
        using var storeB = ChangeStore.Open(world.Db, world.Time, signer);
        var pack = PolicyPackLoader.Load(await File.ReadAllTextAsync(Path.Combine(world.PolicyDir, "policy.yaml"), TestContext.Current.CancellationToken), "policy.yaml");
        using var a = Sweep(storeA, pack, world, posts);
        using var b = Sweep(storeB, pack, world, posts);

        var atStart = await Task.WhenAll(a.SweepAsync(CancellationToken.None), b.SweepAsync(CancellationToken.None));
        world.Time.Advance(TimeSpan.FromMinutes(61));
        var afterAnHour = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => (i % 2 == 0 ? a : b).SweepAsync(CancellationToken.None))));
        world.Time.Advance(TimeSpan.FromMinutes(60));
        var afterTwoHours = await Task.WhenAll(a.SweepAsync(CancellationToken.None), b.SweepAsync(CancellationToken.None));

        Assert.Equal(0, atStart.Sum());
        Assert.Equal(1, afterAnHour.Sum());
        Assert.Equal(2, afterTwoHours.Sum()); // the second reminder and the escalation
        var texts = posts.ToList();
        Assert.Equal(3, texts.Count);
        Assert.Equal(2, texts.Count(t => t.StartsWith("Reminder: change request " + id, StringComparison.Ordinal)));
        Assert.Single(texts, t => t.StartsWith("Escalated: change request " + id, StringComparison.Ordinal) && t.Contains("group:platform", StringComparison.Ordinal));
        var kinds = (await storeA.ListEntriesAsync(new AuditQuery(Request: id))).Select(e => e.Kind).ToList();
        Assert.Equal(2, kinds.Count(k => k == FlowAuditEvents.RequestReminded));
        Assert.Single(kinds, k => k == FlowAuditEvents.RequestEscalated);
    }

    [Fact]
    public async Task Sweep_BreakGlassUsedThenReviewWindowPasses_AlarmOnceThenOverdueEscalated()
    {
        using var world = new ApiWorld();
        string id;
        using (var factory = world.NewFactory())
        {
            id = await factory.CreateRequestAsync();
        }

        var posts = new ConcurrentQueue<string>();
        using var signer = AuditKeyFile.Load(world.KeyFile);
        using var store = ChangeStore.Open(world.Db, world.Time, signer);
        var pack = PolicyPackLoader.Load(await File.ReadAllTextAsync(Path.Combine(world.PolicyDir, "policy.yaml"), TestContext.Current.CancellationToken), "policy.yaml");
        using var sweep = Sweep(store, pack, world, posts);
        var now = world.Time.GetUtcNow();
        Assert.True((await store.BreakGlassAsync(new BreakGlassUse(id, new PersonRef("alice", "github:alice-example"), "INC-1", "orders db is down, failing over", "production", now, now.AddHours(24), 1))).Succeeded);

        await sweep.SweepAsync(CancellationToken.None);
        await sweep.SweepAsync(CancellationToken.None);
        world.Time.Advance(TimeSpan.FromHours(25));
        await sweep.SweepAsync(CancellationToken.None);
        await sweep.SweepAsync(CancellationToken.None);

        var texts = posts.ToList();
        Assert.Equal(2, texts.Count);
        Assert.StartsWith(":rotating_light: BREAK-GLASS: alice applied change " + id, texts[0], StringComparison.Ordinal);
        Assert.Contains("INC-1", texts[0], StringComparison.Ordinal);
        Assert.StartsWith("Overdue review: the break-glass change " + id, texts[1], StringComparison.Ordinal);
        Assert.Contains("Escalated to group:platform", texts[1], StringComparison.Ordinal);
        Assert.Single(await store.ListEntriesAsync(new AuditQuery(Kind: FlowAuditEvents.ReviewOverdue)));
    }

    [Fact]
    public async Task DelegationApi_ForSomeoneElseWithoutAdmin_RefusedAndForOneselfGranted()
    {
        using var world = new ApiWorld();
        using var factory = world.NewFactory();
        using var carol = await factory.ClientAsync(ApiWorld.Carol, ApiScopes.Approver);
        using var admin = await factory.ClientAsync("local:admin", ApiScopes.Admin);
        var until = world.Time.GetUtcNow().AddDays(3);

        using var forAlice = await carol.PostAsJsonAsync("/api/v1/delegations", new DelegationBody("carol", until, Delegator: "alice"), ServerJson.Options, TestContext.Current.CancellationToken);
        using var toSelf = await carol.PostAsJsonAsync("/api/v1/delegations", new DelegationBody("github:carol-example", until), ServerJson.Options, TestContext.Current.CancellationToken);
        using var own = await carol.PostAsJsonAsync("/api/v1/delegations", new DelegationBody("bob", until, Reason: "on leave"), ServerJson.Options, TestContext.Current.CancellationToken);
        using var byAdmin = await admin.PostAsJsonAsync("/api/v1/delegations", new DelegationBody("bob", until, Delegator: "alice"), ServerJson.Options, TestContext.Current.CancellationToken);
        var granted = await own.Content.ReadFromJsonAsync<Delegation>(ServerJson.Options, TestContext.Current.CancellationToken);
        using var revoked = await carol.DeleteAsync($"/api/v1/delegations/{granted!.Id}", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, forAlice.StatusCode);
        Assert.Contains("not-delegator", await forAlice.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, toSelf.StatusCode);
        Assert.Contains("self-delegation", await toSelf.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal("carol", granted.Delegator.PersonId);
        Assert.Equal("bob", granted.Delegate.PersonId);
        Assert.Equal(HttpStatusCode.Created, byAdmin.StatusCode);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
    }

    private static FollowUpSweep Sweep(ChangeStore store, PolicyPack pack, ApiWorld world, ConcurrentQueue<string> posts) =>
        new(store, pack, [new ChatChannelRegistration(_ => new RecordingChannel(posts))], new ServiceCollection().BuildServiceProvider(), new NoSignal(), world.Time, NullLogger<FollowUpSweep>.Instance);

    private sealed class NoSignal : IRequestSignal
    {
        public void Changed(string requestId)
        {
        }
    }

    /// <summary>Records every notice; the queue is shared by both replicas' channels, as one Slack workspace would be.</summary>
    private sealed class RecordingChannel(ConcurrentQueue<string> posts) : IApprovalChannel
    {
        public string Name => "Recording";

        public Task<ChannelAddress?> AnnounceAsync(RequestSnapshot snapshot, CancellationToken cancellationToken) => Task.FromResult<ChannelAddress?>(null);

        public Task UpdateAsync(ChannelAddress address, RequestSnapshot snapshot, RequestState shown, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task PostOutcomeAsync(ChannelAddress address, RequestSnapshot snapshot, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task NoticeAsync(ChannelAddress? address, RequestSnapshot snapshot, string text, CancellationToken cancellationToken)
        {
            posts.Enqueue(text);
            return Task.CompletedTask;
        }

        public Task TellAsync(ChannelAddress? address, string user, string text, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
