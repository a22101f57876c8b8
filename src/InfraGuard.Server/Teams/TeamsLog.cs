namespace InfraGuard.Server.Teams;

/// <summary>Teams log lines: ids, tenants, identities and reasons. Never tokens, passwords, bodies or decision reasons.</summary>
internal static partial class TeamsLog
{
    [LoggerMessage(70, LogLevel.Warning, "Refused a Teams request on {Path}: {Failure}")]
    public static partial void Unauthenticated(ILogger logger, string path, string failure);

    [LoggerMessage(71, LogLevel.Warning, "Refused a Teams activity from tenant {TenantId}: not in Server:Teams:TenantIds")]
    public static partial void TenantRefused(ILogger logger, string tenantId);

    [LoggerMessage(72, LogLevel.Information, "Teams decision {Verdict} on {RequestId} by {Identity}: {Result}")]
    public static partial void Decision(ILogger logger, InfraGuard.Core.Requests.Verdict verdict, string requestId, string identity, string result);

    [LoggerMessage(73, LogLevel.Warning, "No Teams channel is routed for stack {Stack} (tier {Tier}); request {RequestId} not posted")]
    public static partial void NoChannel(ILogger logger, string stack, string tier, string requestId);

    [LoggerMessage(74, LogLevel.Information, "Posted request {RequestId} to Teams channel {Channel} (conversation {Conversation}, activity {ActivityId})")]
    public static partial void Posted(ILogger logger, string requestId, string channel, string conversation, string activityId);

    [LoggerMessage(75, LogLevel.Information, "InfraGuard was added to Teams team {Team} in tenant {TenantId}: channel {ChannelId}, service URL {ServiceUrl} (for Server:Teams:Channel)")]
    public static partial void Installed(ILogger logger, string team, string tenantId, string channelId, string serviceUrl);

    [LoggerMessage(76, LogLevel.Warning, "Could not look up Teams member {UserId}: {Error}")]
    public static partial void LookupFailed(ILogger logger, string userId, string error);
}
