using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.SocketMode;
using InfraGuard.Slack.Web;

namespace InfraGuard.Slack.Tests.SocketMode;

public sealed class SocketModeClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(10);
    private SlackStandIn _slack = null!;
    private readonly HttpClient _http = new();
    private readonly ConcurrentQueue<SocketModeEnvelope> _handled = new();

    public async ValueTask InitializeAsync() => _slack = await SlackStandIn.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _slack.DisposeAsync();
    }

    private SocketModeClient Client(SocketModeHandler? handler = null) => new(
        new SlackWebApi(_http, new SlackWebApiOptions { BotToken = SlackStandIn.BotToken, AppToken = SlackStandIn.AppToken, BaseAddress = _slack.ApiBase }, TimeProvider.System),
        handler ?? ((envelope, _) =>
        {
            _handled.Enqueue(envelope);
            return Task.FromResult<JsonObject?>(null);
        }),
        new SocketModeOptions { HelloTimeout = TimeSpan.FromSeconds(5), ReconnectDelay = TimeSpan.FromMilliseconds(50) },
        TimeProvider.System);

    private async Task<ServerSocket> NextSocketAsync() => await _slack.Sockets.Reader.ReadAsync().AsTask().WaitAsync(Step, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Run_HelloThenInteractiveEnvelope_AcksAndDispatches()
    {
        using var stop = new CancellationTokenSource();
        var client = Client();
        var run = client.RunAsync(stop.Token);

        var socket = await NextSocketAsync();
        await socket.SendFixtureAsync("hello.java-sdk.json");
        await socket.SendFixtureAsync("envelope.interactive.block_actions.java-sdk.json");
        var ack = JsonNode.Parse(await socket.ReceiveAsync())!.AsObject();
        await Wait.UntilAsync(() => !_handled.IsEmpty, "the handler runs");

        Assert.Equal("""{"envelope_id":"xxx-11-222-yyy-zzz"}""", ack.ToJsonString());
        var envelope = Assert.Single(_handled);
        Assert.Equal(("interactive", false), (envelope.Type, envelope.AcceptsResponsePayload));
        var click = Assert.IsType<SlackBlockAction>(SlackPayloadParser.ParseInteraction(envelope.Payload));
        Assert.Equal("U111", click.UserId);
        Assert.Equal(1, client.ConnectionsOpened);
        Assert.Equal(new SocketModeHello(1, TimeSpan.FromSeconds(18060), "A111"), client.LastHello);
        Assert.Contains("ticket=12348", socket.Query, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(SocketModeStopReason.Cancelled, await run.WaitAsync(Step, TestContext.Current.CancellationToken));
        await socket.Closed.WaitAsync(Step, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_StoppedBeforeHello_ReturnsCancelled()
    {
        using var stop = new CancellationTokenSource();
        var run = Client((_, _) => Task.FromResult<JsonObject?>(null)).RunAsync(stop.Token);
        await NextSocketAsync();

        await stop.CancelAsync();

        Assert.Equal(SocketModeStopReason.Cancelled, await run.WaitAsync(Step, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Run_SlashCommandAcceptingPayload_AckCarriesHandlerPayload()
    {
        using var stop = new CancellationTokenSource();
        var client = Client((envelope, _) =>
        {
            var command = SlackPayloadParser.ParseSlashCommand(envelope.Payload);
            return Task.FromResult<JsonObject?>(command.Parse().Kind == InfraGuardCommandKind.Help ? ApprovalMessages.Help(command.Command).ToJson() : null);
        });
        var run = client.RunAsync(stop.Token);
        var socket = await NextSocketAsync();
        await socket.SendFixtureAsync("hello.java-sdk.json");

        await socket.SendFixtureAsync("envelope.slash_commands.java-sdk.json");
        var ack = JsonNode.Parse(await socket.ReceiveAsync())!;

        Assert.Equal("xxx-11-222-yyy-zzz", (string?)ack["envelope_id"]);
        Assert.Contains("/hi-socket-mode pending", (string?)ack["payload"]!["text"], StringComparison.Ordinal);
        Assert.NotNull(ack["payload"]!["blocks"]);
        await stop.CancelAsync();
        await run.WaitAsync(Step, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_EventsEnvelopeWithSlowHandler_AckedBeforeHandlerFinishes()
    {
        using var stop = new CancellationTokenSource();
        var release = new TaskCompletionSource();
        var client = Client(async (envelope, _) =>
        {
            await release.Task;
            _handled.Enqueue(envelope);
            return null;
        });
        var run = client.RunAsync(stop.Token);
        var socket = await NextSocketAsync();
        await socket.SendFixtureAsync("hello.java-sdk.json");

        await socket.SendFixtureAsync("envelope.events_api.app_mention.java-sdk.json");
        var ack = JsonNode.Parse(await socket.ReceiveAsync())!;

        Assert.Equal("xxx-11-222-yyy-zzz", (string?)ack["envelope_id"]);
        Assert.Empty(_handled);
        release.SetResult();
        await Wait.UntilAsync(() => !_handled.IsEmpty, "the handler finishes");
        Assert.Equal(0, Assert.Single(_handled).RetryAttempt);
        await stop.CancelAsync();
        await run.WaitAsync(Step, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_RefreshRequested_OpensNewLinkBeforeClosingOld()
    {
        using var stop = new CancellationTokenSource();
        var client = Client();
        var run = client.RunAsync(stop.Token);
        var first = await NextSocketAsync();
        await first.SendFixtureAsync("hello.java-sdk.json");

        await first.SendFixtureAsync("disconnect.warning.json");
        await first.SendFixtureAsync("disconnect.refresh_requested.json");
        var second = await NextSocketAsync();
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(first.Closed.IsCompleted, "the old link must stay open until the new one said hello");

        // Envelopes still arriving on the old link are acked there.
        await first.SendFixtureAsync("envelope.interactive.block_actions.java-sdk.json");
        Assert.Equal("xxx-11-222-yyy-zzz", (string?)JsonNode.Parse(await first.ReceiveAsync())!["envelope_id"]);

        await second.SendFixtureAsync("hello.java-sdk.json");
        await first.Closed.WaitAsync(Step, TestContext.Current.CancellationToken);

        var log = _slack.SocketLog.ToList();
        Assert.True(log.IndexOf("open 2") < log.IndexOf("close-received 1"), string.Join(", ", log));
        Assert.Equal(2, _slack.Calls("apps.connections.open").Count);
        Assert.Equal(2, client.ConnectionsOpened);
        Assert.False(run.IsCompleted);

        await second.SendFixtureAsync("envelope.slash_commands.java-sdk.json");
        Assert.Equal("xxx-11-222-yyy-zzz", (string?)JsonNode.Parse(await second.ReceiveAsync())!["envelope_id"]);
        await stop.CancelAsync();
        Assert.Equal(SocketModeStopReason.Cancelled, await run.WaitAsync(Step, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Run_LinkDisabled_StopsWithoutReconnecting()
    {
        var client = Client();
        var run = client.RunAsync(TestContext.Current.CancellationToken);
        var socket = await NextSocketAsync();
        await socket.SendFixtureAsync("hello.java-sdk.json");

        await socket.SendFixtureAsync("disconnect.link_disabled.json");

        Assert.Equal(SocketModeStopReason.LinkDisabled, await run.WaitAsync(Step, TestContext.Current.CancellationToken));
        await socket.Closed.WaitAsync(Step, TestContext.Current.CancellationToken);
        Assert.Single(_slack.Calls("apps.connections.open"));
        Assert.False(_slack.Sockets.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Run_LinkDropped_ReconnectsWithFreshUrl()
    {
        using var stop = new CancellationTokenSource();
        var client = Client();
        var run = client.RunAsync(stop.Token);
        var first = await NextSocketAsync();
        await first.SendFixtureAsync("hello.java-sdk.json");
        await Wait.UntilAsync(() => client.ConnectionsOpened == 1, "the first link says hello");

        first.Abort();
        var second = await NextSocketAsync();
        await second.SendFixtureAsync("hello.java-sdk.json");
        await Wait.UntilAsync(() => client.ConnectionsOpened == 2, "the second link says hello");

        Assert.NotEqual(first.Query, second.Query);
        await stop.CancelAsync();
        await run.WaitAsync(Step, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_LinkDroppedBeforeHello_RetriesAtOnceWithoutWaitingForHelloTimeout()
    {
        using var stop = new CancellationTokenSource();
        var client = Client();
        var run = client.RunAsync(stop.Token);
        var first = await NextSocketAsync();

        first.Abort();
        var second = await NextSocketAsync().WaitAsync(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        await second.SendFixtureAsync("hello.java-sdk.json");
        await Wait.UntilAsync(() => client.ConnectionsOpened == 1, "the second link says hello");

        Assert.Equal(2, _slack.Calls("apps.connections.open").Count);
        await stop.CancelAsync();
        await run.WaitAsync(Step, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Run_AppsConnectionsOpenInvalidAuth_Throws()
    {
        _slack.Script("apps.connections.open", 200, """{"ok":false,"error":"invalid_auth"}""");

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Client().RunAsync(TestContext.Current.CancellationToken).WaitAsync(Step, TestContext.Current.CancellationToken));

        Assert.Equal("invalid_auth", error.Error);
    }
}
