using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Payloads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InfraGuard.Slack.Web;

/// <summary>
/// The Slack Web API methods InfraGuard uses, over <see cref="HttpClient"/>: <c>POST {base}/{method}</c> with
/// <c>Authorization: Bearer</c>, JSON bodies for chat/views methods, form bodies for the rest. HTTP 429 is retried after
/// <c>Retry-After</c> (bounded); <c>ok:false</c> becomes <see cref="SlackApiException"/>; posts to one channel are
/// spaced by <see cref="SlackWebApiOptions.PerChannelInterval"/>.
/// </summary>
public sealed partial class SlackWebApi : ISlackDirectory
{
    private readonly HttpClient _http;
    private readonly SlackWebApiOptions _options;
    private readonly TimeProvider _time;
    private readonly ChannelRateLimiter _channels;
    private readonly ILogger _logger;

    /// <summary>Creates the client. <paramref name="http"/> is used as given (its BaseAddress is ignored).</summary>
    public SlackWebApi(HttpClient http, SlackWebApiOptions options, TimeProvider time, ILogger<SlackWebApi>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrEmpty(options.BotToken);
        _http = http;
        _options = options;
        _time = time;
        _channels = new ChannelRateLimiter(time, options.PerChannelInterval);
        _logger = logger ?? NullLogger<SlackWebApi>.Instance;
    }

    /// <summary><c>chat.postMessage</c>; <paramref name="threadTs"/> posts a thread reply.</summary>
    public async Task<PostedMessage> PostMessageAsync(string channel, SlackMessage message, string? threadTs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = MessageBody(message);
        body["channel"] = channel;
        if (threadTs is not null)
        {
            body["thread_ts"] = threadTs;
        }

        body["unfurl_links"] = false;
        body["unfurl_media"] = false;
        await _channels.WaitAsync(channel, cancellationToken).ConfigureAwait(false);
        var result = await CallJsonAsync("chat.postMessage", body, cancellationToken).ConfigureAwait(false);
        return new PostedMessage(SlackPayloadParser.Str(result, "channel") ?? channel, Required(result, "chat.postMessage", "ts"));
    }

    /// <summary><c>chat.update</c>: replaces a message's text and blocks.</summary>
    public async Task<PostedMessage> UpdateMessageAsync(string channel, string ts, SlackMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = MessageBody(message);
        body["channel"] = channel;
        body["ts"] = ts;
        var result = await CallJsonAsync("chat.update", body, cancellationToken).ConfigureAwait(false);
        return new PostedMessage(SlackPayloadParser.Str(result, "channel") ?? channel, SlackPayloadParser.Str(result, "ts") ?? ts);
    }

    /// <summary><c>chat.postEphemeral</c>: a message only <paramref name="user"/> sees; returns its <c>message_ts</c>.</summary>
    public async Task<string> PostEphemeralAsync(string channel, string user, SlackMessage message, string? threadTs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var body = MessageBody(message);
        body["channel"] = channel;
        body["user"] = user;
        if (threadTs is not null)
        {
            body["thread_ts"] = threadTs;
        }

        await _channels.WaitAsync(channel, cancellationToken).ConfigureAwait(false);
        var result = await CallJsonAsync("chat.postEphemeral", body, cancellationToken).ConfigureAwait(false);
        return Required(result, "chat.postEphemeral", "message_ts");
    }

    /// <summary><c>views.open</c>: opens a modal for a trigger (3-second, single use); returns the view id.</summary>
    public async Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(view);
        var body = new JsonObject { ["trigger_id"] = triggerId, ["view"] = view.DeepClone() };
        var result = await CallJsonAsync("views.open", body, cancellationToken).ConfigureAwait(false);
        return SlackPayloadParser.Str(result, "view", "id") ?? "";
    }

    /// <inheritdoc />
    public async Task<SlackUser> GetUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        var result = await CallFormAsync("users.info", [new("user", userId)], _options.BotToken, cancellationToken).ConfigureAwait(false);
        if (!result.TryGetProperty("user", out var u))
        {
            throw new SlackApiException("users.info", "missing_user", ["the response has no 'user' object"]);
        }

        return new SlackUser(
            SlackPayloadParser.Str(u, "id") ?? userId,
            SlackPayloadParser.Str(u, "team_id"),
            SlackPayloadParser.Str(u, "name"),
            SlackPayloadParser.Str(u, "real_name") ?? SlackPayloadParser.Str(u, "profile", "real_name"),
            SlackPayloadParser.Str(u, "profile", "email"),
            Flag(u, "is_bot"),
            Flag(u, "is_app_user"),
            Flag(u, "is_restricted"),
            Flag(u, "is_ultra_restricted"),
            Flag(u, "deleted"));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken = default)
    {
        var result = await CallFormAsync("usergroups.users.list", [new("usergroup", userGroupId)], _options.BotToken, cancellationToken).ConfigureAwait(false);
        return result.TryGetProperty("users", out var users) && users.ValueKind == JsonValueKind.Array
            ? users.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];
    }

    /// <summary>
    /// Uploads <paramref name="file"/> as a text file into a thread: <c>files.getUploadURLExternal</c>, then the bytes
    /// to the returned upload URL (no token sent there), then <c>files.completeUploadExternal</c>. Returns the file id.
    /// </summary>
    public async Task<string> UploadTextFileAsync(string channel, string threadTs, SlackFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        var bytes = Encoding.UTF8.GetBytes(file.Content);
        var ticket = await CallFormAsync(
            "files.getUploadURLExternal",
            [new("filename", file.FileName), new("length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("snippet_type", "text")],
            _options.BotToken,
            cancellationToken).ConfigureAwait(false);
        var uploadUrl = new Uri(Required(ticket, "files.getUploadURLExternal", "upload_url"));
        var fileId = Required(ticket, "files.getUploadURLExternal", "file_id");

        using (var upload = new ByteArrayContent(bytes))
        {
            upload.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var response = await _http.PostAsync(uploadUrl, upload, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new SlackApiException("files.upload_url", $"http_{(int)response.StatusCode}", ["uploading the file bytes failed"]);
            }
        }

        var files = new JsonArray(new JsonObject { ["id"] = fileId, ["title"] = file.Title }).ToJsonString();
        List<KeyValuePair<string, string>> complete = [new("files", files), new("channel_id", channel), new("thread_ts", threadTs)];
        if (file.InitialComment is { Length: > 0 } comment)
        {
            complete.Add(new("initial_comment", comment));
        }

        await _channels.WaitAsync(channel, cancellationToken).ConfigureAwait(false);
        await CallFormAsync("files.completeUploadExternal", complete, _options.BotToken, cancellationToken).ConfigureAwait(false);
        return fileId;
    }

    /// <summary><c>apps.connections.open</c> with the app-level token: a single-use Socket Mode WebSocket URL.</summary>
    public async Task<Uri> OpenSocketModeConnectionAsync(CancellationToken cancellationToken = default)
    {
        var appToken = _options.AppToken ?? throw new InvalidOperationException("Socket Mode needs an app-level token (xapp-…): set SlackWebApiOptions.AppToken.");
        var result = await CallFormAsync("apps.connections.open", [], appToken, cancellationToken).ConfigureAwait(false);
        return new Uri(Required(result, "apps.connections.open", "url"));
    }

    private static JsonObject MessageBody(SlackMessage message) => new()
    {
        ["text"] = message.Text,
        ["blocks"] = message.Blocks.DeepClone(),
    };

    private Task<JsonElement> CallJsonAsync(string method, JsonObject body, CancellationToken cancellationToken) =>
        CallAsync(method, () => new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), _options.BotToken, cancellationToken);

    private Task<JsonElement> CallFormAsync(string method, IReadOnlyList<KeyValuePair<string, string>> fields, string token, CancellationToken cancellationToken) =>
        CallAsync(method, () => new FormUrlEncodedContent(fields), token, cancellationToken);

    private async Task<JsonElement> CallAsync(string method, Func<HttpContent> content, string token, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.BaseAddress, method)) { Content = content() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var delay = RetryAfter(response);
                if (attempt >= _options.MaxRateLimitRetries || delay > _options.MaxRetryAfter)
                {
                    Log.RateLimitGiveUp(_logger, method, attempt, delay.TotalSeconds);
                    throw new SlackApiException(method, "ratelimited", [$"HTTP 429 after {attempt + 1} attempt(s); Retry-After {delay.TotalSeconds:0} s"]);
                }

                Log.RateLimited(_logger, method, delay.TotalSeconds, attempt + 1);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(text);
                root = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                Log.BadResponse(_logger, method, (int)response.StatusCode);
                throw new SlackApiException(method, $"http_{(int)response.StatusCode}", ["the response is not JSON"]);
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
            {
                var error = SlackPayloadParser.Str(root, "error") ?? $"http_{(int)response.StatusCode}";
                var details = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("response_metadata", out var meta) && meta.TryGetProperty("messages", out var msgs) && msgs.ValueKind == JsonValueKind.Array
                    ? msgs.EnumerateArray().Select(m => m.ToString()).ToList()
                    : [];
                Log.MethodFailed(_logger, method, error);
                throw new SlackApiException(method, error, details);
            }

            if (SlackPayloadParser.Str(root, "warning") is { } warning)
            {
                Log.MethodWarning(_logger, method, warning);
            }

            return root;
        }
    }

    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter?.Delta is { } delta && delta >= TimeSpan.Zero)
        {
            return delta;
        }

        // Non-numeric or absent: Slack's SDK tests show both; wait a second rather than hammer.
        return TimeSpan.FromSeconds(1);
    }

    private static string Required(JsonElement result, string method, string property) =>
        SlackPayloadParser.Str(result, property) ?? throw new SlackApiException(method, "missing_field", [$"the response has no '{property}'"]);

    private static bool Flag(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static partial class Log
    {
        [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Slack {Method} rate-limited; retrying in {Seconds} s (attempt {Attempt})")]
        public static partial void RateLimited(ILogger logger, string method, double seconds, int attempt);

        [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Slack {Method} still rate-limited after {Retries} retries (Retry-After {Seconds} s); giving up")]
        public static partial void RateLimitGiveUp(ILogger logger, string method, int retries, double seconds);

        [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Slack {Method} failed: {Error}")]
        public static partial void MethodFailed(ILogger logger, string method, string error);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Slack {Method} warning: {Warning}")]
        public static partial void MethodWarning(ILogger logger, string method, string warning);

        [LoggerMessage(EventId = 3104, Level = LogLevel.Error, Message = "Slack {Method} answered HTTP {Status} with a body that is not JSON")]
        public static partial void BadResponse(ILogger logger, string method, int status);
    }
}
