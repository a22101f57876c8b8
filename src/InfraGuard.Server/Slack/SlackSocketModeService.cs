using System.Text.Json.Nodes;
using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.SocketMode;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>Socket Mode, when <c>Server:Slack:SocketMode</c> is true: the same handlers as the HTTP endpoints, over Slack's WebSocket.</summary>
internal sealed class SlackSocketModeService(
    IOptions<SlackOptions> slack, IOptions<SlackWireOptions> wire, IServiceProvider services, TimeProvider time, ILoggerFactory logs) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!slack.Value.Enabled || !wire.Value.SocketMode)
        {
            return;
        }

        var handlers = services.GetRequiredService<SlackHandlers>();
        var client = new SocketModeClient(services.GetRequiredService<SlackWebApi>(), (e, ct) => DispatchAsync(handlers, e, ct), new SocketModeOptions(), time, logs.CreateLogger<SocketModeClient>());
        var reason = await client.RunAsync(stoppingToken).ConfigureAwait(false);
        SlackLog.SocketStopped(logs.CreateLogger<SlackSocketModeService>(), reason.ToString());
    }

    internal static async Task<JsonObject?> DispatchAsync(SlackHandlers handlers, SocketModeEnvelope envelope, CancellationToken ct)
    {
        switch (envelope.Type)
        {
            case "interactive":
                return await handlers.InteractionAsync(SlackPayloadParser.ParseInteraction(envelope.Payload), ct).ConfigureAwait(false);
            case "slash_commands":
                var reply = (await handlers.CommandAsync(SlackPayloadParser.ParseSlashCommand(envelope.Payload), ct).ConfigureAwait(false)).ToJson();
                reply["response_type"] = "ephemeral";
                return reply;
            case "events_api":
                return await handlers.EventAsync(SlackPayloadParser.ParseEvent(envelope.Payload), ct).ConfigureAwait(false);
            default:
                return null;
        }
    }
}
