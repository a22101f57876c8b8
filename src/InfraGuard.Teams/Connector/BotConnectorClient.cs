using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfraGuard.Teams.Connector;

/// <summary>A conversation the bot started: its id and the first activity's id.</summary>
public sealed record ConversationResource(string ConversationId, string ActivityId);

/// <summary>A Teams member as the Connector describes it (<c>TeamsChannelAccount</c>).</summary>
/// <param name="Id">The channel account id (<c>29:…</c>).</param>
/// <param name="Name">Display name.</param>
/// <param name="AadObjectId">Entra object id.</param>
/// <param name="UserPrincipalName">UPN, when Teams gives it.</param>
/// <param name="Email">E-mail, when Teams gives it.</param>
/// <param name="TenantId">The member's own tenant.</param>
/// <param name="UserRole"><c>user</c>, <c>guest</c> or <c>anonymous</c>.</param>
public sealed record TeamsMember(string Id, string? Name, string? AadObjectId, string? UserPrincipalName, string? Email, string? TenantId, string? UserRole)
{
    /// <summary>True unless Teams calls the member a plain <c>user</c>: guests and anonymous members are never eligible.</summary>
    public bool IsGuest => !string.Equals(UserRole ?? "user", "user", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The Bot Connector REST API (v3) calls InfraGuard makes, with the bot's client-credentials token
/// (<see cref="BotAccessTokens"/>): start a thread in a channel, update an activity, reply in a thread, look up a member.
/// A 401 fetches a new token and tries once more; a 429 waits <c>Retry-After</c> (bounded) and retries. The token is
/// sent only to https service URLs on <see cref="BotConnectorOptions.ServiceHosts"/> (or the test base URL).
/// </summary>
public sealed partial class BotConnectorClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly BotConnectorOptions _options;
    private readonly BotAccessTokens _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public BotConnectorClient(HttpClient http, BotConnectorOptions options, TimeProvider time, ILogger<BotConnectorClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _time = time;
        _tokens = new BotAccessTokens(http, options, time);
        _logger = logger ?? NullLogger<BotConnectorClient>.Instance;
    }

    /// <summary><c>POST {serviceUrl}/v3/conversations</c>: a new thread in a Teams channel, starting with <paramref name="activity"/>.</summary>
    public async Task<ConversationResource> CreateChannelThreadAsync(string serviceUrl, string teamsChannelId, string tenantId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var body = new JsonObject
        {
            ["isGroup"] = true,
            ["channelData"] = new JsonObject
            {
                ["channel"] = new JsonObject { ["id"] = teamsChannelId },
                ["tenant"] = new JsonObject { ["id"] = tenantId },
            },
            ["activity"] = activity.DeepClone(),
            ["tenantId"] = tenantId,
        };
        using var doc = await SendAsync("create-conversation", HttpMethod.Post, serviceUrl, "v3/conversations", body, cancellationToken).ConfigureAwait(false);
        var root = doc.RootElement;
        var id = Str(root, "id") ?? throw new TeamsConnectorException("create-conversation", 200, "the answer has no conversation 'id'");
        return new ConversationResource(id, Str(root, "activityId") ?? throw new TeamsConnectorException("create-conversation", 200, "the answer has no 'activityId'"));
    }

    /// <summary><c>PUT {serviceUrl}/v3/conversations/{id}/activities/{activityId}</c>: replaces the message (for everyone).</summary>
    public async Task UpdateActivityAsync(string serviceUrl, string conversationId, string activityId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var body = (JsonObject)activity.DeepClone();
        body["id"] = activityId;
        using var _ = await SendAsync("update-activity", HttpMethod.Put, serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities/{Uri.EscapeDataString(activityId)}", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST {serviceUrl}/v3/conversations/{id}/activities/{activityId}</c>: a reply in the thread; returns its id.</summary>
    public async Task<string?> ReplyAsync(string serviceUrl, string conversationId, string activityId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var body = (JsonObject)activity.DeepClone();
        body["replyToId"] = activityId;
        using var doc = await SendAsync("reply", HttpMethod.Post, serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities/{Uri.EscapeDataString(activityId)}", body, cancellationToken).ConfigureAwait(false);
        return Str(doc.RootElement, "id");
    }

    /// <summary><c>GET {serviceUrl}/v3/conversations/{id}/members/{userId}</c>; null when Teams does not know the member there.</summary>
    public async Task<TeamsMember?> GetMemberAsync(string serviceUrl, string conversationId, string userId, CancellationToken cancellationToken = default)
    {
        try
        {
            using var doc = await SendAsync("get-member", HttpMethod.Get, serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/members/{Uri.EscapeDataString(userId)}", null, cancellationToken).ConfigureAwait(false);
            var m = doc.RootElement;
            return new TeamsMember(
                Str(m, "id") ?? userId,
                Str(m, "name"),
                Str(m, "aadObjectId") ?? Str(m, "objectId"),
                Str(m, "userPrincipalName"),
                Str(m, "email"),
                Str(m, "tenantId"),
                Str(m, "userRole"));
        }
        catch (TeamsConnectorException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public void Dispose() => _tokens.Dispose();

    /// <summary>Where a call for <paramref name="serviceUrl"/> goes; refuses service URLs the bot does not trust with its token.</summary>
    internal Uri Resolve(string serviceUrl, string path)
    {
        if (!Uri.TryCreate(serviceUrl, UriKind.Absolute, out var service))
        {
            throw new TeamsConnectorException($"The service URL '{serviceUrl}' is not an absolute URL.");
        }

        var basePath = service.AbsolutePath.EndsWith('/') ? service.AbsolutePath : service.AbsolutePath + "/";
        if (_options.ConnectorBaseUrl is { } test)
        {
            return new Uri(new Uri(test, basePath), path);
        }

        if (service.Scheme != Uri.UriSchemeHttps || !_options.ServiceHosts.Contains(service.Host, StringComparer.OrdinalIgnoreCase))
        {
            throw new TeamsConnectorException($"The service URL host '{service.Host}' is not a Bot Connector host InfraGuard trusts ({string.Join(", ", _options.ServiceHosts)}); add it to Server:Teams:ServiceHosts only if Microsoft documents it.");
        }

        return new Uri(new Uri(service, basePath), path);
    }

    private async Task<JsonDocument> SendAsync(string operation, HttpMethod method, string serviceUrl, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var uri = Resolve(serviceUrl, path);
        var json = body?.ToJsonString();
        var refreshed = false;
        for (var attempt = 0; ; attempt++)
        {
            var token = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
            using var request = new HttpRequestMessage(method, uri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && !refreshed)
            {
                refreshed = true;
                _tokens.Invalidate(token);
                Log.TokenRefused(_logger, operation);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var delay = response.Headers.RetryAfter?.Delta is { } d && d >= TimeSpan.Zero
                    ? d
                    : response.Headers.RetryAfter?.Date is { } at ? Max(at - _time.GetUtcNow(), TimeSpan.Zero) : TimeSpan.FromSeconds(1);
                if (attempt >= _options.MaxRateLimitRetries || delay > _options.MaxRetryAfter)
                {
                    Log.RateLimitGiveUp(_logger, operation, attempt, delay.TotalSeconds);
                    throw new TeamsConnectorException(operation, 429, $"still rate-limited after {attempt + 1} attempt(s) (Retry-After {delay.TotalSeconds:0} s)");
                }

                Log.RateLimited(_logger, operation, delay.TotalSeconds, attempt + 1);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var code = ErrorCode(text);
                Log.Failed(_logger, operation, (int)response.StatusCode, code);
                throw new TeamsConnectorException(operation, (int)response.StatusCode, code);
            }

            try
            {
                return JsonDocument.Parse(text.Length == 0 ? "{}" : text);
            }
            catch (JsonException)
            {
                throw new TeamsConnectorException(operation, (int)response.StatusCode, "the answer is not JSON");
            }
        }
    }

    /// <summary>The Connector's <c>error.code</c> (never the body: it may echo what was sent).</summary>
    private static string ErrorCode(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e)
                ? Str(e, "code") ?? "no error code"
                : "no error code";
        }
        catch (JsonException)
        {
            return "no error code";
        }
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static partial class Log
    {
        [LoggerMessage(EventId = 3200, Level = LogLevel.Warning, Message = "Teams {Operation} rate-limited; retrying in {Seconds} s (attempt {Attempt})")]
        public static partial void RateLimited(ILogger logger, string operation, double seconds, int attempt);

        [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Teams {Operation} still rate-limited after {Retries} retries (Retry-After {Seconds} s); giving up")]
        public static partial void RateLimitGiveUp(ILogger logger, string operation, int retries, double seconds);

        [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Teams {Operation} failed: HTTP {Status} {Code}")]
        public static partial void Failed(ILogger logger, string operation, int status, string code);

        [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "Teams {Operation}: the Bot Connector refused the access token; fetching a new one")]
        public static partial void TokenRefused(ILogger logger, string operation);
    }
}
