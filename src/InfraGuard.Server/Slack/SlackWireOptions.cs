using System.ComponentModel.DataAnnotations;

namespace InfraGuard.Server.Slack;

/// <summary>
/// The Slack transport and channel routing, read from the same <c>Server:Slack</c> section as <see cref="Hosting.SlackOptions"/>
/// (which holds the secrets and the default <c>Channel</c>). Validated at start when Slack is enabled.
/// </summary>
public sealed class SlackWireOptions : IValidatableObject
{
    /// <summary>Receive interactions over Socket Mode (needs <c>AppToken</c>) instead of the three HTTP endpoints.</summary>
    public bool SocketMode { get; set; }

    /// <summary>Slack Web API base address (tests point it at a stand-in).</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://slack.com/api/");

    /// <summary>Tier → channel id (<c>Server:Slack:TierChannels:production=C0PROD</c>).</summary>
    public Dictionary<string, string> TierChannels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Stack → channel id; wins over <see cref="TierChannels"/>.</summary>
    public Dictionary<string, string> StackChannels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Slack user group id (<c>S…</c>) → InfraGuard group granted to its members.</summary>
    public Dictionary<string, string> UserGroups { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Minimum gap between posts to one channel, in milliseconds (Slack allows about one per second).</summary>
    [Range(0, 10_000)]
    public int PerChannelIntervalMilliseconds { get; set; } = 1000;

    /// <summary>Same key as <see cref="Hosting.SlackOptions.Enabled"/> (bound from the same section, not read from it, so a bad Slack section fails once).</summary>
    public bool Enabled { get; set; }

    /// <summary>Same key as <see cref="Hosting.SlackOptions.AppToken"/>; only its presence is checked here.</summary>
    public string? AppToken { get; set; }

    /// <summary>Same key as <see cref="Hosting.SlackOptions.Channel"/>: the default channel.</summary>
    public string? Channel { get; set; }

    /// <summary>The channel for a request: its stack's, else its tier's, else the default; null when none is set.</summary>
    public string? ChannelFor(string stack, string tier) =>
        StackChannels.TryGetValue(stack, out var s) ? s : TierChannels.TryGetValue(tier, out var t) ? t : Channel;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (SocketMode && string.IsNullOrWhiteSpace(AppToken))
        {
            yield return new ValidationResult("Server:Slack:SocketMode is true but Server:Slack:AppToken is missing (INFRAGUARD_SERVER__SLACK__APPTOKEN); create an xapp- token with connections:write on the app's Basic Information page.", [nameof(SocketMode)]);
        }
    }
}
