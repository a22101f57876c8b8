namespace InfraGuard.Teams.Connector;

/// <summary>How the bot reaches the Bot Connector: its credentials, the token endpoint, and which service URLs it trusts.</summary>
public sealed class BotConnectorOptions
{
    /// <summary>The scope of Bot Connector access tokens.</summary>
    public const string BotFrameworkScope = "https://api.botframework.com/.default";

    /// <summary>Hosts of Microsoft's Bot Connector for Teams (commercial, GCC, GCC High, DoD).</summary>
    public static readonly IReadOnlyList<string> DefaultServiceHosts =
        ["smba.trafficmanager.net", "smba.infra.gcc.teams.microsoft.com", "smba.infra.gov.teams.microsoft.us", "smba.infra.dod.teams.microsoft.us"];

    /// <summary>The bot's Microsoft App ID (client id).</summary>
    public required string AppId { get; init; }

    /// <summary>The bot's client secret. Sent only to <see cref="TokenEndpoint"/>; never logged.</summary>
    public required string AppPassword { get; init; }

    /// <summary>The Entra token endpoint (<c>https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token</c>).</summary>
    public required Uri TokenEndpoint { get; init; }

    /// <summary>Every Bot Connector call goes to this base (scheme, host and port; the service URL's path is kept). Tests only.</summary>
    public Uri? ConnectorBaseUrl { get; init; }

    /// <summary>Service URL hosts the bot sends its token to (https only); anything else is refused.</summary>
    public IReadOnlyList<string> ServiceHosts { get; init; } = DefaultServiceHosts;

    /// <summary>How many times one call is retried after HTTP 429.</summary>
    public int MaxRateLimitRetries { get; init; } = 3;

    /// <summary>A longer <c>Retry-After</c> than this gives up instead of waiting.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The token endpoint for a bot registered in <paramref name="tenant"/> (single-tenant), or botframework.com's (multi-tenant).</summary>
    public static Uri TokenEndpointFor(string? tenant) =>
        new($"https://login.microsoftonline.com/{Uri.EscapeDataString(string.IsNullOrWhiteSpace(tenant) ? "botframework.com" : tenant)}/oauth2/v2.0/token");
}

/// <summary>A Bot Connector (or token endpoint) call failed: which, the HTTP status, and what to do.</summary>
public sealed class TeamsConnectorException : Exception
{
    public TeamsConnectorException()
    {
    }

    public TeamsConnectorException(string message)
        : base(message)
    {
    }

    public TeamsConnectorException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public TeamsConnectorException(string operation, int status, string message)
        : base($"Teams {operation} failed (HTTP {status}): {message}")
    {
        Operation = operation;
        Status = status;
    }

    /// <summary>The operation (<c>create-conversation</c>, <c>update-activity</c>, …).</summary>
    public string Operation { get; } = "";

    /// <summary>The HTTP status (0 when none).</summary>
    public int Status { get; }
}
