using System.ComponentModel.DataAnnotations;
using InfraGuard.Teams.Auth;

namespace InfraGuard.Server.Teams;

/// <summary>A Teams channel requests are posted to: the channel, the Bot Connector that serves it, and its tenant.</summary>
public sealed class TeamsChannelTarget
{
    /// <summary>The channel id, <c>19:…@thread.tacv2</c> (the server logs it when the bot is added to a team).</summary>
    public string? ChannelId { get; set; }

    /// <summary>The Bot Connector for the team, e.g. <c>https://smba.trafficmanager.net/emea/</c> (logged with the channel id).</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The team's Entra tenant; defaults to the only entry of <see cref="TeamsOptions.TenantIds"/>.</summary>
    public string? TenantId { get; set; }
}

/// <summary>
/// Microsoft Teams (section <c>Server:Teams</c>): optional. When <see cref="Enabled"/>, the bot's app id and password and
/// at least one allowed tenant are required. Validated at start with messages naming the setting. Secrets are never logged.
/// </summary>
public sealed class TeamsOptions : IValidatableObject
{
    public const string Section = "Server:Teams";

    public bool Enabled { get; set; }

    /// <summary>The bot's Microsoft App ID (Entra application / client id): the audience of inbound tokens.</summary>
    public string? AppId { get; set; }

    /// <summary>The bot's client secret, for Bot Connector access tokens. Never logged.</summary>
    public string? AppPassword { get; set; }

    /// <summary>The tenant the bot's app registration lives in (single-tenant bots); picks the token endpoint.</summary>
    public string? AppTenantId { get; set; }

    /// <summary>Entra tenants whose Teams may use the bot; activities and people from any other tenant are refused.</summary>
    public List<string> TenantIds { get; set; } = [];

    /// <summary>The default channel for approval requests.</summary>
    public TeamsChannelTarget? Channel { get; set; }

    /// <summary>Tier → channel (<c>Server:Teams:TierChannels:production:ChannelId=…</c>).</summary>
    public Dictionary<string, TeamsChannelTarget> TierChannels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Stack → channel; wins over <see cref="TierChannels"/>.</summary>
    public Dictionary<string, TeamsChannelTarget> StackChannels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The Bot Framework OpenID metadata (tests point it at a stand-in).</summary>
    public Uri OpenIdMetadataUrl { get; set; } = BotTokenValidatorOptions.DefaultOpenIdMetadataUrl;

    /// <summary>The token endpoint; default <c>https://login.microsoftonline.com/{AppTenantId or botframework.com}/oauth2/v2.0/token</c>.</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>Tests only: every Bot Connector call goes to this base instead of the service URL's host.</summary>
    public Uri? ConnectorBaseUrl { get; set; }

    /// <summary>Extra Bot Connector hosts to trust besides Microsoft's documented ones (rarely needed).</summary>
    public List<string> ServiceHosts { get; set; } = [];

    /// <summary>How long a member lookup (role, tenant, e-mail) is reused, in seconds.</summary>
    [Range(0, 3600, ErrorMessage = "Server:Teams:MemberCacheSeconds must be between 0 and 3600.")]
    public int MemberCacheSeconds { get; set; } = 300;

    /// <summary>True for a tenant on <see cref="TenantIds"/>.</summary>
    public bool Allows(string? tenantId) => tenantId is { Length: > 0 } t && TenantIds.Contains(t, StringComparer.OrdinalIgnoreCase);

    /// <summary>The channel for a request: its stack's, else its tier's, else the default; null when none is set.</summary>
    public TeamsChannelTarget? ChannelFor(string stack, string tier) =>
        StackChannels.TryGetValue(stack, out var s) ? s : TierChannels.TryGetValue(tier, out var t) ? t : Channel;

    /// <summary>The tenant a channel target posts to.</summary>
    public string? TenantOf(TeamsChannelTarget target) => target.TenantId is { Length: > 0 } t ? t : TenantIds.Count == 1 ? TenantIds[0] : null;

    public Uri TokenEndpointOrDefault => TokenEndpoint ?? InfraGuard.Teams.Connector.BotConnectorOptions.TokenEndpointFor(AppTenantId);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (string.IsNullOrWhiteSpace(AppId))
        {
            yield return new ValidationResult("Teams is enabled but Server:Teams:AppId is missing (INFRAGUARD_SERVER__TEAMS__APPID); use the bot's Microsoft App ID from its Azure Bot resource (docs/teams.md).", [nameof(AppId)]);
        }

        if (string.IsNullOrWhiteSpace(AppPassword))
        {
            yield return new ValidationResult("Teams is enabled but Server:Teams:AppPassword is missing (INFRAGUARD_SERVER__TEAMS__APPPASSWORD); create a client secret for the bot's app registration (docs/teams.md).", [nameof(AppPassword)]);
        }

        if (TenantIds.Count == 0 || TenantIds.Any(string.IsNullOrWhiteSpace))
        {
            yield return new ValidationResult("Teams is enabled but Server:Teams:TenantIds is empty (INFRAGUARD_SERVER__TEAMS__TENANTIDS__0); list your Microsoft Entra tenant id(s): only their people may decide.", [nameof(TenantIds)]);
        }

        var targets = new List<(string Name, TeamsChannelTarget Target)>();
        if (Channel is not null)
        {
            targets.Add(("Server:Teams:Channel", Channel));
        }

        targets.AddRange(TierChannels.Select(t => ($"Server:Teams:TierChannels:{t.Key}", t.Value)));
        targets.AddRange(StackChannels.Select(s => ($"Server:Teams:StackChannels:{s.Key}", s.Value)));
        foreach (var (name, target) in targets)
        {
            if (string.IsNullOrWhiteSpace(target.ChannelId))
            {
                yield return new ValidationResult($"{name}:ChannelId is missing: the channel id 19:…@thread.tacv2 (the server logs it when the bot is added to the team).", [name]);
            }

            if (!Uri.TryCreate(target.ServiceUrl, UriKind.Absolute, out var service) || (service.Scheme != Uri.UriSchemeHttps && ConnectorBaseUrl is null))
            {
                yield return new ValidationResult($"{name}:ServiceUrl must be the team's https Bot Connector URL, e.g. https://smba.trafficmanager.net/emea/ (logged when the bot is added to the team).", [name]);
            }

            if (TenantOf(target) is not { } tenant)
            {
                yield return new ValidationResult($"{name}:TenantId is missing; set it, or list exactly one tenant in Server:Teams:TenantIds.", [name]);
            }
            else if (TenantIds.Count > 0 && !Allows(tenant))
            {
                yield return new ValidationResult($"{name}:TenantId {tenant} is not in Server:Teams:TenantIds; add it there or fix the channel's tenant.", [name]);
            }
        }
    }
}
