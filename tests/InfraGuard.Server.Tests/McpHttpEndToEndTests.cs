using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Server.Tests;

/// <summary>
/// The scenarios over Streamable HTTP: the client reaches <c>/mcp</c> on the server with a runner token (the agent's
/// credential). And the attacks an agent holding that credential can try: call without one, name its own requester,
/// name a different principal than its CI token proves, decide on its own call, or reach a decision through the gateway.
/// </summary>
public sealed class McpHttpEndToEndTests : McpEndToEndTests
{
    private const string Agent = "agent:claude-example";
    private const string InitializeBody = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"probe","version":"1"}}}""";

    [Fact]
    public async Task Mcp_Http_WithoutARunnerCredential_IsRefused_NothingScoredOrForwarded()
    {
        var approverOnly = (await Store.CreateTokenAsync(Erin, [ApiScopes.Approver], null, new PersonRef("admin", "local:admin"))).Token;

        using var anonymous = await PostInitializeAsync(null);
        using var wrongScope = await PostInitializeAsync(approverOnly);
        using var bogus = await PostInitializeAsync("igt_not-a-real-token");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, bogus.StatusCode);
        Assert.Empty(await Store.ListAsync(new RequestQuery()));
        Assert.Empty(UpstreamCalls());
    }

    [Fact]
    public async Task Mcp_Http_AgentCannotNameItsOwnRequester_NorApproveItsOwnCall_NorDecideThroughTheGateway()
    {
        // An agent whose token could also approve: it still never decides on what it asked for.
        var agentToken = (await Store.CreateTokenAsync(Agent, [ApiScopes.Runner, ApiScopes.Approver], null, new PersonRef("admin", "local:admin"))).Token;
        var calls = Calls(
            ("db.export_table", new JsonObject { ["table"] = "customers" }, new JsonObject { ["requester"] = Erin, ["infraguard/requester"] = Erin }),
            ("infraguard.approve", new JsonObject { ["request_id"] = "cr_anything" }, null));
        var client = StartNode(HttpTarget(agentToken, ("X-InfraGuard-Requester", Erin), ("X-InfraGuard-Submitted-By", Erin)), calls, null);
        var id = await RequestIdAsync(client, 0);

        var request = (await Store.GetAsync(id))!;
        Assert.Equal(Agent, request.Requester.RawIdentity);
        Assert.Equal(Agent, request.SubmittedBy);
        Assert.Equal("bob", request.OnBehalfOf); // the principal the header named, resolved to their person id
        Assert.Equal(Core.Policy.ActorKind.Agent, request.ActorKind);

        using (var own = await DecideWithTokenAsync(agentToken, id, Verdict.Approve, "looks fine to me"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
            var why = await own.Content.ReadAsStringAsync();
            Assert.True(why.Contains("You requested this change (requester: 'agent:claude-example')", StringComparison.Ordinal), why);
        }

        using (var rejected = await DecideAsync(Erin, id, Verdict.Reject, "not today"))
        {
            Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.DoesNotContain(run.Tools, t => t["name"]!.GetValue<string>().Contains("approve", StringComparison.Ordinal));
        Assert.Contains("Unknown tool 'infraguard.approve'", run.Results[1]!["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(UpstreamCalls());
        Assert.DoesNotContain(await Store.GetDecisionsAsync(id), d => d.Verdict == Verdict.Approve);
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_Http_StatusTool_AnswersOnlyAboutTheAgentsOwnRequests()
    {
        var otherAgent = (await Store.CreateTokenAsync("agent:other-example", [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"))).Token;
        var noWait = new JsonObject { ["infraguard/wait"] = "0s" };
        var mine = Read(await StartClient(Calls(("db.export_table", new JsonObject { ["table"] = "customers" }, noWait))).WaitAsync(120));
        var id = mine.Results[0]!["structuredContent"]!["requestId"]!.GetValue<string>();

        var theirs = Read(await StartNode(HttpTarget(otherAgent), Calls(("infraguard.request_status", new JsonObject { ["request_id"] = id }, null)), null).WaitAsync(120));

        Assert.True(theirs.Results[0]!["isError"]!.GetValue<bool>());
        Assert.Contains($"No request {id} of yours", theirs.Results[0]!["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("customers", theirs.Results[0]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mcp_Http_UpstreamChangesItsTools_EverySessionIsToldAndSeesTheNewTool()
    {
        var run = Read(await StartClient([], ExtraToolFile).WaitAsync(120));

        Assert.True(run.Exit == 0, run.Error);
        Assert.DoesNotContain("db.vacuum", run.Tools.Select(t => t["name"]!.GetValue<string>()));
        Assert.Contains("db.vacuum", run.ListChanged!);
    }

    private protected override IReadOnlyDictionary<string, string?> ServerSettings() => new Dictionary<string, string?>
    {
        ["Server:Mcp:Upstreams"] = UpstreamsFile,
        ["Server:Mcp:ProgressSeconds"] = "1",
    };

    private protected override ProcessRun StartClient(JsonArray calls, string? listChangedFile = null) =>
        StartNode(HttpTarget(RunnerToken), calls, listChangedFile);

    private JsonObject HttpTarget(string token, params (string Name, string Value)[] extra)
    {
        var headers = new JsonObject { ["Authorization"] = $"Bearer {token}", ["X-InfraGuard-On-Behalf-Of"] = Principal };
        foreach (var (name, value) in extra)
        {
            headers[name] = value;
        }

        return new JsonObject { ["url"] = $"{Url}/mcp", ["headers"] = headers };
    }

    private async Task<HttpResponseMessage> PostInitializeAsync(string? token)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url) };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(InitializeBody, Encoding.UTF8, "application/json") };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }
}
