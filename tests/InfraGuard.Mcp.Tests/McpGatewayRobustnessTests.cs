using System.Text.Json;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using ModelContextProtocol.Protocol;

namespace InfraGuard.Mcp.Tests;

/// <summary>
/// An upstream that misbehaves once a call reached it: it crashes mid-call, never answers, answers too much, or answers
/// something that is not a tool result. Each is a tool error the agent can read, the request ends failed with the
/// reason's exit code, and the audit log keeps the approval and the outcome, and verifies.
/// </summary>
public sealed class McpGatewayRobustnessTests : IAsyncLifetime
{
    private const string Upstreams = """
        upstreams:
          db:
            command: {0}
            env: { MCP_UPSTREAM_LOG: "{1}" }
            target: staging/orders
            timeout: 2s
            max-result-bytes: 65536
            tools:
              query: db.read
              slow: db.read
              huge: db.read
              malformed: db.read
              crash: { kind: data.export, target: staging/customers }
        """;

    private GatewayWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await GatewayWorld.StartAsync(Upstreams);

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task Call_UpstreamCrashesAfterApproval_ToolError_RecordedAsFailed_ApprovalKept_NextCallRestartsIt()
    {
        var call = CallAsync("db.crash", """{"table":"customers"}""");
        var pending = await _world.PendingAsync();
        Assert.Null((await _world.DecideAsync(pending.Id, "github:erin-example", Verdict.Approve, "go ahead")).Error);

        var result = await call;

        Assert.True(result.IsError);
        Assert.Contains("could not be reached or crashed", Text(result), StringComparison.Ordinal);
        await AssertFailedAsync(pending.Id, ForwardFailure.Unreachable, approvedBy: "github:erin-example");
        Assert.Single(_world.Calls()); // attempted exactly once, never retried

        var next = await CallAsync("db.query", """{"sql":"select 1"}""");
        Assert.Equal("1 row for: select 1", Text(next));
        Assert.NotEqual(true, next.IsError);
    }

    [Fact]
    public async Task Call_UpstreamSlowerThanItsTimeout_StoppedWithAClearError_RecordedAsFailed()
    {
        var result = await CallAsync("db.slow", """{"seconds":60}""");

        Assert.True(result.IsError);
        Assert.Contains("did not answer within 2s", Text(result), StringComparison.Ordinal);
        var request = Assert.Single(await _world.Store.ListAsync(new RequestQuery(), Ct));
        await AssertFailedAsync(request.Id, ForwardFailure.TimedOut, approvedBy: null);
    }

    [Fact]
    public async Task Call_ResultOverTheSizeCap_ToolErrorNamingTheCap_RecordedAsFailed_UnderTheCapPasses()
    {
        var small = await CallAsync("db.huge", """{"bytes":1000}""");
        var huge = await CallAsync("db.huge", """{"bytes":200000}""");

        Assert.Equal(1000, Text(small).Length);
        Assert.True(huge.IsError);
        Assert.Contains("max-result-bytes", Text(huge), StringComparison.Ordinal);
        Assert.Contains("65,536", Text(huge), StringComparison.Ordinal);
        var failed = Assert.Single(await _world.Store.ListAsync(new RequestQuery(State: RequestState.Failed), Ct));
        await AssertFailedAsync(failed.Id, ForwardFailure.TooLarge, approvedBy: null);
    }

    [Fact]
    public async Task Call_UpstreamAnswersSomethingThatIsNotAToolResult_ToolError_RecordedAsFailed()
    {
        var result = await CallAsync("db.malformed", "{}");

        Assert.True(result.IsError);
        var request = Assert.Single(await _world.Store.ListAsync(new RequestQuery(), Ct));
        var outcome = await _world.Store.GetApplyOutcomeAsync(request.Id, Ct);
        Assert.True(outcome!.ExitCode is (int)ForwardFailure.Malformed or (int)ForwardFailure.TimedOut, $"exit {outcome.ExitCode}: {Text(result)}");
        Assert.Equal(RequestState.Failed, (await _world.Store.GetAsync(request.Id, Ct))!.State);
        Assert.True((await _world.Store.VerifyAsync(await _world.Store.ListKeysAsync(Ct), cancellationToken: Ct)).IsValid);
    }

    [Fact]
    public async Task Call_WaitMetaThatIsNotADuration_RefusedBeforeAnythingIsScored()
    {
        var result = await _world.Gateway.CallAsync(null, new CallToolRequestParams
        {
            Name = "db.query",
            Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"sql":"select 1"}"""),
            Meta = new System.Text.Json.Nodes.JsonObject { [McpGateway.WaitMetaKey] = "soon" },
        }, Ct);

        Assert.True(result.IsError);
        Assert.Contains("infraguard/wait", Text(result), StringComparison.Ordinal);
        Assert.Empty(await _world.Store.ListAsync(new RequestQuery(), Ct));
        Assert.Empty(_world.Calls());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    private async Task AssertFailedAsync(string id, ForwardFailure failure, string? approvedBy)
    {
        Assert.Equal(RequestState.Failed, (await _world.Store.GetAsync(id, Ct))!.State);
        Assert.Equal((int)failure, (await _world.Store.GetApplyOutcomeAsync(id, Ct))!.ExitCode);
        var entries = await _world.Store.ListEntriesAsync(new AuditQuery(Request: id), Ct);
        Assert.Contains(entries, e => e.Kind == AuditEventTypes.DeployCompleted);
        if (approvedBy is not null)
        {
            Assert.Contains(entries, e => e.Kind == AuditEventTypes.ApprovalGranted);
            Assert.Contains(await _world.Store.GetDecisionsAsync(id, Ct), d => d.Verdict == Verdict.Approve && d.Approver.PersonId == approvedBy);
        }

        Assert.True((await _world.Store.VerifyAsync(await _world.Store.ListKeysAsync(Ct), cancellationToken: Ct)).IsValid);
    }

    private Task<CallToolResult> CallAsync(string tool, string arguments) =>
        _world.Gateway.CallAsync(null, new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(arguments) }, Ct);
}
