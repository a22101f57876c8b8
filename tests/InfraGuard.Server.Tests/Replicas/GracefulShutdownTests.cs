using InfraGuard.Testing;
using System.Diagnostics;
using System.Net.Http.Json;
using InfraGuard.Cli.Remote;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Server.Api;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests.Replicas;

/// <summary>
/// Graceful shutdown through real processes: two <c>infraguard serve</c> replicas on one PostgreSQL database, the
/// runner's long-poll client (<see cref="RemoteConnection"/> over <c>--server A,B</c>) waiting on A, and a real
/// SIGTERM to A. A answers the waiting long-poll at once with <c>X-InfraGuard-Draining</c>, the runner moves to B,
/// a decision recorded on B reaches it, and the run finishes. Needs <c>INFRAGUARD_TEST_PG</c>; skipped without it.
/// </summary>
public sealed class GracefulShutdownTests
{
    // The runner's long-poll: far longer than the drain may take, so only the drain can end it early.
    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Drain_SigtermWhileRunnerLongPollsA_DrainAnswerMovesRunnerToBWhereTheDecisionReachesIt()
    {
        await using var cluster = await ReplicaCluster.StartAsync(count: 2);
        var runnerToken = await cluster.TokenAsync(ApiWorld.Carol, ApiScopes.Runner);
        var aliceToken = await cluster.TokenAsync(ApiWorld.Alice, ApiScopes.Approver);
        var id = await ReplicaCluster.SubmitAsync(cluster["A"], runnerToken, "drain");
        var servers = new ServerUrls([new Uri(cluster["A"].Url), new Uri(cluster["B"].Url)]);
        var notices = new List<string>();
        using var connection = new RemoteConnection(servers, RunnerCredential.Static(runnerToken), TimeProvider.System, line => { lock (notices) { notices.Add(line); } });
        var pending = (await connection.Store.GetAsync(id, TestContext.Current.CancellationToken))!;

        var waiting = new DecisionWait(TimeSpan.FromMinutes(3), LongPoll, TimeSpan.FromMinutes(10), "nothing was applied")
            .WaitAsync(connection.Store, new SilentNotifier(), TimeProvider.System, pending, TestContext.Current.CancellationToken);
        await Task.Delay(1000, TestContext.Current.CancellationToken); // the long-poll is parked on A
        Assert.False(waiting.IsCompleted, "the runner waits while the request is pending");
        Assert.Equal(new Uri(cluster["A"].Url + "/"), servers.Current);

        var clock = Stopwatch.StartNew();
        cluster["A"].Run.Signal("TERM");
        while (servers.Current != new Uri(cluster["B"].Url + "/") && clock.Elapsed < LongPoll)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var moved = clock.Elapsed;
        Assert.True(moved < LongPoll / 2, $"the runner was still on A {moved.TotalSeconds:0.0} s after SIGTERM; A should answer its long-poll while draining\n{cluster.Logs()}");
        Assert.True(cluster["A"].Run.Process.WaitForExit(30_000), "A stops after draining");
        Assert.Equal(0, cluster["A"].Run.ExitCode);

        // The decision is recorded on B, and reaches the runner now waiting there.
        using var alice = cluster["B"].Client(aliceToken);
        using var decided = await alice.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "drained cleanly, safe to apply"), ServerJson.Options, TestContext.Current.CancellationToken);
        Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var (outcome, approved) = await waiting.WaitAsync(LongPoll / 2, TestContext.Current.CancellationToken);

        // The run finishes through B: it starts the apply and records its outcome.
        Assert.Null(outcome);
        Assert.Equal(RequestState.Approved, approved.State);
        Assert.True((await connection.Store.BeginApplyAsync(id, TestContext.Current.CancellationToken)).Succeeded);
        Assert.True((await connection.Store.CompleteApplyAsync(id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Delete] = 1 }, ""), TestContext.Current.CancellationToken)).Succeeded);

        var decision = Assert.Single(await cluster.Store.GetDecisionsAsync(id, TestContext.Current.CancellationToken));
        Assert.Equal("alice", decision.Approver.PersonId);
        Assert.Equal(RequestState.Applied, (await cluster.Store.GetAsync(id, TestContext.Current.CancellationToken))!.State);
        lock (notices)
        {
            // A said it was draining; it never failed a request (that path would leave a "failed … trying" notice).
            Assert.DoesNotContain(notices, n => n.Contains("failed", StringComparison.Ordinal));
        }
    }
}
