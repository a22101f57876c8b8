using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using System.Web;
using InfraGuard.Slack.Messages;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InfraGuard.Slack.Tests;

/// <summary>One request the client sent to the stand-in.</summary>
internal sealed record RecordedRequest(string Method, string Path, string? Authorization, string? ContentType, string Body, IReadOnlyDictionary<string, string> Form, JsonObject? Json);

/// <summary>
/// A loopback Kestrel stand-in for Slack: the Web API under <c>/api/{method}</c> (checks method, auth, required fields and
/// Block Kit limits of every request, answers with the recorded fixture responses), an upload URL, and a Socket Mode
/// WebSocket endpoint under <c>/link/</c> that hands each accepted socket to the test.
/// </summary>
internal sealed class SlackStandIn : IAsyncDisposable
{
    public const string BotToken = "xoxb-standin-0000-bot-token";
    public const string AppToken = "xapp-1-standin-0000-app-token";
    public const string UploadFileId = "F0STANDIN1";

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<(int Status, string Body, string? RetryAfter)>> _scripted = new();
    private int _tickets;

    private SlackStandIn(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Everything the stand-in found wrong with a request; tests assert it stays empty.</summary>
    public ConcurrentQueue<string> Problems { get; } = new();

    /// <summary>Slack users by id for users.info; unknown ids answer <c>user_not_found</c>.</summary>
    public ConcurrentDictionary<string, JsonObject> Users { get; } = new();

    /// <summary>Bytes received at the upload URL.</summary>
    public ConcurrentQueue<byte[]> Uploads { get; } = new();

    /// <summary>Sockets accepted under <c>/link/</c>, in order.</summary>
    public Channel<ServerSocket> Sockets { get; } = Channel.CreateUnbounded<ServerSocket>();

    /// <summary>Ordered log of socket events ("open 1", "close-received 1", …).</summary>
    public ConcurrentQueue<string> SocketLog { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public Uri ApiBase => new(BaseAddress, "api/");

    public static async Task<SlackStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var standIn = new SlackStandIn(app);
        app.UseWebSockets();
        app.MapPost("/api/{method}", (HttpContext ctx, string method) => standIn.ApiAsync(ctx, method));
        app.MapPost("/upload/{id}", (HttpContext ctx, string id) => standIn.UploadAsync(ctx, id));
        app.Map("/link/", (HttpContext ctx) => standIn.LinkAsync(ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return standIn;
    }

    /// <summary>Makes the next call(s) of <paramref name="method"/> answer this instead of the default.</summary>
    public void Script(string method, int status, string body, string? retryAfter = null) =>
        _scripted.GetOrAdd(method, _ => new()).Enqueue((status, body, retryAfter));

    /// <summary>Scripts the recorded 429 (<c>web_api/ratelimited.429.http</c>): its status line, retry-after and body.</summary>
    public void ScriptRateLimited(string method)
    {
        var raw = File.ReadAllText(Repo.Fixture("slack", "web_api", "ratelimited.429.http"));
        var split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = raw[..split].Split("\r\n");
        var status = int.Parse(head[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var retryAfter = head.Single(h => h.StartsWith("retry-after:", StringComparison.OrdinalIgnoreCase)).Split(':')[1].Trim();
        Script(method, status, raw[(split + 4)..], retryAfter);
    }

    public IReadOnlyList<RecordedRequest> Calls(string method) => Requests.Where(r => r.Method == method).ToList();

    public static string Fixture(params string[] parts) => File.ReadAllText(Repo.Fixture(["slack", .. parts]));

    public async ValueTask DisposeAsync()
    {
        Sockets.Writer.TryComplete();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ApiAsync(HttpContext ctx, string method)
    {
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var contentType = ctx.Request.ContentType;
        var form = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonObject? json = null;
        if (contentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.Ordinal) == true)
        {
            var parsed = HttpUtility.ParseQueryString(body);
            foreach (var key in parsed.AllKeys.OfType<string>())
            {
                form[key] = parsed[key]!;
            }
        }
        else if (contentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
        {
            json = JsonNode.Parse(body) as JsonObject;
            if (!contentType.Contains("charset=utf-8", StringComparison.OrdinalIgnoreCase))
            {
                Problems.Enqueue($"{method}: JSON without charset=utf-8");
            }
        }
        else if (body.Length > 0)
        {
            Problems.Enqueue($"{method}: unexpected content type {contentType}");
        }

        var auth = ctx.Request.Headers.Authorization.ToString();
        var request = new RecordedRequest(method, ctx.Request.Path, auth, contentType, body, form, json);
        Requests.Enqueue(request);

        var expectedToken = method == "apps.connections.open" ? AppToken : BotToken;
        if (auth != "Bearer " + expectedToken)
        {
            await Answer(ctx, 200, """{"ok":false,"error":"invalid_auth"}""");
            return;
        }

        if (_scripted.TryGetValue(method, out var queue) && queue.TryDequeue(out var scripted))
        {
            if (scripted.RetryAfter is not null)
            {
                ctx.Response.Headers["retry-after"] = scripted.RetryAfter;
            }

            await Answer(ctx, scripted.Status, scripted.Body);
            return;
        }

        var problems = Check(method, request);
        foreach (var p in problems)
        {
            Problems.Enqueue($"{method}: {p}");
        }

        if (problems.Count > 0)
        {
            await Answer(ctx, 200, """{"ok":false,"error":"invalid_arguments"}""");
            return;
        }

        await Answer(ctx, 200, Default(method, request));
    }

    private static List<string> Check(string method, RecordedRequest r)
    {
        var problems = new List<string>();
        void Need(string field)
        {
            var present = r.Json is not null ? r.Json[field] is not null : r.Form.ContainsKey(field);
            if (!present)
            {
                problems.Add($"missing required field '{field}'");
            }
        }

        switch (method)
        {
            case "chat.postMessage":
                Need("channel");
                Need("text");
                problems.AddRange(BlockKitLimits.CheckMessage(r.Json ?? []));
                break;
            case "chat.update":
                Need("channel");
                Need("ts");
                Need("text");
                problems.AddRange(BlockKitLimits.CheckMessage(r.Json ?? []));
                break;
            case "chat.postEphemeral":
                Need("channel");
                Need("user");
                Need("text");
                problems.AddRange(BlockKitLimits.CheckMessage(r.Json ?? []));
                break;
            case "views.open":
                Need("trigger_id");
                if (r.Json?["view"] is JsonObject view)
                {
                    problems.AddRange(BlockKitLimits.CheckModal(view));
                }
                else
                {
                    problems.Add("view must be an object");
                }

                break;
            case "users.info":
                Need("user");
                break;
            case "usergroups.users.list":
                Need("usergroup");
                break;
            case "files.getUploadURLExternal":
                Need("filename");
                Need("length");
                break;
            case "files.completeUploadExternal":
                Need("files");
                Need("channel_id");
                if (r.Form.TryGetValue("files", out var files) && (JsonNode.Parse(files) as JsonArray)?.FirstOrDefault()?["id"]?.GetValue<string>() != UploadFileId)
                {
                    problems.Add("files[0].id is not the id getUploadURLExternal returned");
                }

                break;
            case "apps.connections.open":
                if (r.Body.Length > 0)
                {
                    problems.Add("the app token must be sent only in the Authorization header");
                }

                break;
            default:
                problems.Add("unknown method");
                break;
        }

        return problems;
    }

    private string Default(string method, RecordedRequest r) => method switch
    {
        "chat.postMessage" => Fixture("web_api", "chat.postMessage.ok.json"),
        "chat.update" => Fixture("web_api", "chat.update.ok.json"),
        "chat.postEphemeral" => Fixture("web_api", "chat.postEphemeral.ok.json"),
        "views.open" => """{"ok":true,"view":{"id":"V0STANDIN1"}}""",
        "users.info" => Users.TryGetValue(r.Form["user"], out var user)
            ? new JsonObject { ["ok"] = true, ["user"] = user.DeepClone() }.ToJsonString()
            : """{"ok":false,"error":"user_not_found"}""",
        "usergroups.users.list" => Fixture("web_api", "usergroups.users.list.ok.json"),
        "files.getUploadURLExternal" => new JsonObject { ["ok"] = true, ["upload_url"] = new Uri(BaseAddress, "upload/" + UploadFileId).AbsoluteUri, ["file_id"] = UploadFileId }.ToJsonString(),
        "files.completeUploadExternal" => new JsonObject { ["ok"] = true, ["files"] = new JsonArray(new JsonObject { ["id"] = UploadFileId }) }.ToJsonString(),
        "apps.connections.open" => ConnectionsOpen(),
        _ => """{"ok":false,"error":"unknown_method"}""",
    };

    private string ConnectionsOpen()
    {
        // The recorded answer, with Slack's host swapped for this loopback socket endpoint (query kept).
        var answer = JsonNode.Parse(Fixture("socket_mode", "apps.connections.open.ok.json"))!.AsObject();
        var recorded = new Uri(answer["url"]!.GetValue<string>());
        var ticket = Interlocked.Increment(ref _tickets);
        answer["url"] = $"ws://{BaseAddress.Authority}/link/{recorded.Query}&n={ticket}";
        return answer.ToJsonString();
    }

    private async Task UploadAsync(HttpContext ctx, string id)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer);
        Requests.Enqueue(new RecordedRequest("upload:" + id, ctx.Request.Path, ctx.Request.Headers.Authorization.ToString(), ctx.Request.ContentType, Encoding.UTF8.GetString(buffer.ToArray()), new Dictionary<string, string>(), null));
        if (ctx.Request.Headers.Authorization.Count > 0)
        {
            Problems.Enqueue("upload: the bot token was sent to the upload URL");
        }

        var length = Calls("files.getUploadURLExternal") is { Count: > 0 } tickets ? tickets[^1].Form.GetValueOrDefault("length") : null;
        if (length != buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            Problems.Enqueue($"upload: {buffer.Length} bytes but getUploadURLExternal said length={length}");
        }

        Uploads.Enqueue(buffer.ToArray());
        ctx.Response.StatusCode = 200;
        await ctx.Response.WriteAsync("OK - " + buffer.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task LinkAsync(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            return;
        }

        var ws = await ctx.WebSockets.AcceptWebSocketAsync();
        var n = int.Parse(ctx.Request.Query["n"]!, System.Globalization.CultureInfo.InvariantCulture);
        var socket = new ServerSocket(n, ws, SocketLog, ctx.Request.Query["ticket"]!, ctx.Request.QueryString.Value ?? "");
        SocketLog.Enqueue("open " + n);
        await Sockets.Writer.WriteAsync(socket);
        await socket.RunAsync(ctx.RequestAborted);
    }

    private static Task Answer(HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json;charset=utf-8";
        return ctx.Response.WriteAsync(body);
    }
}

/// <summary>The server end of one Socket Mode link; the test plays Slack through it.</summary>
#pragma warning disable CA1001 // The semaphore has no wait handle; the socket is owned by Kestrel.
internal sealed class ServerSocket(int number, WebSocket socket, ConcurrentQueue<string> log, string ticket, string query)
{
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _send = new(1, 1);

    public int Number => number;

    public string Ticket => ticket;

    public string Query => query;

    /// <summary>Completes when the client's close frame arrives (or the link drops).</summary>
    public Task Closed => _closed.Task;

    public async Task SendAsync(string text)
    {
        await _send.WaitAsync();
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
        }
        finally
        {
            _send.Release();
        }
    }

    public Task SendFixtureAsync(string file) => SendAsync(SlackStandIn.Fixture("socket_mode", file));

    public async Task<string> ReceiveAsync(TimeSpan? timeout = null) =>
        await _received.Reader.ReadAsync().AsTask().WaitAsync(timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>Drops the link without a close handshake (a lost connection).</summary>
    public void Abort() => socket.Abort();

    public async Task RunAsync(CancellationToken aborted)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, aborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    log.Enqueue("close-received " + number);
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    break;
                }

                var text = new StringBuilder(Encoding.UTF8.GetString(buffer, 0, result.Count));
                while (!result.EndOfMessage)
                {
                    result = await socket.ReceiveAsync(buffer, aborted);
                    text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
                }

                log.Enqueue($"received {number}");
                await _received.Writer.WriteAsync(text.ToString(), aborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            log.Enqueue("dropped " + number);
        }
        finally
        {
            _closed.TrySetResult();
        }
    }
}
