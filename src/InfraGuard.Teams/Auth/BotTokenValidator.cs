using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Teams.Auth;

/// <summary>How the Bot Connector's tokens are checked.</summary>
public sealed class BotTokenValidatorOptions
{
    /// <summary>The Bot Framework's OpenID metadata document (keys with their channel endorsements).</summary>
    public static readonly Uri DefaultOpenIdMetadataUrl = new("https://login.botframework.com/v1/.well-known/openidconfiguration");

    /// <summary>The issuer of every Connector → bot token.</summary>
    public const string BotFrameworkIssuer = "https://api.botframework.com";

    /// <summary>The bot's Microsoft App ID: the only accepted audience.</summary>
    public required string AppId { get; init; }

    /// <summary>Where the metadata is read (tests point it at a loopback stand-in).</summary>
    public Uri OpenIdMetadataUrl { get; init; } = DefaultOpenIdMetadataUrl;

    /// <summary>False only for a loopback stand-in over http.</summary>
    public bool RequireHttpsMetadata { get; init; } = true;

    /// <summary>Allowed clock difference (the Bot Framework documents 5 minutes).</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Keys are read again at least this often (the Bot Framework asks for at least daily).</summary>
    public TimeSpan KeyRefresh { get; init; } = TimeSpan.FromHours(12);

    /// <summary>An unknown key id fetches the keys again at most this often, so made-up key ids cannot hammer the issuer.</summary>
    public TimeSpan MinimumKeyRefresh { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>The result of checking one inbound request: valid, or why not (never the token itself).</summary>
public sealed record BotTokenCheck(bool IsValid, string? Failure)
{
    internal static BotTokenCheck Valid { get; } = new(true, null);

    internal static BotTokenCheck Fail(string reason) => new(false, reason);
}

/// <summary>
/// Verifies the <c>Authorization: Bearer</c> JWT the Bot Connector sends with every activity, as the Bot Framework
/// documents (Connector to bot): RS256 signed by a key from the OpenID metadata's <c>jwks_uri</c> whose
/// <c>endorsements</c> include the activity's <c>channelId</c>; issuer <c>https://api.botframework.com</c>; audience the
/// bot's app id; within its lifetime with 5 minutes of skew, on <see cref="TimeProvider"/>; and, when the token carries a
/// <c>serviceurl</c> claim, that claim equal to the activity's <c>serviceUrl</c> (Teams' own tokens often carry none).
/// All token work is Microsoft.IdentityModel's (<see cref="ConfigurationManager{T}"/>, <see cref="JsonWebTokenHandler"/>).
/// </summary>
public sealed class BotTokenValidator : IDisposable
{
    /// <summary>The claim binding a token to the activity's Bot Connector (lower-case, as the Bot Framework SDKs read it).</summary>
    public const string ServiceUrlClaim = "serviceurl";

    private readonly BotTokenValidatorOptions _options;
    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private ConfigurationManager<OpenIdConnectConfiguration> _manager;
    private DateTimeOffset? _lastRefresh;

    public BotTokenValidator(BotTokenValidatorOptions options, HttpClient http, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.AppId);
        _options = options;
        _http = http;
        _time = time;
        _manager = NewManager();
    }

    /// <summary>Checks <paramref name="authorization"/> (the whole header value) for an activity from <paramref name="channelId"/> at <paramref name="serviceUrl"/>.</summary>
    public async Task<BotTokenCheck> ValidateAsync(string? authorization, string channelId, string serviceUrl, CancellationToken cancellationToken = default)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7)
        {
            return BotTokenCheck.Fail("no bearer token");
        }

        JsonWebToken token;
        try
        {
            token = new JsonWebToken(authorization[7..].Trim());
        }
        catch (ArgumentException)
        {
            return BotTokenCheck.Fail("the bearer token is not a well-formed JWT");
        }

        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await Volatile.Read(ref _manager).GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            if (!Published(configuration, token.Kid) && await RefreshAsync(configuration, cancellationToken).ConfigureAwait(false) is { } fresh)
            {
                configuration = fresh;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            return BotTokenCheck.Fail($"the Bot Framework signing keys could not be read from {_options.OpenIdMetadataUrl} ({e.GetType().Name})");
        }

        var endorsed = EndorsedKeys(configuration, channelId);
        if (Published(configuration, token.Kid) && !endorsed.Any(k => k.KeyId == token.Kid))
        {
            return BotTokenCheck.Fail($"signing key '{Clip(token.Kid)}' is not endorsed for channel '{Clip(channelId)}'");
        }

        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = BotTokenValidatorOptions.BotFrameworkIssuer,
            ValidAudience = _options.AppId,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            IssuerSigningKeys = endorsed,
            TryAllIssuerSigningKeys = false,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            RequireAudience = true,
            ValidateLifetime = true,
            LifetimeValidator = ValidateLifetime,
            ClockSkew = _options.ClockSkew,
        }).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return BotTokenCheck.Fail(Reason(result.Exception, token));
        }

        if (token.TryGetPayloadValue<string>(ServiceUrlClaim, out var claimed) && !string.Equals(claimed, serviceUrl, StringComparison.OrdinalIgnoreCase))
        {
            return BotTokenCheck.Fail($"the token's serviceurl claim '{Clip(claimed)}' is not the activity's serviceUrl '{Clip(serviceUrl)}'");
        }

        return BotTokenCheck.Valid;
    }

    public void Dispose() => _refreshing.Dispose();

    /// <summary>The signing keys whose <c>endorsements</c> list <paramref name="channelId"/>.</summary>
    internal static List<SecurityKey> EndorsedKeys(OpenIdConnectConfiguration configuration, string channelId)
    {
        var kids = configuration.JsonWebKeySet?.Keys
            .Where(k => k.KeyId is not null && Endorsements(k).Contains(channelId, StringComparer.Ordinal))
            .Select(k => k.KeyId)
            .ToHashSet(StringComparer.Ordinal) ?? [];
        return [.. configuration.SigningKeys.Where(k => k.KeyId is not null && kids.Contains(k.KeyId))];
    }

    /// <summary>A key's <c>endorsements</c> (kept by the library as an unknown member).</summary>
    internal static IEnumerable<string> Endorsements(JsonWebKey key)
    {
        if (!key.AdditionalData.TryGetValue("endorsements", out var value))
        {
            return [];
        }

        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!),
            IEnumerable<object> list => list.Select(o => o switch { string s => s, JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(), _ => null }).OfType<string>(),
            _ => [],
        };
    }

    private static bool Published(OpenIdConnectConfiguration configuration, string? kid) =>
        kid is not null && configuration.SigningKeys.Any(k => k.KeyId == kid);

    /// <summary>Reads the metadata and keys again for an unknown key id, at most once per <see cref="BotTokenValidatorOptions.MinimumKeyRefresh"/>.</summary>
    private async Task<OpenIdConnectConfiguration?> RefreshAsync(OpenIdConnectConfiguration seen, CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = await Volatile.Read(ref _manager).GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(current, seen))
            {
                return current;
            }

            var now = _time.GetUtcNow();
            if (_lastRefresh is { } last && now - last < _options.MinimumKeyRefresh)
            {
                return null;
            }

            _lastRefresh = now;
            var fresh = NewManager();
            var configuration = await fresh.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _manager, fresh);
            return configuration;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private ConfigurationManager<OpenIdConnectConfiguration> NewManager() =>
        new(_options.OpenIdMetadataUrl.AbsoluteUri, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(_http) { RequireHttps = _options.RequireHttpsMetadata })
        {
            AutomaticRefreshInterval = _options.KeyRefresh,
        };

    /// <summary>Lifetime against <see cref="TimeProvider"/> (the library's own check reads the system clock).</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var skew = _options.ClockSkew;
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("no exp");
        }

        if (notBefore is { } nbf && now + skew < nbf)
        {
            throw new SecurityTokenNotYetValidException("not yet valid") { NotBefore = nbf };
        }

        return now - skew < exp ? true : throw new SecurityTokenExpiredException("expired") { Expires = exp };
    }

    private string Reason(Exception? e, JsonWebToken token) => e switch
    {
        SecurityTokenExpiredException x => $"the token expired at {x.Expires:u} (server time {_time.GetUtcNow():u})",
        SecurityTokenNotYetValidException x => $"the token is not valid before {x.NotBefore:u} (server time {_time.GetUtcNow():u})",
        SecurityTokenNoExpirationException => "the token has no expiry",
        SecurityTokenInvalidAudienceException => $"the token is for audience '{Clip(string.Join(", ", token.Audiences))}', not this bot's app id",
        SecurityTokenInvalidIssuerException => $"the token's issuer '{Clip(token.Issuer)}' is not {BotTokenValidatorOptions.BotFrameworkIssuer}",
        SecurityTokenSignatureKeyNotFoundException => $"the token is signed with key id '{Clip(token.Kid)}', which the Bot Framework does not publish",
        SecurityTokenInvalidAlgorithmException => $"the token's algorithm '{Clip(token.Alg)}' is not RS256",
        SecurityTokenInvalidSignatureException => "the token's signature does not verify",
        _ => $"the token did not validate ({e?.GetType().Name ?? "unknown reason"})",
    };

    /// <summary>Values from an unverified token go into messages only in part.</summary>
    private static string Clip(string? text) => text is null ? "" : text.Length <= 80 ? text : text[..80] + "…";
}
