using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;
using InfraGuard.Testing;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests.Slack;

/// <summary>From a request created through the API to a decision made with Slack's buttons and reason modal.</summary>
public sealed class SlackApprovalTests : IAsyncLifetime
{
    private const string Alice = "U0EXAMPLEA";
    private const string Bob = "U0EXAMPLEB";
    private SlackWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await SlackWorld.StartAsync();

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task ApiCreate_ProductionTier_PostedToTierChannelWithButtons()
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;

        var (channel, ts) = await SlackWorld.PostedAsync(server, id);

        Assert.Equal("C123ABC456", channel); // the channel id Slack answered with (fixture), kept for updates
        var parent = _world.Slack.Calls("chat.postMessage")[0].Json!;
        Assert.Equal(SlackWorld.ProdChannel, parent["channel"]!.GetValue<string>());
        Assert.Null(parent["thread_ts"]);
        var buttons = parent["blocks"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "actions").SelectMany(b => b!["elements"]!.AsArray()).ToList();
        Assert.Contains(buttons, b => b!["action_id"]!.GetValue<string>() == ApprovalMessages.ApproveActionId && b["value"]!.GetValue<string>() == id);
        Assert.Equal("1503435956.000247", ts); // the fixture's ts, kept in the store
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ApiCreate_StackOverride_WinsOverTier()
    {
        using var server = _world.Server(("Server:Slack:StackChannels:prod", "C0STACKPRD"));
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;

        await SlackWorld.PostedAsync(server, id);

        Assert.Equal("C0STACKPRD", _world.Slack.Calls("chat.postMessage")[0].Json!["channel"]!.GetValue<string>());
    }

    [Fact]
    public async Task ApiCreate_SixtyResourcePlan_WithinBlockKitLimitsAndFileInThread()
    {
        // Sixty deletes are blocked by the default pack (block-at 400, mass-deletion); this pack lets them reach review.
        var policy = SampleRequests.PolicyWithoutAttestation(Path.Combine(_world.Api.Root, "wide-policy"));
        File.WriteAllText(Path.Combine(policy, "policy.yaml"), File.ReadAllText(Path.Combine(policy, "policy.yaml"))
            .Replace("block-at: 400", "block-at: 100000", StringComparison.Ordinal).Replace("    block: [production]\n", "", StringComparison.Ordinal));
        using var server = _world.Server(("Server:PolicyDir", policy));
        var id = (await SlackWorld.CreateAsync(server, SampleRequests.ManyDeletes(60))).Id;

        var (_, ts) = await SlackWorld.PostedAsync(server, id);
        await Wait.UntilAsync(() => _world.Slack.Calls("files.completeUploadExternal").Count == 1, "the findings file is uploaded");

        var posts = _world.Slack.Calls("chat.postMessage");
        Assert.True(posts.Count >= 2, "parent plus detail replies");
        Assert.All(posts.Skip(1), p => Assert.Equal(ts, p.Json!["thread_ts"]!.GetValue<string>()));
        Assert.Equal(ts, _world.Slack.Calls("files.completeUploadExternal")[0].Form["thread_ts"]);
        var file = System.Text.Encoding.UTF8.GetString(Assert.Single(_world.Slack.Uploads));
        Assert.Contains("orders-60", file, StringComparison.Ordinal);
        _world.AssertCleanTraffic(); // includes the stand-in's Block Kit limit checks on every message
    }

    [Theory]
    [InlineData(ApprovalMessages.ApproveActionId, RequestState.Approved, "approved")]
    [InlineData(ApprovalMessages.RejectActionId, RequestState.Rejected, "rejected")]
    public async Task ButtonClick_ReasonModalSubmitted_DecidedThroughCoreAndParentUpdated(string action, RequestState expected, string word)
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var view = await _world.ClickAsync(client, Alice, action, id, channel, ts);
        Assert.Equal(ApprovalMessages.ReasonCallbackId, view["callback_id"]!.GetValue<string>());
        var ack = await _world.SubmitAsync(client, Alice, view, "Reviewed the snapshot; orders-db is retired.");

        Assert.Equal("", ack); // empty ack closes the modal
        var request = await server.Store.GetAsync(id);
        Assert.Equal(expected, request!.State);
        var decision = Assert.Single(await server.Store.GetDecisionsAsync(id));
        Assert.Equal("alice", decision.Approver.PersonId);
        Assert.Equal(DecisionChannel.Of("Slack"), decision.Channel);
        await Wait.UntilAsync(() => _world.Slack.Calls("chat.update").Count == 1, "the parent is updated");
        var update = _world.Slack.Calls("chat.update")[0].Json!;
        Assert.Equal(ts, update["ts"]!.GetValue<string>());
        Assert.Contains(word, update["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("\"actions\"", update["blocks"]!.ToJsonString(), StringComparison.Ordinal); // buttons gone
        await Wait.UntilAsync(() => _world.Slack.Calls("chat.postMessage").Any(p => p.Json!["text"]!.GetValue<string>().Contains("was " + word, StringComparison.Ordinal)), "the requester is told in the thread");
        Assert.Equal(ts, _world.Slack.Calls("chat.postMessage")[^1].Json!["thread_ts"]!.GetValue<string>());
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ApplyOutcome_ReportedThroughApi_LandsInThread()
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body(), requester: ApiWorld.Runner)).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        var view = await _world.ClickAsync(client, Alice, ApprovalMessages.ApproveActionId, id, channel, ts);
        Assert.Equal("", await _world.SubmitAsync(client, Alice, view, "Reviewed the snapshot; safe to apply."));

        using var runner = await server.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);
        (await runner.PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Applying, "applying the approved plan"), ServerJson.Options)).EnsureSuccessStatusCode();
        (await runner.PostAsJsonAsync($"/api/v1/requests/{id}/outcome", new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Delete] = 1 }, ""), ServerJson.Options)).EnsureSuccessStatusCode();

        await Wait.UntilAsync(() => _world.Slack.Calls("chat.postMessage").Any(p => p.Json!["text"]!.GetValue<string>().StartsWith("Applied", StringComparison.Ordinal)), "the outcome is replied");
        var reply = _world.Slack.Calls("chat.postMessage").Last(p => p.Json!["text"]!.GetValue<string>().StartsWith("Applied", StringComparison.Ordinal));
        Assert.Equal(ts, reply.Json!["thread_ts"]!.GetValue<string>());
        _world.AssertCleanTraffic();
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        { "self", Alice, "You requested this change" },
        { "commit-author", Alice, "You authored a commit" },
        { "guest", "U0GUEST01", "Guest and restricted accounts" },
        { "ineligible", "W012A3CDE", "not eligible" }, // the fixture user: not in the identity map, so in no group
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task ReasonModal_RefusedByCore_ErrorsInModalAndEphemeral(string why, string user, string expected)
    {
        using var server = _world.Server();
        var body = why == "commit-author" ? ApiWorld.Body() with { CommitAuthors = ["alice"] } : ApiWorld.Body();
        var id = (await SlackWorld.CreateAsync(server, body, requester: why == "self" ? "slack:" + Alice : ApiWorld.Carol)).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var view = await _world.ClickAsync(client, user, ApprovalMessages.ApproveActionId, id, channel, ts);
        var ack = JsonNode.Parse(await _world.SubmitAsync(client, user, view, "Looks fine to me, ship it."))!;

        Assert.Equal("errors", ack["response_action"]!.GetValue<string>());
        Assert.Contains(expected, ack["errors"]![ApprovalMessages.ReasonBlockId]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await server.Store.GetAsync(id))!.State);
        Assert.Empty(await server.Store.GetDecisionsAsync(id));
        await Wait.UntilAsync(() => _world.Slack.Calls("chat.postEphemeral").Count == 1, "the refusal is also told ephemerally");
        var ephemeral = _world.Slack.Calls("chat.postEphemeral")[0].Json!;
        Assert.Equal(user, ephemeral["user"]!.GetValue<string>());
        Assert.Equal(channel, ephemeral["channel"]!.GetValue<string>());
        Assert.Contains(expected, ephemeral["text"]!.GetValue<string>(), StringComparison.Ordinal);
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ReasonModal_TwoApproversRace_ExactlyOneDecision()
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        var aliceView = await _world.ClickAsync(client, Alice, ApprovalMessages.ApproveActionId, id, channel, ts);
        _world.Api.Time.Advance(TimeSpan.FromSeconds(1));
        var bobView = await _world.ClickAsync(client, Bob, ApprovalMessages.RejectActionId, id, channel, ts);

        var acks = await Task.WhenAll(
            _world.SubmitAsync(client, Alice, aliceView, "Reviewed the snapshot; safe to apply."),
            _world.SubmitAsync(client, Bob, bobView, "Not during the freeze, please wait."));

        Assert.Single(acks, a => a.Length == 0);
        var refused = JsonNode.Parse(Assert.Single(acks, a => a.Length > 0))!;
        Assert.Contains("your decision was not recorded", refused["errors"]![ApprovalMessages.ReasonBlockId]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Single(await server.Store.GetDecisionsAsync(id));
        Assert.NotEqual(RequestState.Pending, (await server.Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task ButtonClick_AfterDecision_EphemeralInsteadOfModal()
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        var view = await _world.ClickAsync(client, Alice, ApprovalMessages.ApproveActionId, id, channel, ts);
        Assert.Equal("", await _world.SubmitAsync(client, Alice, view, "Reviewed the snapshot; safe to apply."));

        using var late = await _world.PostSignedAsync(client, "/slack/interactivity", SlackWorld.Click(Bob, ApprovalMessages.ApproveActionId, id, channel, ts));

        Assert.Equal(System.Net.HttpStatusCode.OK, late.StatusCode);
        Assert.Single(_world.Slack.Calls("views.open"));
        await Wait.UntilAsync(() => _world.Slack.Calls("chat.postEphemeral").Count == 1, "the late clicker is told");
        Assert.Contains("already approved", _world.Slack.Calls("chat.postEphemeral")[0].Json!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerRestart_BetweenPostAndClick_ParentStillUpdated()
    {
        string id;
        (string Channel, string Ts) posted;
        var first = _world.Server();
        id = (await SlackWorld.CreateAsync(first, ApiWorld.Body())).Id;
        posted = await SlackWorld.PostedAsync(first, id);
        await first.DisposeAsync();

        using var second = _world.Server();
        using var client = second.CreateClient();
        var view = await _world.ClickAsync(client, Bob, ApprovalMessages.ApproveActionId, id, posted.Channel, posted.Ts);
        Assert.Equal("", await _world.SubmitAsync(client, Bob, view, "Reviewed after the restart; safe."));

        Assert.Equal(RequestState.Approved, (await second.Store.GetAsync(id))!.State);
        await Wait.UntilAsync(() => _world.Slack.Calls("chat.update").Count == 1, "the parent posted before the restart is updated");
        Assert.Equal(posted.Ts, _world.Slack.Calls("chat.update")[0].Json!["ts"]!.GetValue<string>());
        Assert.Equal(posted.Channel, _world.Slack.Calls("chat.update")[0].Json!["channel"]!.GetValue<string>());
        Assert.Single(_world.Slack.Calls("chat.postMessage"), p => p.Json!["thread_ts"] is null); // not posted twice
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ServerStart_RequestCreatedWhileSlackWasOff_PostedOnce()
    {
        string id;
        using (var withoutSlack = _world.Api.NewFactory())
        {
            id = await withoutSlack.CreateRequestAsync();
        }

        Assert.Empty(_world.Slack.Calls("chat.postMessage"));
        using var server = _world.Server();
        _ = server.Services; // start the host: nothing else touches it

        var (channel, _) = await SlackWorld.PostedAsync(server, id);
        Assert.Equal("C123ABC456", channel);
        var parent = Assert.Single(_world.Slack.Calls("chat.postMessage"), p => p.Json!["thread_ts"] is null);
        Assert.Contains(id, parent.Json!["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ServerStart_DecidedWhileSlackWasOff_ParentUpdatedAndNothingReposted()
    {
        string id;
        using (var first = _world.Server())
        {
            id = (await SlackWorld.CreateAsync(first, ApiWorld.Body())).Id;
            await SlackWorld.PostedAsync(first, id);
        }

        using (var withoutSlack = _world.Api.NewFactory())
        {
            using var alice = await withoutSlack.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);
            using var decided = await alice.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "Checked the snapshot exists."), ServerJson.Options);
            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
        }

        Assert.Empty(_world.Slack.Calls("chat.update"));
        using var second = _world.Server();
        _ = second.Services;

        await Wait.UntilAsync(() => _world.Slack.Calls("chat.update").Count == 1, "the parent is updated when the server starts");
        Assert.Single(_world.Slack.Calls("chat.postMessage"), p => p.Json!["thread_ts"] is null);
        await Wait.UntilAsync(() => second.Store.GetPostAsync("Slack", id).GetAwaiter().GetResult()?.ShownState == RequestState.Approved, "the store records the updated message");
        Assert.Equal(RequestState.Approved, (await second.Store.GetPostAsync("Slack", id))!.ShownState);
        Assert.Empty(await second.Store.ListBehindAsync("Slack"));
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task CliDecision_InAnotherProcessWhileServerRuns_SlackMessageUpdated()
    {
        _world.Api.Time.SetUtcNow(DateTimeOffset.UtcNow); // The CLI runs on the real clock.
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);

        var cli = await ProcessRun.StartInfraGuard(
            ["approve", id, "--reason", "Checked the snapshot from my terminal", "--db", _world.Api.Db, "--key", _world.Api.KeyFile, "--policy", _world.Api.PolicyDir],
            _world.Api.Root,
            new Dictionary<string, string> { ["INFRAGUARD_IDENTITY"] = "slack:" + Bob }).WaitAsync();
        Assert.True(cli.ExitCode == 0, cli.Error);

        // The server hears of it from the audit log (its feed ticks on the server's clock).
        for (var i = 0; i < 200 && _world.Slack.Calls("chat.update").Count == 0; i++)
        {
            _world.Api.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        var update = Assert.Single(_world.Slack.Calls("chat.update")).Json!;
        Assert.Equal((channel, ts), (update["channel"]!.GetValue<string>(), update["ts"]!.GetValue<string>()));
        Assert.DoesNotContain(update["blocks"]!.AsArray(), b => (string?)b!["type"] == "actions");
        Assert.Contains("Checked the snapshot from my terminal", update.ToJsonString(), StringComparison.Ordinal);
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task SlashCommand_PendingAndShow_ListTheRequest()
    {
        using var server = _world.Server();
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        using var client = server.CreateClient();

        foreach (var text in new[] { "pending", "show " + id })
        {
            var form = $"command=%2Finfraguard&text={Uri.EscapeDataString(text)}&user_id={Alice}&team_id=T0TEAM&channel_id=C0ANY";
            using var response = await _world.PostSignedAsync(client, "/slack/commands", form);
            _world.Api.Time.Advance(TimeSpan.FromSeconds(1));
            var reply = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("ephemeral", reply["response_type"]!.GetValue<string>());
            Assert.Contains(id, reply["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        }
    }
}
