using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Slack.Tests;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Server.Tests.Replicas;

/// <summary>
/// Three real <c>infraguard serve</c> processes on loopback sharing one PostgreSQL database: wake-ups across replicas,
/// a replica killed mid-decision, a Slack retry delivered to two replicas, and exactly one replica posting to chat.
/// Need <c>INFRAGUARD_TEST_PG</c> (CI sets it); skipped without it.
/// </summary>
public sealed class ReplicaTests
{
    private const string SigningSecret = "replica-test-signing-secret-0123456789";

    [Fact]
    public async Task LongPoll_DecisionRecordedOnReplicaA_RunnerOnReplicaBWakesThroughNotify()
    {
        // The audit-log feed and the long-poll's own re-read are slowed to 10 s and 60 s: only NOTIFY can wake B in time.
        await using var cluster = await ReplicaCluster.StartAsync(settings: new Dictionary<string, string>
        {
            ["INFRAGUARD_SERVER__FEEDMILLISECONDS"] = "10000",
            ["INFRAGUARD_SERVER__POLLMILLISECONDS"] = "60000",
        });
        var runnerToken = await cluster.TokenAsync(ApiWorld.Carol, ApiScopes.Runner);
        var aliceToken = await cluster.TokenAsync(ApiWorld.Alice, ApiScopes.Approver);
        var id = await ReplicaCluster.SubmitAsync(cluster["B"], runnerToken, "wake");
        using var runner = cluster["B"].Client(runnerToken);
        using var alice = cluster["A"].Client(aliceToken);

        var poll = runner.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}?wait=30s", ServerJson.Options);
        await Task.Delay(500);
        Assert.False(poll.IsCompleted, "the long-poll waits while the request is pending");
        var clock = Stopwatch.StartNew();
        using var decided = await alice.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "replicas checked, safe to drop"), ServerJson.Options);
        var view = await poll.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();

        Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
        Assert.Equal(RequestState.Approved, view!.Request.State);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"B answered {clock.ElapsedMilliseconds} ms after A recorded the decision; the feed would take 10 s\n{cluster.Logs()}");
    }

    [Fact]
    public async Task Decision_ReplicaKilledMidDecision_ExactlyOneDecisionAndUpFinishesThroughAnotherReplica()
    {
        await using var cluster = await ReplicaCluster.StartAsync(settings: new Dictionary<string, string> { ["INFRAGUARD_SERVER__POLLMILLISECONDS"] = "200" });
        var runnerToken = await cluster.TokenAsync(ApiWorld.Runner, ApiScopes.Runner);
        var aliceToken = await cluster.TokenAsync(ApiWorld.Alice, ApiScopes.Approver);
        var project = Directory.CreateDirectory(Path.Combine(cluster.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n");
        var up = ProcessRun.StartInfraGuard(["up", "--stack", "prod", "--server", $"{cluster["A"].Url},{cluster["B"].Url}", "--server", cluster["C"].Url], project, new Dictionary<string, string>
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["HOME"] = cluster.Root,
            ["STANDIN_SCENARIO"] = StandInPulumi.Scenario("synthetic-prod-db-delete"),
            ["STANDIN_RECORD"] = Path.Combine(cluster.Root, "pulumi-calls.jsonl"),
            ["STANDIN_STATE"] = Path.Combine(cluster.Root, "state.json"),
            ["INFRAGUARD_TOKEN"] = runnerToken,
            ["INFRAGUARD_REQUESTER"] = ApiWorld.Carol,
            ["NO_COLOR"] = "1",
        });
        var id = (await up.WaitForErrorLineAsync("Approval required: change request ")).Split("change request ")[1].Split(' ')[0];

        // Alice's decision reaches A, which is SIGKILLed while it handles it: committed or rolled back, never half.
        using var alice = cluster["A"].Client(aliceToken);
        var first = alice.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "restored from snapshot, safe to drop"), ServerJson.Options);
        await Task.Delay(Random.Shared.Next(0, 15));
        cluster["A"].Kill();
        try
        {
            (await first).Dispose();
        }
        catch (HttpRequestException)
        {
            // A died before answering: Alice does not know whether it was recorded.
        }

        // She tries again on C: recorded now, or refused because it already was.
        using var aliceOnC = cluster["C"].Client(aliceToken);
        using var again = await aliceOnC.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "restored from snapshot, safe to drop"), ServerJson.Options);
        await up.WaitAsync(120);

        Assert.True(again.IsSuccessStatusCode || again.StatusCode == HttpStatusCode.Conflict, $"{(int)again.StatusCode}: {await again.Content.ReadAsStringAsync()}");
        Assert.True(up.ExitCode == 0, up.Error + cluster.Logs());
        Assert.StartsWith("applied " + id, up.Out, StringComparison.Ordinal);
        Assert.Contains($"The InfraGuard server at {cluster["A"].Url}/ failed", up.Error, StringComparison.Ordinal);
        var decision = Assert.Single(await cluster.Store.GetDecisionsAsync(id));
        Assert.Equal("alice", decision.Approver.PersonId);
        Assert.Equal(RequestState.Applied, (await cluster.Store.GetAsync(id))!.State);
        Assert.Single(await cluster.Store.ListEntriesAsync(new Core.Audit.AuditQuery(Kind: "approval.granted")));
        Assert.True((await cluster.Store.VerifyAsync(await cluster.Store.ListKeysAsync())).IsValid);
    }

    [Fact]
    public async Task SlackEvent_RetryDeliveredToTwoReplicas_HandledOnceAndReplayRefused()
    {
        await using var slack = await SlackStandIn.StartAsync();
        await using var cluster = await ReplicaCluster.StartAsync(settings: SlackSettings(slack));
        var body = JsonNode.Parse(SlackStandIn.Fixture("socket_mode", "envelope.events_api.app_mention.java-sdk.json"))!["payload"]!.ToJsonString();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        using var first = await PostSignedAsync(cluster["A"], "/slack/events", body, now);
        using var retry = await PostSignedAsync(cluster["B"], "/slack/events", body, now + 1, retryNum: 1); // Slack's retry: new signature, same event_id
        using var replay = await PostSignedAsync(cluster["C"], "/slack/events", body, now); // the very same signed request again
        await Wait.UntilAsync(() => slack.Calls("chat.postMessage").Count > 0, "the mention is answered");
        await Task.Delay(1500);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        var reply = Assert.Single(slack.Calls("chat.postMessage"));
        Assert.Equal("1605853844.000800", reply.Json!["thread_ts"]!.GetValue<string>());
        Assert.Contains("Slack event", cluster["B"].Run.Error + cluster["A"].Run.Error, StringComparison.Ordinal); // the duplicate was logged as such
    }

    [Fact]
    public async Task ChatPosting_ThreeReplicas_OnlyTheLeaderPostsAndATakeoverDoesNotRepost()
    {
        await using var slack = await SlackStandIn.StartAsync();
        await using var cluster = await ReplicaCluster.StartAsync(settings: SlackSettings(slack));
        var runnerToken = await cluster.TokenAsync(ApiWorld.Carol, ApiScopes.Runner);
        var leaders = await cluster.LeadersAsync(TimeSpan.FromSeconds(10));
        var leader = Assert.Single(leaders);

        // One request through each replica: each is posted once, by the leader, whichever replica took it.
        foreach (var r in cluster.Replicas)
        {
            await ReplicaCluster.SubmitAsync(r, runnerToken, "post-" + r.Name);
        }

        await Wait.UntilAsync(() => Parents(slack) >= 3, "the three requests are posted");
        await Task.Delay(2000);
        Assert.Equal(3, Parents(slack));

        // The leader dies; another takes over, catches up (nothing to catch up on), and posts what comes next.
        leader.Kill();
        var next = Assert.Single(await cluster.LeadersAsync(TimeSpan.FromSeconds(15)));
        var survivor = cluster.Replicas.First(r => r.Alive && r != next);
        await ReplicaCluster.SubmitAsync(survivor, runnerToken, "post-after");
        await Wait.UntilAsync(() => Parents(slack) >= 4, "the request after the takeover is posted");
        await Task.Delay(2000);

        Assert.NotSame(leader, next);
        Assert.Equal(4, Parents(slack));
        Assert.Contains("This server leads", next.Run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("This server leads", survivor.Run.Error, StringComparison.Ordinal);
        Assert.Empty(slack.Problems);
    }

    private static int Parents(SlackStandIn slack) => slack.Calls("chat.postMessage").Count(c => c.Json?["thread_ts"] is null);

    private static Dictionary<string, string> SlackSettings(SlackStandIn slack) => new()
    {
        ["INFRAGUARD_SERVER__SLACK__ENABLED"] = "true",
        ["INFRAGUARD_SERVER__SLACK__SIGNINGSECRET"] = SigningSecret,
        ["INFRAGUARD_SERVER__SLACK__BOTTOKEN"] = SlackStandIn.BotToken,
        ["INFRAGUARD_SERVER__SLACK__CHANNEL"] = "C0DEFAULT1",
        ["INFRAGUARD_SERVER__SLACK__APIBASEURL"] = slack.ApiBase.AbsoluteUri,
        ["INFRAGUARD_SERVER__SLACK__PERCHANNELINTERVALMILLISECONDS"] = "0",
    };

    private static async Task<HttpResponseMessage> PostSignedAsync(Replica replica, string path, string body, long timestamp, int? retryNum = null)
    {
        using var client = replica.Client();
        var ts = timestamp.ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        request.Headers.Add("X-Slack-Signature", "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningSecret), Encoding.UTF8.GetBytes($"v0:{ts}:{body}"))));
        if (retryNum is { } n)
        {
            request.Headers.Add("X-Slack-Retry-Num", n.ToString(CultureInfo.InvariantCulture));
        }

        return await client.SendAsync(request);
    }
}
