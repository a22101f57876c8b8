namespace InfraGuard.Server.Slack;

/// <summary>Slack log lines: ids, identities, Slack error codes. Never tokens, secrets, bodies or reasons.</summary>
internal static partial class SlackLog
{
    [LoggerMessage(40, LogLevel.Warning, "Refused a Slack request on {Path}: {Failure}")]
    public static partial void Unverified(ILogger logger, string path, string failure);

    [LoggerMessage(41, LogLevel.Warning, "Unreadable Slack payload on {Path}: {Message}")]
    public static partial void BadPayload(ILogger logger, string path, string message);

    [LoggerMessage(42, LogLevel.Information, "Slack decision {Verdict} on {RequestId} by {Identity}: {Result}")]
    public static partial void Decision(ILogger logger, InfraGuard.Core.Requests.Verdict verdict, string requestId, string identity, string result);

    [LoggerMessage(43, LogLevel.Warning, "Slack job {Job} failed: {Error}")]
    public static partial void JobFailed(ILogger logger, string job, string error);

    [LoggerMessage(44, LogLevel.Warning, "No Slack channel is routed for stack {Stack} (tier {Tier}); request {RequestId} not posted")]
    public static partial void NoChannel(ILogger logger, string stack, string tier, string requestId);

    [LoggerMessage(45, LogLevel.Information, "Posted request {RequestId} to Slack channel {Channel} (ts {Ts})")]
    public static partial void Posted(ILogger logger, string requestId, string channel, string ts);

    [LoggerMessage(46, LogLevel.Information, "Slack event {EventId} delivered again; ignored")]
    public static partial void DuplicateEvent(ILogger logger, string eventId);

    [LoggerMessage(47, LogLevel.Warning, "Could not open the reason modal for {RequestId}: {Error}")]
    public static partial void ModalFailed(ILogger logger, string requestId, string error);

    [LoggerMessage(48, LogLevel.Information, "Socket Mode stopped: {Reason}")]
    public static partial void SocketStopped(ILogger logger, string reason);

    [LoggerMessage(49, LogLevel.Information, "Slack is behind the store on {Count} request(s); catching up")]
    public static partial void CatchingUp(ILogger logger, int count);
}
