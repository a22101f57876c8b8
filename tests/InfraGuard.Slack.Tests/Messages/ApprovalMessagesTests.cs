using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Slack.Tests.Messages;

public sealed class ApprovalMessagesTests
{
    private readonly ApprovalMessages _messages = new(new ApprovalMessageOptions { WebBaseUrl = new Uri("https://infraguard.example.com/base") });

    private static IEnumerable<JsonObject> Blocks(SlackMessage m) => m.Blocks.OfType<JsonObject>();

    private static JsonObject Button(SlackMessage m, string actionId) =>
        Blocks(m).Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>()).Single(e => (string?)e["action_id"] == actionId);

    [Fact]
    public void Pending_Request_HasHeaderButtonsLinkAndHash()
    {
        var request = Some.Request();

        var message = _messages.Pending(request, Some.Changes(4).Counts, []);

        Assert.Equal("prod · critical · review · score 294", (string?)Blocks(message).First()["text"]!["text"]);
        var approve = Button(message, ApprovalMessages.ApproveActionId);
        Assert.Equal(("primary", request.Id), ((string?)approve["style"], (string?)approve["value"]));
        var reject = Button(message, ApprovalMessages.RejectActionId);
        Assert.Equal(("danger", request.Id), ((string?)reject["style"], (string?)reject["value"]));
        Assert.NotNull(reject["confirm"]);
        Assert.Equal("https://infraguard.example.com/base/requests/cr_ab12cd34ef56", (string?)Button(message, ApprovalMessages.OpenActionId)["url"]);
        var json = message.AllText();
        Assert.Contains("9f2c4e1a7b3d", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Some.PlanHash, json, StringComparison.Ordinal);
        Assert.Contains("<https://github.com/acme/shop/actions/runs/4711|run-4711>", json, StringComparison.Ordinal);
        Assert.Contains("pipeline", json, StringComparison.Ordinal);
        Assert.Contains("<!date^" + Some.Now.AddHours(1).ToUnixTimeSeconds(), json, StringComparison.Ordinal);
        Assert.Empty(BlockKitLimits.CheckMessage(message.ToJson()));
    }

    [Fact]
    public void Pending_CountsPerOp_ShownAsFields()
    {
        var counts = new Dictionary<ChangeOp, int> { [ChangeOp.Same] = 40, [ChangeOp.Delete] = 2, [ChangeOp.Update] = 5 };

        var fields = Blocks(_messages.Pending(Some.Request(), counts, [])).Single(b => b["fields"] is not null)["fields"]!.AsArray().Select(f => (string?)f!["text"]).ToList();

        Assert.Equal(["*update*\n5", "*delete*\n2"], fields);
    }

    [Fact]
    public void Pending_FindingText_IsMrkdwnEscaped()
    {
        var json = _messages.Pending(Some.Request(), null, []).AllText();

        Assert.Contains("database &lt;1&gt; loses data &amp; connections", json, StringComparison.Ordinal);
        Assert.DoesNotContain("database <1>", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Pending_HostileStackName_CannotInjectMentionOrLink()
    {
        var request = Some.Request(stack: "prod <!channel> <https://evil.example|click>");

        var message = _messages.Pending(request, null, []);

        // mrkdwn objects are parsed by Slack, so the name must be escaped there; plain_text (the header) is shown as-is.
        var mrkdwn = string.Join('\n', Mrkdwn(message.Blocks));
        Assert.Contains("prod &lt;!channel&gt;", mrkdwn, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", mrkdwn, StringComparison.Ordinal);
        Assert.DoesNotContain("<https://evil", mrkdwn, StringComparison.Ordinal);
        Assert.StartsWith("prod <!channel>", (string?)Blocks(message).First()["text"]!["text"], StringComparison.Ordinal);
        Assert.Equal("plain_text", (string?)Blocks(message).First()["text"]!["type"]);
    }

    private static IEnumerable<string> Mrkdwn(JsonNode? node) => node switch
    {
        JsonObject o when (string?)o["type"] == "mrkdwn" => [(string)o["text"]!],
        JsonObject o => o.SelectMany(kv => Mrkdwn(kv.Value)),
        JsonArray a => a.SelectMany(Mrkdwn),
        _ => [],
    };

    [Fact]
    public void Compose_SixtyResources_EveryMessageWithinLimitsAndFileAttached()
    {
        var request = Some.Request(findings: 60);
        var changes = Some.Changes(60);

        var post = _messages.Compose(request, changes);

        foreach (var message in post.Replies.Prepend(post.Parent))
        {
            Assert.Empty(BlockKitLimits.CheckMessage(message.ToJson()));
            Assert.True(message.Blocks.Count <= 50);
            Assert.True(BlockKitLimits.TotalText(message.Blocks) <= 12_000);
        }

        Assert.NotEmpty(post.Replies);
        var shown = post.Replies.Sum(r => Blocks(r).Where(b => (string?)b["type"] == "section").Sum(b => ((string)b["text"]!["text"]!).Split('\n').Count(l => l.StartsWith('*'))));
        Assert.Equal(60, shown);
        var file = Assert.IsType<SlackFile>(post.DiffFile);
        Assert.Equal(60, file.Content.Split('\n').Count(l => l.StartsWith("update ", StringComparison.Ordinal) || l.StartsWith("replace ", StringComparison.Ordinal) || l.StartsWith("delete ", StringComparison.Ordinal) || l.StartsWith("create ", StringComparison.Ordinal)));
        Assert.Contains("password: \"[secret]\" -> \"[secret]\"", file.Content, StringComparison.Ordinal);
        Assert.EndsWith(".diff.txt", file.FileName, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_ThousandResources_RepliesCappedAndRestOnlyInFile()
    {
        var post = _messages.Compose(Some.Request(findings: 5), Some.Changes(1000));

        Assert.Equal(4, post.Replies.Count);
        Assert.All(post.Replies, r => Assert.Empty(BlockKitLimits.CheckMessage(r.ToJson())));
        Assert.Contains("more resources than shown", post.DiffFile!.InitialComment, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_SmallPlan_NoFile()
    {
        var post = _messages.Compose(Some.Request(findings: 1), Some.Changes(1));

        Assert.Null(post.DiffFile);
        Assert.Single(post.Replies);
    }

    [Fact]
    public void Messages_NeverShowPropertyValuesOutsideFindings()
    {
        // Change-set values (the tag value) may be in the file, but the messages show only paths and findings.
        var post = _messages.Compose(Some.Request(findings: 2), Some.Changes(60));

        foreach (var message in post.Replies.Prepend(post.Parent))
        {
            Assert.DoesNotContain("team-orders", message.AllText(), StringComparison.Ordinal);
        }

        Assert.Contains("team-orders", post.DiffFile!.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_TextLongerThanLimit_IsCut()
    {
        var notice = ApprovalMessages.Notice(new string('x', 10_000));

        Assert.Empty(BlockKitLimits.CheckMessage(notice.ToJson()));
        Assert.EndsWith("…", (string)notice.Blocks[0]!["text"]!["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckMessage_FiftyOneBlocks_IsReported()
    {
        var blocks = new JsonArray(Enumerable.Range(0, 51).Select(_ => (JsonNode)new JsonObject { ["type"] = "divider" }).ToArray());

        var problems = BlockKitLimits.CheckMessage(new JsonObject { ["text"] = "t", ["blocks"] = blocks });

        Assert.Contains("blocks: 51 > 50", problems);
    }

    [Fact]
    public void Pending_AnyRequest_SummarySentenceLeadsTheMessageAndTheNotification()
    {
        var request = Some.Request();

        var message = _messages.Pending(request, null, []);

        var blocks = Blocks(message).ToList();
        Assert.Equal("header", (string?)blocks[0]["type"]);
        Assert.Equal("p_summary", (string?)blocks[1]["block_id"]);
        Assert.Equal(InfraGuard.Slack.Messages.Mrkdwn.Escape(RequestSummary.Sentence(request)), (string?)blocks[1]["text"]!["text"]);
        Assert.Contains(RequestSummary.Sentence(request), message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Pending_ActionRequest_ShowsTheExactRedactedActionUnderTheSummary()
    {
        var request = Some.Request() with
        {
            Kind = "data.export",
            Action = new Core.Requests.ActionRecord("data.export", "prod/orders/customers", "pg_dump", ["pg_dump", "--password=[redacted]", "-t", "customers"], null, null),
        };

        var blocks = Blocks(_messages.Pending(request, null, [])).ToList();

        Assert.Equal("p_action", (string?)blocks[2]["block_id"]);
        var text = (string)blocks[2]["text"]!["text"]!;
        Assert.Contains("`data.export` on prod/orders/customers", text, StringComparison.Ordinal);
        Assert.Contains("```pg_dump --password=[redacted] -t customers```", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Decided_Approved_ButtonsGoneApproverAndReasonShown()
    {
        var request = Some.Request();
        var decisions = new[]
        {
            new RequestDecision(request.Id, new PersonRef("bob", "slack:U0BOB"), DecisionChannel.Of("Slack"), Verdict.Approve, "Replica lag checked <ok>", Some.Now),
            new RequestDecision(request.Id, new PersonRef("carol", "github:carol"), DecisionChannel.Cli, Verdict.Approve, "Looks right to me", Some.Now),
        };

        var message = _messages.Decided(request, RequestState.Approved, null, decisions);

        Assert.DoesNotContain(Blocks(message), b => (string?)b["type"] == "actions");
        var json = message.AllText();
        Assert.Contains("Approved by <@U0BOB> — Replica lag checked &lt;ok&gt;", json, StringComparison.Ordinal);
        Assert.Contains("Approved by carol", json, StringComparison.Ordinal);
        Assert.Contains("2 of 2 approvals", json, StringComparison.Ordinal);
        Assert.Contains("prod · critical · approved · score", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Decided_Rejected_SaysRejectedBy()
    {
        var request = Some.Request();

        var message = _messages.Decided(request, RequestState.Rejected, null, [new RequestDecision(request.Id, new PersonRef("bob", "slack:W0BOB"), DecisionChannel.Of("Slack"), Verdict.Reject, "Drops the orders table", Some.Now)]);

        Assert.Contains("Rejected by <@W0BOB> — Drops the orders table", message.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public void ApplyResult_SuccessAndFailure_ReadAsExpected()
    {
        var request = Some.Request();
        var counts = new Dictionary<ChangeOp, int> { [ChangeOp.Update] = 3, [ChangeOp.Same] = 9 };

        var ok = _messages.ApplyResult(request, new ApplyOutcome(true, 0, counts, ""));
        var failed = _messages.ApplyResult(request, new ApplyOutcome(false, 255, counts, "error: password=hunter2 rejected"));

        Assert.Contains("Applied plan `9f2c4e1a7b3d` to *prod*: 3 update.", ok.AllText(), StringComparison.Ordinal);
        var failedJson = failed.AllText();
        Assert.Contains("failed (exit code 255)", failedJson, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", failedJson, StringComparison.Ordinal);
    }

    [Fact]
    public void ReasonModal_RoundTripsThroughViewSubmission()
    {
        var request = Some.Request();
        var view = _messages.ReasonModal(request, Verdict.Reject);
        Assert.Empty(BlockKitLimits.CheckModal(view));
        var input = view["blocks"]!.AsArray().OfType<JsonObject>().Single(b => (string?)b["type"] == "input");
        Assert.Equal(true, (bool?)input["element"]!["multiline"]);
        Assert.Equal(false, (bool?)input["optional"]);

        // What Slack sends back on submit: the bolt-python fixture with our view's ids and a typed reason.
        var payload = JsonNode.Parse(SlackStandIn.Fixture("interactivity", "view_submission.bolt-python.json"))!.AsObject();
        payload["view"]!["callback_id"] = view["callback_id"]!.DeepClone();
        payload["view"]!["private_metadata"] = view["private_metadata"]!.DeepClone();
        payload["view"]!["state"] = new JsonObject { ["values"] = new JsonObject { [ApprovalMessages.ReasonBlockId] = new JsonObject { [ApprovalMessages.ReasonActionId] = new JsonObject { ["type"] = "plain_text_input", ["value"] = "Drops the orders table" } } } };
        var submission = (SlackViewSubmission)SlackPayloadParser.ParseInteraction(payload.ToJsonString());

        Assert.Equal(new ReasonSubmission(request.Id, Verdict.Reject, "Drops the orders table"), ApprovalMessages.ReadReasonModal(submission));
    }

    [Fact]
    public void ReadReasonModal_OtherView_IsNull()
    {
        var submission = (SlackViewSubmission)SlackPayloadParser.ParseInteraction(SlackStandIn.Fixture("interactivity", "view_submission.bolt-python.json"));

        Assert.Null(ApprovalMessages.ReadReasonModal(submission));
    }

    [Fact]
    public void ReasonErrors_HasSlackDocsShape()
    {
        var docs = JsonNode.Parse(SlackStandIn.Fixture("interactivity", "view_submission.ack.response_action-errors.slack-docs.json"))!;

        var ours = ApprovalMessages.ReasonErrors("A reason of at least 8 characters is required.");

        Assert.Equal((string?)docs["response_action"], (string?)ours["response_action"]);
        Assert.Equal(docs["errors"]!.GetValueKind(), ours["errors"]!.GetValueKind());
        Assert.Equal("A reason of at least 8 characters is required.", (string?)ours["errors"]![ApprovalMessages.ReasonBlockId]);
    }

    [Fact]
    public void PendingListAndHelp_WithinLimits()
    {
        var list = _messages.PendingList(Enumerable.Range(0, 200).Select(i => Some.Request() with { Id = $"cr_{i:D12}" }).ToList());

        Assert.Empty(BlockKitLimits.CheckMessage(list.ToJson()));
        Assert.Contains("cr_000000000000", list.AllText(), StringComparison.Ordinal);
        Assert.Contains("pending", ApprovalMessages.Help().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publish_SixtyResources_PostsParentRepliesThenUploadsFileIntoThread()
    {
        await using var slack = await SlackStandIn.StartAsync();
        using var http = new HttpClient();
        var clock = new FakeTimeProvider(Some.Now);
        var api = new SlackWebApi(http, new SlackWebApiOptions { BotToken = SlackStandIn.BotToken, BaseAddress = slack.ApiBase }, clock);
        var post = _messages.Compose(Some.Request(findings: 60), Some.Changes(60));

        var parent = await Clock.DriveAsync(clock, new ApprovalPublisher(api).PublishAsync("C0APPROVALS", post, TestContext.Current.CancellationToken));

        Assert.Empty(slack.Problems);
        var sequence = slack.Requests.Select(r => r.Method).ToList();
        Assert.Equal(["chat.postMessage", .. Enumerable.Repeat("chat.postMessage", post.Replies.Count), "files.getUploadURLExternal", "upload:" + SlackStandIn.UploadFileId, "files.completeUploadExternal"], sequence);
        var replies = slack.Calls("chat.postMessage").Skip(1).ToList();
        Assert.All(replies, r => Assert.Equal(parent.Ts, (string?)r.Json!["thread_ts"]));
        var complete = Assert.Single(slack.Calls("files.completeUploadExternal"));
        Assert.Equal((parent.Channel, parent.Ts), (complete.Form["channel_id"], complete.Form["thread_ts"]));
        Assert.Equal(post.DiffFile!.Content, Encoding.UTF8.GetString(Assert.Single(slack.Uploads)));
        Assert.Equal(Encoding.UTF8.GetByteCount(post.DiffFile.Content).ToString(System.Globalization.CultureInfo.InvariantCulture), slack.Calls("files.getUploadURLExternal")[0].Form["length"]);
    }
}
