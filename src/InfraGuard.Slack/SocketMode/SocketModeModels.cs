using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraGuard.Slack.SocketMode;

/// <summary>One Socket Mode envelope.</summary>
/// <param name="EnvelopeId">Id to acknowledge.</param>
/// <param name="Type"><c>interactive</c>, <c>slash_commands</c> or <c>events_api</c>.</param>
/// <param name="Payload">The same JSON Slack would POST over HTTP (cloned; parse with <see cref="Payloads.SlackPayloadParser"/>).</param>
/// <param name="AcceptsResponsePayload">True when the ack may carry a response (slash command reply, <c>response_action</c>).</param>
/// <param name="RetryAttempt">Events API retry number, if any.</param>
/// <param name="RetryReason">Events API retry reason, if any.</param>
public sealed record SocketModeEnvelope(string EnvelopeId, string Type, JsonElement Payload, bool AcceptsResponsePayload, int? RetryAttempt, string? RetryReason);

/// <summary>
/// Handles one envelope. When <see cref="SocketModeEnvelope.AcceptsResponsePayload"/> is true the returned object is sent
/// as the ack's <c>payload</c> (return within <see cref="SocketModeOptions.ResponsePayloadTimeout"/>, else the ack goes
/// without it); otherwise the envelope was already acknowledged and the result is ignored. Queue slow work.
/// </summary>
public delegate Task<JsonObject?> SocketModeHandler(SocketModeEnvelope envelope, CancellationToken cancellationToken);

/// <summary>What the <c>hello</c> frame said.</summary>
/// <param name="NumConnections">Open connections for this app.</param>
/// <param name="ApproximateConnectionTime">How long Slack expects this connection to last.</param>
/// <param name="AppId">The app id.</param>
public sealed record SocketModeHello(int NumConnections, TimeSpan? ApproximateConnectionTime, string? AppId);

/// <summary>Why <see cref="SocketModeClient.RunAsync"/> returned.</summary>
public enum SocketModeStopReason
{
    /// <summary>The caller cancelled.</summary>
    Cancelled,

    /// <summary>Slack sent <c>disconnect</c> with <c>link_disabled</c>: Socket Mode was turned off for the app; do not reconnect.</summary>
    LinkDisabled,
}

/// <summary>Settings for <see cref="SocketModeClient"/>.</summary>
public sealed record SocketModeOptions
{
    /// <summary>WebSocket ping interval (Slack's SDKs ping about every 5 s).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A connection whose pings go unanswered this long is dropped and replaced.</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new connection may take to say <c>hello</c>.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the handler may take to produce an ack payload; Slack treats acks like the 3 s HTTP rule.</summary>
    public TimeSpan ResponsePayloadTimeout { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>First delay before retrying a failed connect; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between connect attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Append <c>debug_reconnects=true</c> so Slack refreshes the link after ~360 s (for testing reconnects).</summary>
    public bool DebugReconnects { get; init; }
}
