using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;

namespace InfraGuard.Server.Tests.Slack;

/// <summary>
/// Security review 1, F1 through Slack: the requester is not in the identity map, and clicks Approve from the Slack
/// account whose profile e-mail is theirs (written another way, or a look-alike).
/// </summary>
public sealed class SlackIdentityAliasTests : IAsyncLifetime
{
    private const string DaveSlack = "U0DAVE0001";
    private const string ErinSlack = "U0ERIN0001";
    private SlackWorld _world = null!;

    public async ValueTask InitializeAsync()
    {
        _world = await SlackWorld.StartAsync();
        foreach (var (id, email) in new[] { (DaveSlack, "Dave@Corp.com"), (ErinSlack, "erin@corp.com") })
        {
            var user = JsonNode.Parse(SlackStandIn.Fixture("web_api", "users.info.ok.json"))!["user"]!.AsObject();
            user["id"] = id;
            user["profile"]!["email"] = email;
            _world.Slack.Users[id] = user;
        }
    }

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Theory]
    [InlineData(IdentityAliasApiTests.Dave)]
    [InlineData("email:dave@corp.com")]
    [InlineData(" person:DAVE@corp.com. ")]
    [InlineData("dаve@corp.com")] // Cyrillic а: the Slack e-mail only looks like it
    public async Task ReasonModal_SlackAccountWithTheUnmappedRequestersEmail_Refused(string requester)
    {
        using var server = _world.Server(("Server:PolicyDir", IdentityAliasApiTests.StagingPolicy(_world.Api.Root)));
        var id = (await SlackWorld.CreateAsync(server, IdentityAliasApiTests.StagingBody(), requester)).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var view = await _world.ClickAsync(client, DaveSlack, ApprovalMessages.ApproveActionId, id, channel, ts);
        var ack = JsonNode.Parse(await _world.SubmitAsync(client, DaveSlack, view, "Self approval attempt here."))!;

        Assert.Equal("errors", ack["response_action"]!.GetValue<string>());
        var error = ack["errors"]![ApprovalMessages.ReasonBlockId]!.GetValue<string>();
        Assert.StartsWith("You requested this change", error, StringComparison.Ordinal);
        Assert.Contains("dave@corp.com", error, StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await server.Store.GetAsync(id))!.State);
        Assert.Empty(await server.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task ReasonModal_AnotherUnmappedPerson_ApprovesAsTheirEmail()
    {
        using var server = _world.Server(("Server:PolicyDir", IdentityAliasApiTests.StagingPolicy(_world.Api.Root)));
        var id = (await SlackWorld.CreateAsync(server, IdentityAliasApiTests.StagingBody(), IdentityAliasApiTests.Dave)).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        using var client = server.CreateClient();

        var view = await _world.ClickAsync(client, ErinSlack, ApprovalMessages.ApproveActionId, id, channel, ts);
        var ack = await _world.SubmitAsync(client, ErinSlack, view, "Independent review: fine for staging.");

        Assert.Equal("", ack);
        Assert.Equal(RequestState.Approved, (await server.Store.GetAsync(id))!.State);
        var decision = Assert.Single(await server.Store.GetDecisionsAsync(id));
        Assert.Equal(("erin@corp.com", "slack:" + ErinSlack), (decision.Approver.PersonId, decision.Approver.RawIdentity));
    }
}
