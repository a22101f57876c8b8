using System.Text.Json.Nodes;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;

namespace InfraGuard.Server.Tests.Slack;

/// <summary>Socket Mode as the transport: the hosted service connects with the app token and feeds the same handlers.</summary>
public sealed class SlackSocketModeTests : IAsyncLifetime
{
    private SlackWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await SlackWorld.StartAsync();

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task SocketMode_ClickAndSlashCommandEnvelopes_HandledAndAcked()
    {
        using var server = _world.Server(("Server:Slack:SocketMode", "true"), ("Server:Slack:AppToken", SlackStandIn.AppToken));
        var id = (await SlackWorld.CreateAsync(server, ApiWorld.Body())).Id;
        var (channel, ts) = await SlackWorld.PostedAsync(server, id);
        var socket = await _world.Slack.Sockets.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await socket.SendFixtureAsync("hello.java-sdk.json");

        var click = JsonNode.Parse(SlackStandIn.Fixture("socket_mode", "envelope.interactive.block_actions.java-sdk.json"))!.AsObject();
        click["payload"] = JsonNode.Parse(Uri.UnescapeDataString(SlackWorld.Click("U0EXAMPLEA", ApprovalMessages.ApproveActionId, id, channel, ts)["payload=".Length..]));
        await socket.SendAsync(click.ToJsonString());
        var clickAck = JsonNode.Parse(await socket.ReceiveAsync())!;
        Assert.Equal("xxx-11-222-yyy-zzz", clickAck["envelope_id"]!.GetValue<string>());
        await Wait.UntilAsync(() => _world.Slack.Calls("views.open").Count == 1, "the reason modal is opened");

        var command = JsonNode.Parse(SlackStandIn.Fixture("socket_mode", "envelope.slash_commands.java-sdk.json"))!.AsObject();
        command["envelope_id"] = "env-command-1";
        command["payload"]!["text"] = "pending";
        await socket.SendAsync(command.ToJsonString());
        var commandAck = JsonNode.Parse(await socket.ReceiveAsync())!;
        Assert.Equal("env-command-1", commandAck["envelope_id"]!.GetValue<string>());
        Assert.Equal("ephemeral", commandAck["payload"]!["response_type"]!.GetValue<string>());
        Assert.Contains(id, commandAck["payload"]!["blocks"]!.ToJsonString(), StringComparison.Ordinal);

        var open = Assert.Single(_world.Slack.Calls("apps.connections.open"));
        Assert.Equal("Bearer " + SlackStandIn.AppToken, open.Authorization);
        _world.AssertCleanTraffic();
    }
}
