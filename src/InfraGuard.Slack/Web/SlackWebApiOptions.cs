namespace InfraGuard.Slack.Web;

/// <summary>Settings for <see cref="SlackWebApi"/>.</summary>
public sealed record SlackWebApiOptions
{
    /// <summary>Bot token (<c>xoxb-…</c>) for every method except <c>apps.connections.open</c>.</summary>
    public required string BotToken { get; init; }

    /// <summary>App-level token (<c>xapp-…</c>, scope <c>connections:write</c>) for Socket Mode; null when not used.</summary>
    public string? AppToken { get; init; }

    /// <summary>Web API base address; ends with <c>/</c>.</summary>
    public Uri BaseAddress { get; init; } = new("https://slack.com/api/");

    /// <summary>How many times a method answered with HTTP 429 is retried before giving up.</summary>
    public int MaxRateLimitRetries { get; init; } = 3;

    /// <summary>The longest <c>Retry-After</c> honoured; a longer one fails at once rather than stall an approval.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Minimum gap between messages posted to one channel (Slack allows about 1 per second).</summary>
    public TimeSpan PerChannelInterval { get; init; } = TimeSpan.FromSeconds(1);
}
