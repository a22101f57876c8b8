using System.Net;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;
using InfraGuard.Teams.Tests;
using InfraGuard.Server.Tests.Slack;

namespace InfraGuard.Server.Tests.Teams;

/// <summary>From a request created through the API to a decision made on the Teams card, against the Bot Framework stand-in.</summary>
public sealed class TeamsApprovalTests : IAsyncLifetime
{
    private const string Reason = "Checked the snapshot; orders-db is retired.";
    private TeamsWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await TeamsWorld.StartAsync();

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task ApiCreate_ProductionTier_CardStartsThreadInTierChannel()
    {
        using var server = _world.Server();
        var id = await server.CreateRequestAsync();

        var at = await TeamsWorld.PostedAsync(server, id);

        var create = Assert.Single(_world.Teams.CallsTo("POST", "create"));
        Assert.Equal(TeamsWorld.Channel, create.Json!["channelData"]!["channel"]!["id"]!.GetValue<string>());
        Assert.Equal(TeamsWorld.Tenant, create.Json!["tenantId"]!.GetValue<string>());
        var card = create.Json!["activity"]!["attachments"]![0]!["content"]!.ToJsonString();
        Assert.Contains(id, card, StringComparison.Ordinal);
        Assert.Contains("\"verb\":\"approve\"", card, StringComparison.Ordinal);
        Assert.Equal(TeamsWorld.ServiceUrl, at.ServiceUrl);
        Assert.Equal($"{TeamsWorld.Channel};messageid={at.MessageId}", at.Conversation);
        _world.AssertCleanTraffic();
    }

    public static TheoryData<string> BadTokens => ["none", "forged", "expired", "wrong-audience", "wrong-issuer", "unendorsed", "serviceurl-mismatch", "garbage-body"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task Messages_Unauthenticated_401AndNothingDecided(string how)
    {
        using var server = _world.Server();
        var id = await server.CreateRequestAsync();
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        var now = _world.Api.Time.GetUtcNow();
        var token = how switch
        {
            "forged" => _world.Teams.Mint(now, forged: true),
            "expired" => _world.Teams.Mint(now - TimeSpan.FromMinutes(20)),
            "wrong-audience" => _world.Teams.Mint(now, audience: "another-bot-app-id"),
            "wrong-issuer" => _world.Teams.Mint(now, issuer: "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"),
            "unendorsed" => _world.Teams.Mint(now, kid: TeamsStandIn.UnendorsedKid),
            "serviceurl-mismatch" => _world.Teams.Mint(now, serviceUrl: "https://smba.trafficmanager.net/emea/"),
            _ => null,
        };
        var click = how == "garbage-body" ? "{not json" : TeamsWorld.Click(TeamsWorld.Bob, "approve", id, Reason, at);

        HttpResponseMessage response;
        if (how == "none")
        {
            response = await client.PostAsync("/teams/messages", new StringContent(click, System.Text.Encoding.UTF8, "application/json"));
        }
        else
        {
            response = await _world.PostAsync(client, click, token);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.DoesNotContain("token", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase); // no hint for the caller
        }

        Assert.Equal(RequestState.Pending, (await server.Store.GetAsync(id))!.State);
        Assert.Empty(await server.Store.GetDecisionsAsync(id));
    }

    [Theory]
    [InlineData("approve", RequestState.Approved, "approved")]
    [InlineData("reject", RequestState.Rejected, "rejected")]
    public async Task CardAction_EligiblePersonWithReason_DecidesAndCardUpdatedForEveryone(string verb, RequestState expected, string word)
    {
        using var server = _world.Server();
        var id = await server.CreateRequestAsync();
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var card = await _world.ClickAsync(client, TeamsWorld.Click(TeamsWorld.Bob, verb, id, Reason, at));

        Assert.False(TeamsWorld.HasActions(card)); // the decided card, for the clicker at once
        Assert.Contains(word, card["body"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(expected, (await server.Store.GetAsync(id))!.State);
        var decision = Assert.Single(await server.Store.GetDecisionsAsync(id));
        Assert.Equal("bob", decision.Approver.PersonId);
        Assert.Equal("teams:" + TeamsWorld.Bob.Aad, decision.Approver.RawIdentity);
        Assert.Equal(DecisionChannel.Of("Teams"), decision.Channel);
        Assert.Equal(Reason, decision.Reason);

        // For everyone: the channel worker replaces the posted card, and tells the requester in the thread.
        await Wait.UntilAsync(() => _world.Teams.CallsTo("PUT", "activity").Count == 1, "the card is updated for everyone");
        var update = _world.Teams.CallsTo("PUT", "activity")[0];
        Assert.Equal(at.Conversation, update.V3[1]);
        Assert.Equal(at.MessageId, update.V3[3]);
        Assert.False(TeamsWorld.HasActions(update.Json!));
        Assert.Contains("by bob", update.Json!.ToJsonString(), StringComparison.Ordinal);
        await Wait.UntilAsync(() => _world.Teams.CallsTo("POST", "activity").Count == 1, "the requester is told in the thread");
        Assert.Contains("was **" + word + "**", _world.Teams.CallsTo("POST", "activity")[0].Json!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        _world.AssertCleanTraffic();
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "requester", "You requested this change" },
        { "agent-principal", "acts on your behalf" },
        { "guest", "Guest and restricted accounts" },
        { "other-tenant-user", "another Microsoft Entra tenant" },
        { "other-tenant-activity", "is not allowed to decide on InfraGuard requests" },
        { "no-reason", "A reason of at least" },
        { "other-plan", "review the current plan" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task CardAction_Refused_ReasonShownInCardAndNothingRecorded(string who, string expected)
    {
        using var server = _world.Server();
        var body = who == "agent-principal" ? ApiWorld.Body() with { ActorKind = ActorKind.Agent, OnBehalfOf = "bob" } : ApiWorld.Body();
        var id = await server.CreateRequestAsync(body, requester: who == "requester" ? "email:carol@example.com" : ApiWorld.Carol);
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        var person = who switch
        {
            "requester" => TeamsWorld.Carol,
            "guest" => TeamsWorld.Guest,
            "other-tenant-user" => TeamsWorld.Dave,
            _ => TeamsWorld.Bob,
        };
        var click = TeamsWorld.Click(
            person,
            "approve",
            id,
            who == "no-reason" ? null : Reason,
            at,
            planHash: who == "other-plan" ? new string('0', 64) : null,
            tenant: who == "other-tenant-activity" ? TeamsWorld.OtherTenant : TeamsWorld.Tenant);

        var card = await _world.ClickAsync(client, click);

        Assert.Contains(expected, card.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await server.Store.GetAsync(id))!.State);
        Assert.Empty(await server.Store.GetDecisionsAsync(id));
        Assert.Empty(_world.Teams.CallsTo("PUT", "activity"));
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task CardAction_AfterDecision_DecidedCardAndNothingMore()
    {
        using var server = _world.Server();
        var id = await server.CreateRequestAsync();
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();
        await _world.ClickAsync(client, TeamsWorld.Click(TeamsWorld.Bob, "reject", id, Reason, at));

        var late = await _world.ClickAsync(client, TeamsWorld.Click(TeamsWorld.Alice, "approve", id, Reason, at));

        Assert.False(TeamsWorld.HasActions(late));
        Assert.Contains("rejected", late["body"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(RequestState.Rejected, (await server.Store.GetAsync(id))!.State);
        Assert.Single(await server.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task ServerRestart_BetweenPostAndClick_DecidedAndSameCardUpdated()
    {
        string id;
        Core.Approvals.ChannelAddress at;
        var first = _world.Server();
        id = await first.CreateRequestAsync();
        at = await TeamsWorld.PostedAsync(first, id);
        await first.DisposeAsync();

        using var second = _world.Server();
        using var client = second.CreateClient();
        var card = await _world.ClickAsync(client, TeamsWorld.Click(TeamsWorld.Alice, "approve", id, Reason, at));

        Assert.False(TeamsWorld.HasActions(card));
        Assert.Equal(RequestState.Approved, (await second.Store.GetAsync(id))!.State);
        await Wait.UntilAsync(() => _world.Teams.CallsTo("PUT", "activity").Count == 1, "the card posted before the restart is updated");
        var update = _world.Teams.CallsTo("PUT", "activity")[0];
        Assert.Equal(at.Conversation, update.V3[1]);
        Assert.Equal(at.MessageId, update.V3[3]);
        Assert.Single(_world.Teams.CallsTo("POST", "create")); // not posted twice
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task ConversationUpdate_BotAddedToTeam_Acknowledged()
    {
        using var server = _world.Server(("Server:Teams:TenantIds:1", "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"), ("Server:Teams:TierChannels:production:TenantId", TeamsWorld.Tenant));
        using var client = server.CreateClient();
        var added = TeamsStandIn.Fixture("activities", "conversationUpdate.bot-added-to-team.msteams-docs.json");

        using var response = await _world.PostAsync(client, added, _world.Teams.Mint(_world.Api.Time.GetUtcNow(), serviceUrl: "https://smba.trafficmanager.net/amer/"));
        using var personal = await _world.PostAsync(client, TeamsStandIn.Fixture("activities", "conversationUpdate.bot-added-personal.msteams-docs.json"), _world.Teams.Mint(_world.Api.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, personal.StatusCode); // "<TENANT ID>" is on no allow-list
    }

    [Fact]
    public async Task SlackAndTeams_DecisionInTeams_SlackMessageUpdated()
    {
        await using var slack = await SlackWorld.StartAsync();
        await using var world = await TeamsWorld.StartAsync(slack.Api);
        using var server = slack.Server([.. world.Settings().Select(kv => (kv.Key, kv.Value))]);
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (_, ts) = await SlackWorld.PostedAsync(server, id);
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        await world.ClickAsync(client, TeamsWorld.Click(TeamsWorld.Bob, "approve", id, Reason, at));

        await Wait.UntilAsync(() => slack.Slack.Calls("chat.update").Count == 1, "the Slack message is updated");
        var update = slack.Slack.Calls("chat.update")[0].Json!;
        Assert.Equal(ts, update["ts"]!.GetValue<string>());
        Assert.DoesNotContain("\"actions\"", update["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("bob", update["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        slack.AssertCleanTraffic();
        world.AssertCleanTraffic();
    }

    [Fact]
    public async Task SlackAndTeams_DecisionInSlack_TeamsCardUpdated()
    {
        await using var slack = await SlackWorld.StartAsync();
        await using var world = await TeamsWorld.StartAsync(slack.Api);
        using var server = slack.Server([.. world.Settings().Select(kv => (kv.Key, kv.Value))]);
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        var at = await TeamsWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var view = await slack.ClickAsync(client, "U0EXAMPLEA", ApprovalMessages.ApproveActionId, id, channel, ts);
        Assert.Equal("", await slack.SubmitAsync(client, "U0EXAMPLEA", view, Reason));

        await Wait.UntilAsync(() => world.Teams.CallsTo("PUT", "activity").Count == 1, "the Teams card is updated");
        var update = world.Teams.CallsTo("PUT", "activity")[0];
        Assert.Equal(at.MessageId, update.V3[3]);
        Assert.False(TeamsWorld.HasActions(update.Json!));
        Assert.Contains("by alice", update.Json!.ToJsonString(), StringComparison.Ordinal);
        world.AssertCleanTraffic();
    }
}
