using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Server.Api;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests.Slack;

/// <summary>
/// An <see cref="ApiWorld"/> plus the loopback Slack stand-in, with the server's Slack section pointing at it. Requests
/// to <c>/slack/*</c> are signed with the signing secret of Slack's documented test vector (fixtures/slack/signing).
/// Slack users: alice (U0EXAMPLEA) and bob (U0EXAMPLEB) are sre-leads, carol (U0EXAMPLEC) requests, U0GUEST01 is a guest,
/// W012A3CDE (the users.info fixture) is unknown to the identity map.
/// </summary>
internal sealed class SlackWorld : IAsyncDisposable
{
    public const string DefaultChannel = "C0DEFAULT1";
    public const string ProdChannel = "C0PRODUCT1";

    private SlackWorld(SlackStandIn slack, string signingSecret)
    {
        Slack = slack;
        SigningSecret = signingSecret;
        foreach (var (id, email) in new[] { ("U0EXAMPLEA", "alice@example.com"), ("U0EXAMPLEB", "bob@example.com"), ("U0EXAMPLEC", "carol@example.com"), ("U0GUEST01", "guest@partner.example"), ("W012A3CDE", "spengler@ghostbusters.example.com") })
        {
            var user = JsonNode.Parse(SlackStandIn.Fixture("web_api", "users.info.ok.json"))!["user"]!.AsObject();
            user["id"] = id;
            user["profile"]!["email"] = email;
            user["is_restricted"] = id == "U0GUEST01";
            slack.Users[id] = user;
        }
    }

    public ApiWorld Api { get; } = new();

    public SlackStandIn Slack { get; }

    public string SigningSecret { get; }

    public static async Task<SlackWorld> StartAsync()
    {
        var vector = JsonNode.Parse(SlackStandIn.Fixture("signing", "slack-docs-signing-vector.json"))!;
        return new SlackWorld(await SlackStandIn.StartAsync(), vector["signing_secret"]!.GetValue<string>());
    }

    public ApiFactory Server(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string>
        {
            ["Server:Slack:Enabled"] = "true",
            ["Server:Slack:SigningSecret"] = SigningSecret,
            ["Server:Slack:BotToken"] = SlackStandIn.BotToken,
            ["Server:Slack:Channel"] = DefaultChannel,
            ["Server:Slack:TierChannels:production"] = ProdChannel,
            ["Server:Slack:ApiBaseUrl"] = Slack.ApiBase.AbsoluteUri,
            ["Server:Slack:PerChannelIntervalMilliseconds"] = "0",
        };
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        return Api.NewFactory(settings);
    }

    /// <summary>POSTs a body to <paramref name="path"/> signed now (or at <paramref name="timestamp"/>), as Slack would.</summary>
    public async Task<HttpResponseMessage> PostSignedAsync(HttpClient client, string path, string body, string contentType = "application/x-www-form-urlencoded", long? timestamp = null, string? signature = null)
    {
        var ts = (timestamp ?? Api.Time.GetUtcNow().ToUnixTimeSeconds()).ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Content.Headers.ContentType!.CharSet = null;
        request.Headers.Add("X-Slack-Request-Timestamp", ts);
        request.Headers.Add("X-Slack-Signature", signature ?? Sign(ts, body));
        return await client.SendAsync(request);
    }

    public string Sign(string timestamp, string body) =>
        "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningSecret), Encoding.UTF8.GetBytes($"v0:{timestamp}:{body}")));

    /// <summary>Waits until the request's parent message was posted; returns its channel and ts.</summary>
    public static async Task<(string Channel, string Ts)> PostedAsync(ApiFactory server, string requestId)
    {
        ChannelPost? posted = null;
        await Wait.UntilAsync(() => (posted = server.Store.GetPostAsync("Slack", requestId).GetAwaiter().GetResult()) is not null, $"request {requestId} is posted to Slack");
        return (posted!.Address.Conversation, posted.Address.MessageId);
    }

    /// <summary>The recorded <c>block_actions</c> fixture, turned into a click on InfraGuard's button by <paramref name="user"/>.</summary>
    public static string Click(string user, string actionId, string requestId, string channel, string ts)
    {
        var p = JsonNode.Parse(SlackStandIn.Fixture("interactivity", "block_actions.slack-docs-example.json"))!.AsObject();
        p["user"]!["id"] = user;
        p["container"]!["channel_id"] = channel;
        p["container"]!["message_ts"] = ts;
        p["container"]!["type"] = "message";
        p["channel"]!["id"] = channel;
        p["message"]!["ts"] = ts;
        p["actions"]![0]!["action_id"] = actionId;
        p["actions"]![0]!["value"] = requestId;
        return Form(p);
    }

    /// <summary>The recorded <c>view_submission</c> fixture, carrying the view InfraGuard opened and a typed reason.</summary>
    public static string Submit(string user, JsonObject openedView, string reason)
    {
        var p = JsonNode.Parse(SlackStandIn.Fixture("interactivity", "view_submission.bolt-python.json"))!.AsObject();
        p["user"]!["id"] = user;
        var view = p["view"]!.AsObject();
        view["callback_id"] = openedView["callback_id"]!.GetValue<string>();
        view["private_metadata"] = openedView["private_metadata"]!.GetValue<string>();
        view["blocks"] = openedView["blocks"]!.DeepClone();
        view["state"] = new JsonObject
        {
            ["values"] = new JsonObject
            {
                [ApprovalMessages.ReasonBlockId] = new JsonObject { [ApprovalMessages.ReasonActionId] = new JsonObject { ["type"] = "plain_text_input", ["value"] = reason } },
            },
        };
        return Form(p);
    }

    public static string Form(JsonObject payload) => "payload=" + Uri.EscapeDataString(payload.ToJsonString());

    /// <summary>Clicks, checks the modal the stand-in saw opened, and returns it.</summary>
    public async Task<JsonObject> ClickAsync(HttpClient client, string user, string actionId, string requestId, string channel, string ts)
    {
        var before = Slack.Calls("views.open").Count;
        using var response = await PostSignedAsync(client, "/slack/interactivity", Click(user, actionId, requestId, channel, ts));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var opened = Slack.Calls("views.open");
        Assert.Equal(before + 1, opened.Count); // views.open happens before the ack, while the trigger is valid.
        Assert.Equal("12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3", opened[^1].Json!["trigger_id"]!.GetValue<string>());
        return opened[^1].Json!["view"]!.AsObject();
    }

    /// <summary>Submits the reason modal; returns the ack body (empty when the modal may close).</summary>
    public async Task<string> SubmitAsync(HttpClient client, string user, JsonObject view, string reason)
    {
        using var response = await PostSignedAsync(client, "/slack/interactivity", Submit(user, view, reason));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>No request sent to Slack broke the stand-in's checks or carried a secret outside the Authorization header.</summary>
    public void AssertCleanTraffic()
    {
        Assert.Empty(Slack.Problems);
        foreach (var r in Slack.Requests)
        {
            Assert.DoesNotContain(SigningSecret, r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(SlackStandIn.BotToken, r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(SlackStandIn.AppToken, r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(Api.KeyFile, r.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>Submits evidence as <paramref name="requester"/>'s runner token; returns the stored request.</summary>
    public static async Task<Core.Requests.ChangeRequest> CreateAsync(ApiFactory server, SubmitBody body, string requester = ApiWorld.Carol)
    {
        using var runner = await server.ClientAsync(requester, ApiScopes.Runner);
        using var response = await runner.PostAsJsonAsync("/api/v1/requests", body, ServerJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Core.Runs.Submission>(ServerJson.Options))!.Request!;
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Slack.DisposeAsync();
    }
}
