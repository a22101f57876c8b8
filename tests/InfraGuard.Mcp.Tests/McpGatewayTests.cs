using System.Text.Json;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using ModelContextProtocol.Protocol;

namespace InfraGuard.Mcp.Tests;

/// <summary>The gateway core against a real upstream process and a local authority: every outcome of a tool call.</summary>
public sealed class McpGatewayTests : IAsyncLifetime
{
    private GatewayWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await GatewayWorld.StartAsync();

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public void ListTools_UpstreamTools_ListedUnderTheNamespaceWithTheirSchemas()
    {
        var tools = _world.Gateway.ListTools().Tools;

        Assert.Equal(["db.drop_table", "db.export_table", "db.query", McpGateway.StatusTool], tools.Select(t => t.Name));
        var export = tools.Single(t => t.Name == "db.export_table");
        Assert.Equal("Exports a whole table as CSV", export.Description);
        Assert.Equal(["table"], export.InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Call_AllowedRead_ForwardedOnceAndAnsweredAsTheUpstreamAnswers()
    {
        var result = await CallAsync("db.query", """{"sql":"select id, region from orders limit 1"}""", Ct);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("1 row for: select id, region from orders limit 1", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal("eu", result.StructuredContent!.Value.GetProperty("rows")[0].GetProperty("region").GetString());
        var call = Assert.Single(_world.Calls());
        Assert.Equal("""{"tool":"query","arguments":{"sql":"select id, region from orders limit 1"}}""", call.ToJsonString());
        var request = Assert.Single(await _world.Store.ListAsync(new RequestQuery(), Ct));
        Assert.Equal(RequestState.Applied, request.State);
    }

    [Fact]
    public async Task Call_SameAllowedReadTwiceAtOnce_EachForwardedWithItsOwnRequestStartedAtSubmission()
    {
        const string Read = """{"sql":"select count(*) from orders"}""";

        var results = await Task.WhenAll(CallAsync("db.query", Read, Ct), CallAsync("db.query", Read, Ct));

        // Approved by policy and started in the transaction that stores it: the second call never finds the first's
        // request half-way (approved, not yet started) and fails to start it.
        Assert.All(results, r => Assert.NotEqual(true, r.IsError));
        Assert.Equal(2, _world.Calls().Count);
        var requests = await _world.Store.ListAsync(new RequestQuery(), Ct);
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(RequestState.Applied, r.State));
        var kinds = (await _world.Store.ListEntriesAsync(new AuditQuery(Request: requests[0].Id), Ct)).Select(e => e.Kind);
        Assert.Equal([AuditEventTypes.PlanSubmitted, AuditEventTypes.RequestStateChanged, AuditEventTypes.DeployStarted, AuditEventTypes.DeployCompleted], kinds);
    }

    [Fact]
    public async Task Call_Blocked_ToolErrorNamesTheRule_UpstreamNeverCalled()
    {
        var result = await CallAsync("db.drop_table", """{"table":"orders"}""", Ct);

        Assert.True(result.IsError);
        var text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Contains("agents-never-drop", text, StringComparison.Ordinal);
        Assert.Contains("An AI agent never drops a table", text, StringComparison.Ordinal);
        Assert.Empty(_world.Calls());
    }

    [Fact]
    public async Task Call_RestrictedExportApproved_ForwardsExactlyTheApprovedArgumentsOnce()
    {
        var call = CallAsync("db.export_table", """{"table":"customers","format":"csv"}""", Ct);
        var pending = await _world.PendingAsync();
        Assert.Empty(_world.Calls());

        // The agent's principal may not approve its call; an independent person may.
        var self = await _world.DecideAsync(pending.Id, GatewayWorld.Principal, Verdict.Approve, "my agent, my call");
        Assert.NotNull(self.Error);
        var approved = await _world.DecideAsync(pending.Id, "github:erin-example", Verdict.Approve, "export for the audit, ticket DATA-7");
        Assert.Null(approved.Error);
        var result = await call;

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("exported customers as csv", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal("""{"tool":"export_table","arguments":{"table":"customers","format":"csv"}}""", Assert.Single(_world.Calls()).ToJsonString());
        var request = await _world.Store.GetAsync(pending.Id, Ct);
        Assert.Equal(RequestState.Applied, request!.State);
        Assert.Equal("db.export_table", request.Action!.Tool);
        Assert.Equal(GatewayWorld.Principal, request.OnBehalfOf);
        Assert.True((await _world.Store.VerifyAsync(await _world.Store.ListKeysAsync(Ct), cancellationToken: Ct)).IsValid);
    }

    [Fact]
    public async Task Call_Rejected_ReturnsTheReviewersReason_UpstreamNeverCalled()
    {
        var call = CallAsync("db.export_table", """{"table":"customers"}""", Ct);
        var pending = await _world.PendingAsync();

        await _world.DecideAsync(pending.Id, "github:erin-example", Verdict.Reject, "use the masked view instead");
        var result = await call;

        Assert.True(result.IsError);
        Assert.Contains("use the masked view instead", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
        Assert.Empty(_world.Calls());
    }

    [Fact]
    public async Task Call_CancelledWhileWaiting_ForwardsNothingAndRecordsTheCancellation()
    {
        using var cancel = new CancellationTokenSource();
        var call = CallAsync("db.export_table", """{"table":"customers"}""", cancel.Token);
        var pending = await _world.PendingAsync();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var late = await _world.DecideAsync(pending.Id, "github:erin-example", Verdict.Approve, "approved after the agent gave up");
        Assert.NotNull(late.Error);

        Assert.Empty(_world.Calls());
        var entries = await _world.Store.ListEntriesAsync(new Core.Audit.AuditQuery(), Ct);
        Assert.Contains(entries, e => e.Kind == Core.Audit.AuditEventTypes.RunCancelled);

        // Closed: the approval that came later was refused, so nothing is left open to be used by a re-issued call.
        Assert.Equal(RequestState.Cancelled, (await _world.Store.GetAsync(pending.Id, Ct))!.State);
    }

    [Fact]
    public async Task Call_ChangedArgumentAfterApproval_IsANewRequest_TheApprovedOneIsNotReused()
    {
        var first = CallAsync("db.export_table", """{"table":"customers","format":"csv"}""", Ct);
        var approved = await _world.PendingAsync();
        await _world.DecideAsync(approved.Id, "github:erin-example", Verdict.Approve, "csv export for the audit");
        await first;

        var second = CallAsync("db.export_table", """{"table":"customers","format":"json"}""", Ct);
        var pending = await _world.PendingAsync();

        Assert.NotEqual(approved.Id, pending.Id);
        Assert.NotEqual(approved.PlanHash, pending.PlanHash);
        Assert.Single(_world.Calls());
        await _world.DecideAsync(pending.Id, "github:erin-example", Verdict.Reject, "csv only");
        Assert.True((await second).IsError);
        Assert.Single(_world.Calls());
    }

    [Fact]
    public void Relayed_UpstreamSessionMetaAndResultType_DroppedAndTheAnswerKept()
    {
        var upstream = new CallToolResult
        {
            Content = [new TextContentBlock { Text = "ok" }],
            IsError = false,
            ResultType = "complete",
            Meta = new System.Text.Json.Nodes.JsonObject { ["io.modelcontextprotocol/serverInfo"] = "upstream", ["vendor/trace"] = "t-1" },
        };

        var relayed = McpGateway.Relayed("query", upstream);

        Assert.Equal("ok", Assert.IsType<TextContentBlock>(Assert.Single(relayed.Content)).Text);
        Assert.Null(relayed.ResultType);
        Assert.Equal("""{"vendor/trace":"t-1"}""", relayed.Meta!.ToJsonString());
    }

    [Fact]
    public void Relayed_IncompleteResult_IsAnErrorNotASuccess()
    {
        var relayed = McpGateway.Relayed("query", new CallToolResult { Content = [], ResultType = "input_required" });

        Assert.True(relayed.IsError);
        Assert.Contains("'input_required'", Assert.IsType<TextContentBlock>(Assert.Single(relayed.Content)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_UpstreamThatCannotStart_NamesTheUpstreamAndItsLine()
    {
        var upstreams = UpstreamsFile.Parse("upstreams:\n  broken:\n    command: /nonexistent/mcp-server\n    default-kind: db.read\n", "upstreams.yaml");

        var e = await Assert.ThrowsAsync<UpstreamException>(() => McpGateway.ConnectAsync(
            upstreams, _ => null, null!, null!, TimeProvider.System, new GatewayOptions(null, null, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), null, Ct));

        Assert.Contains("Upstream 'broken' (command '/nonexistent/mcp-server', upstreams file line 2)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_UnknownTool_ToolErrorListingTheTools()
    {
        var result = await CallAsync("db.truncate", "{}", Ct);

        Assert.True(result.IsError);
        Assert.Contains("db.export_table", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text, StringComparison.Ordinal);
        Assert.Empty(_world.Calls());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<CallToolResult> CallAsync(string tool, string arguments, CancellationToken cancellationToken) =>
        _world.Gateway.CallAsync(null, new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments) }, cancellationToken);
}
