using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Slack.Tests.Web;

public sealed class SlackWebApiTests : IAsyncLifetime
{
    private SlackStandIn _slack = null!;
    private readonly HttpClient _http = new();
    private readonly FakeTimeProvider _clock = new(Some.Now);
    private readonly ApprovalMessages _messages = new(new ApprovalMessageOptions { WebBaseUrl = new Uri("https://infraguard.example.com/") });

    public async ValueTask InitializeAsync() => _slack = await SlackStandIn.StartAsync();

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _slack.DisposeAsync();
    }

    private SlackWebApi Api(string? botToken = null, int maxRetries = 3) => new(
        _http,
        new SlackWebApiOptions { BotToken = botToken ?? SlackStandIn.BotToken, AppToken = SlackStandIn.AppToken, BaseAddress = _slack.ApiBase, MaxRateLimitRetries = maxRetries },
        _clock);

    [Fact]
    public async Task PostMessage_ApprovalParent_SendsBearerJsonWithinLimitsAndReturnsTs()
    {
        var posted = await Api().PostMessageAsync("C0APPROVALS", _messages.Pending(Some.Request(), null, []), cancellationToken: TestContext.Current.CancellationToken);

        var call = Assert.Single(_slack.Calls("chat.postMessage"));
        Assert.Equal("Bearer " + SlackStandIn.BotToken, call.Authorization);
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
        Assert.Equal("C0APPROVALS", (string?)call.Json!["channel"]);
        Assert.Equal(false, (bool?)call.Json["unfurl_links"]);
        Assert.Empty(_slack.Problems);
        Assert.Equal(new PostedMessage("C123ABC456", "1503435956.000247"), posted);
    }

    [Fact]
    public async Task PostMessage_ThreadReply_SendsThreadTs()
    {
        await Api().PostMessageAsync("C1", ApprovalMessages.Notice("hello"), "1503435956.000247", TestContext.Current.CancellationToken);

        Assert.Equal("1503435956.000247", (string?)Assert.Single(_slack.Calls("chat.postMessage")).Json!["thread_ts"]);
    }

    [Fact]
    public async Task UpdateMessage_Decided_SendsChannelTsAndNoButtons()
    {
        var request = Some.Request();
        var decided = _messages.Decided(request, RequestState.Approved, null, [new RequestDecision(request.Id, new PersonRef("bob", "slack:U0BOB"), DecisionChannel.Of("Slack"), Verdict.Approve, "Checked the replica lag; safe.", Some.Now)]);

        var updated = await Api().UpdateMessageAsync("C123ABC456", "1503435956.000247", decided, TestContext.Current.CancellationToken);

        var call = Assert.Single(_slack.Calls("chat.update"));
        Assert.Equal(("C123ABC456", "1503435956.000247"), ((string?)call.Json!["channel"], (string?)call.Json["ts"]));
        Assert.DoesNotContain("infraguard_approve", call.Body, StringComparison.Ordinal);
        Assert.Empty(_slack.Problems);
        Assert.Equal("1401383885.000061", updated.Ts);
    }

    [Fact]
    public async Task PostEphemeral_Refusal_ReturnsMessageTs()
    {
        var ts = await Api().PostEphemeralAsync("C1", "U0ALICE", ApprovalMessages.Notice("You requested this change, so you cannot decide on it."), cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("U0ALICE", (string?)Assert.Single(_slack.Calls("chat.postEphemeral")).Json!["user"]);
        Assert.Equal("1502210682.580145", ts);
        Assert.Empty(_slack.Problems);
    }

    [Fact]
    public async Task OpenView_ReasonModal_SendsTriggerAndViewObject()
    {
        var viewId = await Api().OpenViewAsync("111.222.valid", _messages.ReasonModal(Some.Request(), Verdict.Reject), TestContext.Current.CancellationToken);

        var call = Assert.Single(_slack.Calls("views.open"));
        Assert.Equal("111.222.valid", (string?)call.Json!["trigger_id"]);
        Assert.Equal("infraguard_reason", (string?)call.Json["view"]!["callback_id"]);
        Assert.Equal("V0STANDIN1", viewId);
        Assert.Empty(_slack.Problems);
    }

    [Fact]
    public async Task OpenView_SlackError_ThrowsWithCodeAndDetails()
    {
        _slack.Script("views.open", 200, SlackStandIn.Fixture("web_api", "views.open.error.invalid_arguments.json"));

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Api().OpenViewAsync("bad", _messages.ReasonModal(Some.Request(), Verdict.Approve), TestContext.Current.CancellationToken));

        Assert.Equal(("views.open", "invalid_arguments"), (error.Method, error.Error));
        Assert.Equal(["invalid `trigger_id`"], error.Details);
    }

    [Fact]
    public async Task PostMessage_OkFalse_ThrowsTypedErrorCode()
    {
        _slack.Script("chat.postMessage", 200, SlackStandIn.Fixture("web_api", "chat.postMessage.error.too_many_attachments.json"));

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Api().PostMessageAsync("C1", ApprovalMessages.Notice("x"), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("too_many_attachments", error.Error);
        Assert.Contains("too_many_attachments", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_WrongBotToken_IsInvalidAuth()
    {
        var error = await Assert.ThrowsAsync<SlackApiException>(() => Api(botToken: "xoxb-wrong").GetUserAsync("U1", TestContext.Current.CancellationToken));

        Assert.Equal("invalid_auth", error.Error);
        Assert.DoesNotContain("xoxb-wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostMessage_RateLimited429_WaitsRetryAfterThenSucceeds()
    {
        _slack.ScriptRateLimited("chat.postMessage");
        var api = Api();

        var post = api.PostMessageAsync("C1", ApprovalMessages.Notice("x"), cancellationToken: TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => _slack.Calls("chat.postMessage").Count == 1, "the first attempt arrives");
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.False(post.IsCompleted, "the client must wait Retry-After (1 s on the fake clock) before retrying");
        Assert.Single(_slack.Calls("chat.postMessage"));

        var posted = await Clock.DriveAsync(_clock, post);

        Assert.Equal(2, _slack.Calls("chat.postMessage").Count);
        Assert.Equal("1503435956.000247", posted.Ts);
    }

    [Fact]
    public async Task GetUser_RateLimitedBeyondRetries_ThrowsRatelimited()
    {
        _slack.ScriptRateLimited("users.info");
        _slack.ScriptRateLimited("users.info");
        var api = Api(maxRetries: 1);

        var call = api.GetUserAsync("U1", TestContext.Current.CancellationToken);
        await Wait.UntilAsync(() => _slack.Calls("users.info").Count == 1, "the first attempt arrives");
        var error = await Assert.ThrowsAsync<SlackApiException>(() => Clock.DriveAsync(_clock, call));

        Assert.Equal("ratelimited", error.Error);
        Assert.Equal(2, _slack.Calls("users.info").Count);
    }

    [Fact]
    public async Task GetUser_RetryAfterLongerThanCap_FailsWithoutWaiting()
    {
        _slack.Script("users.info", 429, """{"ok":false,"error":"ratelimited"}""", "3600");

        var error = await Assert.ThrowsAsync<SlackApiException>(() => Api().GetUserAsync("U1", TestContext.Current.CancellationToken));

        Assert.Equal("ratelimited", error.Error);
    }

    [Fact]
    public async Task GetUser_EmptyBody429WithNonNumericRetryAfter_RetriesAfterOneSecond()
    {
        _slack.Script("users.info", 429, "", "soon");
        _slack.Users["U1"] = JsonNode.Parse(SlackStandIn.Fixture("web_api", "users.info.ok.json"))!["user"]!.AsObject();
        var call = Api().GetUserAsync("U1", TestContext.Current.CancellationToken);
        var user = await Clock.DriveAsync(_clock, call);

        Assert.Equal("spengler@ghostbusters.example.com", user.Email);
    }

    [Fact]
    public async Task PostMessage_TwoToSameChannel_SecondWaitsOneSecondButOtherChannelDoesNot()
    {
        var api = Api();
        var ct = TestContext.Current.CancellationToken;
        await api.PostMessageAsync("C1", ApprovalMessages.Notice("one"), cancellationToken: ct);

        var second = api.PostMessageAsync("C1", ApprovalMessages.Notice("two"), cancellationToken: ct);
        await api.PostMessageAsync("C2", ApprovalMessages.Notice("elsewhere"), cancellationToken: ct);
        await Task.Delay(100, ct);
        Assert.False(second.IsCompleted, "a second message to C1 within 1 s must wait");
        await Clock.DriveAsync(_clock, second);

        Assert.Equal(["C1", "C2", "C1"], _slack.Calls("chat.postMessage").Select(c => (string)c.Json!["channel"]!).ToArray());
    }

    [Fact]
    public async Task GetUserGroupMembers_Fixture_ReturnsIds()
    {
        var members = await Api().GetUserGroupMembersAsync("S0614TZR7", TestContext.Current.CancellationToken);

        Assert.Equal(["U060R4BJ4", "W123A4BC5"], members);
        Assert.Equal("S0614TZR7", Assert.Single(_slack.Calls("usergroups.users.list")).Form["usergroup"]);
    }

    [Fact]
    public async Task OpenSocketModeConnection_UsesAppTokenInHeaderOnly()
    {
        var url = await Api().OpenSocketModeConnectionAsync(TestContext.Current.CancellationToken);

        var call = Assert.Single(_slack.Calls("apps.connections.open"));
        Assert.Equal("Bearer " + SlackStandIn.AppToken, call.Authorization);
        Assert.Equal("", call.Body);
        Assert.Contains("ticket=12348", url.Query, StringComparison.Ordinal);
        Assert.Empty(_slack.Problems);
    }

    [Fact]
    public async Task FlowFromFixturePayload_NoFixtureSecretOrTokenInAnyBody()
    {
        // Parse real payloads (they carry legacy verification tokens), act on them, then inspect every body sent.
        var click = (SlackBlockAction)SlackPayloadParser.ParseInteraction(SlackStandIn.Fixture("interactivity", "block_actions.slack-docs-example.json"));
        var api = Api();
        var ct = TestContext.Current.CancellationToken;
        var request = Some.Request();
        await api.OpenViewAsync(click.TriggerId!, _messages.ReasonModal(request, Verdict.Approve), ct);
        await Clock.DriveAsync(_clock, api.PostEphemeralAsync(click.ChannelId!, click.UserId, ApprovalMessages.Notice("Recorded."), cancellationToken: ct));
        await api.UpdateMessageAsync(click.ChannelId!, click.MessageTs!, _messages.Decided(request, RequestState.Approved, null, []), ct);
        var post = _messages.Compose(request, Some.Changes(60));
        await Clock.DriveAsync(_clock, new ApprovalPublisher(api).PublishAsync(click.ChannelId!, post, ct));

        var secrets = FixtureSecrets().Append(SlackStandIn.BotToken).Append(SlackStandIn.AppToken).ToList();
        Assert.True(_slack.Requests.Count >= 6);
        foreach (var sent in _slack.Requests)
        {
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, sent.Body, StringComparison.Ordinal);
            }
        }
    }

    private static IEnumerable<string> FixtureSecrets()
    {
        var vector = JsonNode.Parse(SlackStandIn.Fixture("signing", "slack-docs-signing-vector.json"))!;
        yield return (string)vector["signing_secret"]!;
        yield return System.Web.HttpUtility.ParseQueryString((string)vector["raw_body"]!)["token"]!;
        foreach (var file in new[] { "interactivity/block_actions.slack-docs-example.json", "interactivity/block_actions.ephemeral-enterprise.bolt-python.json", "interactivity/view_submission.bolt-python.json", "events/url_verification.json" })
        {
            yield return (string)JsonNode.Parse(SlackStandIn.Fixture(file.Split('/')))!["token"]!;
        }
    }
}
