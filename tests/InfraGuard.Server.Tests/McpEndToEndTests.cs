using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Server.Tests;

/// <summary>
/// A real MCP client nobody here wrote (the official TypeScript SDK, tests/mcp-client) drives the gateway in front of
/// the loopback upstream MCP server (tests/StandIn.McpUpstream, which records every call it receives), with every call
/// scored by a real Kestrel server on loopback; decisions go through the REST API with each person's own token. The
/// same scenarios run over stdio (<c>infraguard mcp</c>, <see cref="McpStdioEndToEndTests"/>) and over Streamable HTTP
/// (<c>/mcp</c> on the server, <see cref="McpHttpEndToEndTests"/>); the audit log verifies after each.
/// </summary>
public abstract class McpEndToEndTests : IAsyncLifetime
{
    protected const string Erin = "github:erin-example";
    protected const string Principal = "github:bob-example";
    private static readonly string ClientFolder = Repo.File("tests", "mcp-client");
    private WebApplication _server = null!;

    private protected ApiWorld World { get; } = new();

    private protected string Url { get; private set; } = null!;

    private protected string CallLog { get; private set; } = null!;

    private protected string UpstreamsFile { get; private set; } = null!;

    private protected string RunnerToken { get; private set; } = null!;

    private protected ChangeStore Store => _server.Services.GetRequiredService<ChangeStore>();

    public async ValueTask InitializeAsync()
    {
        var port = OidcIssuerTests.FreePort();
        Url = $"http://127.0.0.1:{port}";
        CallLog = Path.Combine(World.Root, "upstream-calls.jsonl");
        UpstreamsFile = Path.Combine(World.Root, "upstreams.yaml");
        await File.WriteAllTextAsync(UpstreamsFile, $"""
            upstreams:
              db:
                command: {StandInMcpUpstream.Executable}
                env: {"{"} MCP_UPSTREAM_LOG: "{CallLog}", MCP_UPSTREAM_EXTRA_TOOL: "{ExtraToolFile}" {"}"}
                target: staging/orders
                tools:
                  query: db.read
                  export_table: data.export
                  vacuum: db.read
            """);

        // The default pack plus a harmless read kind, so a query is allowed and an export of a restricted table is not.
        _server = await ExecEndToEndTests.StartServerAsync(World, port, Url, ServerSettings(), ("    db.write:", """
                db.read:
                  summary: Reading from a database
                  phrase: read from
                  score: 0
                db.write:
            """));
        RunnerToken = (await Store.CreateTokenAsync(ApiWorld.Alice, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"))).Token;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        World.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_ReadPassesThroughExactlyAsTheUpstreamAnswers()
    {
        var arguments = new JsonObject { ["sql"] = "select id, region from orders limit 1" };
        var direct = Read(await StartStdio(StandInMcpUpstream.Executable, [], Calls(("query", arguments))).WaitAsync(120));
        var viaGateway = Read(await StartClient(Calls(("db.query", arguments))).WaitAsync(120));

        Assert.True(viaGateway.Exit == 0, viaGateway.Error);
        Assert.Equal(["db.export_table", "db.query", "infraguard.request_status"], viaGateway.Tools.Select(t => t["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(
            direct.Tools.Single(t => t["name"]!.GetValue<string>() == "query")["inputSchema"]!.ToJsonString(),
            viaGateway.Tools.Single(t => t["name"]!.GetValue<string>() == "db.query")["inputSchema"]!.ToJsonString());
        Assert.Equal(direct.Results[0]!.ToJsonString(), viaGateway.Results[0]!.ToJsonString());
        Assert.Contains("\"region\":\"eu\"", viaGateway.Results[0]!.ToJsonString(), StringComparison.Ordinal);
        // One call reached the upstream directly, one through the gateway, each with the same arguments.
        Assert.Equal(2, UpstreamCalls().Count(c => c == """{"tool":"query","arguments":{"sql":"select id, region from orders limit 1"}}"""));
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_RestrictedExportWaitsForAnIndependentApproval_ReachesTheUpstreamOnceWithTheSameArguments()
    {
        var arguments = new JsonObject { ["table"] = "customers", ["format"] = "csv" };
        var client = StartClient(Calls(("db.export_table", arguments)));
        var id = await RequestIdAsync(client, 0);
        Assert.Empty(UpstreamCalls());

        // The requester (the runner token's owner) and the person the agent acts for are never eligible approvers.
        foreach (var self in new[] { ApiWorld.Alice, Principal })
        {
            using var refused = await DecideAsync(self, id, Verdict.Approve, "my own agent's export is fine");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Empty(UpstreamCalls());
        using (var approved = await DecideAsync(Erin, id, Verdict.Approve, "export for the audit, ticket DATA-7"))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.True(run.Exit == 0, run.Error);
        Assert.NotEqual(true, run.Results[0]!["isError"]?.GetValue<bool>());
        Assert.Equal("exported customers as csv", run.Results[0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["""{"tool":"export_table","arguments":{"table":"customers","format":"csv"}}"""], UpstreamCalls());

        var request = await Store.GetAsync(id);
        Assert.Equal(RequestState.Applied, request!.State);
        Assert.Equal("db.export_table", request.Action!.Tool);
        Assert.Equal(ApiWorld.Alice, request.SubmittedBy);
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_Rejected_ReturnsTheReviewersReason_UpstreamNeverCalled()
    {
        var client = StartClient(Calls(("db.export_table", new JsonObject { ["table"] = "customers" })));
        var id = await RequestIdAsync(client, 0);

        using (var rejected = await DecideAsync(Erin, id, Verdict.Reject, "use the masked view instead"))
        {
            Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.True(run.Exit == 0, run.Error);
        Assert.True(run.Results[0]!["isError"]!.GetValue<bool>());
        Assert.Contains("use the masked view instead", run.Results[0]!["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(UpstreamCalls());
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_ChangedArgument_IsANewRequest_TheApprovalIsNotReused()
    {
        var client = StartClient(Calls(
            ("db.export_table", new JsonObject { ["table"] = "customers", ["format"] = "csv" }),
            ("db.export_table", new JsonObject { ["table"] = "customers", ["format"] = "json" })));
        var first = await RequestIdAsync(client, 0);
        using (var approved = await DecideAsync(Erin, first, Verdict.Approve, "csv export for the audit"))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        var second = await RequestIdAsync(client, 1);
        Assert.NotEqual(first, second);
        Assert.NotEqual((await Store.GetAsync(first))!.PlanHash, (await Store.GetAsync(second))!.PlanHash);
        Assert.Equal(["""{"tool":"export_table","arguments":{"table":"customers","format":"csv"}}"""], UpstreamCalls());
        using (var rejected = await DecideAsync(Erin, second, Verdict.Reject, "csv only"))
        {
            Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.Equal("exported customers as csv", run.Results[0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.True(run.Results[1]!["isError"]!.GetValue<bool>());
        Assert.Single(UpstreamCalls());
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_CancelsAWaitingCall_NothingForwarded_RequestClosed()
    {
        var calls = Calls(("db.export_table", new JsonObject { ["table"] = "customers" }));
        calls[0]!["cancelOnProgress"] = true;
        var client = StartClient(calls);
        var id = await RequestIdAsync(client, 0);

        var run = await client.WaitAsync(120);
        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Contains("\"error\"", run.Out, StringComparison.Ordinal);
        var request = await EventuallyAsync(id, RequestState.Cancelled);

        // Closed: an approval arriving afterwards finds nothing to approve, and nothing ever reaches the upstream.
        using (var late = await DecideAsync(Erin, id, Verdict.Approve, "approved after the agent gave up"))
        {
            Assert.False(late.IsSuccessStatusCode);
        }

        Assert.Equal(RequestState.Cancelled, (await Store.GetAsync(id))!.State);
        Assert.Empty(UpstreamCalls());
        var entries = await Store.ListEntriesAsync(new AuditQuery(Request: id));
        Assert.Contains(entries, e => e.Kind == AuditEventTypes.RunCancelled);
        Assert.Equal(RequestState.Cancelled, request.State);
        await AssertAuditVerifiesAsync();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_CannotWait_GetsPendingWithTheRequestId_StatusTool_ReissuedCallRunsOnceAfterApproval()
    {
        var arguments = new JsonObject { ["table"] = "customers", ["format"] = "csv" };
        var noWait = new JsonObject { ["infraguard/wait"] = "0s" };
        var first = Read(await StartClient(Calls(("db.export_table", arguments, noWait))).WaitAsync(120));

        var pending = first.Results[0]!;
        Assert.True(pending["isError"]!.GetValue<bool>());
        Assert.StartsWith("PENDING:", pending["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        var id = pending["structuredContent"]!["requestId"]!.GetValue<string>();
        Assert.Equal(RequestState.Pending, (await Store.GetAsync(id))!.State);
        Assert.Empty(UpstreamCalls());

        using (var approved = await DecideAsync(Erin, id, Verdict.Approve, "export for the audit"))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        // The status tool tells it is approved; the same call re-issued runs it, once; issued again, it is a new request.
        var again = Read(await StartClient(Calls(
            ("infraguard.request_status", new JsonObject { ["request_id"] = id }, null),
            ("db.export_table", arguments, noWait),
            ("db.export_table", arguments, noWait))).WaitAsync(120));
        Assert.Equal("approved", again.Results[0]!["structuredContent"]!["state"]!.GetValue<string>());
        Assert.Equal("exported customers as csv", again.Results[1]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.StartsWith("PENDING:", again.Results[2]!["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual(id, again.Results[2]!["structuredContent"]!["requestId"]!.GetValue<string>());
        Assert.Equal(["""{"tool":"export_table","arguments":{"table":"customers","format":"csv"}}"""], UpstreamCalls());
        Assert.Equal(RequestState.Applied, (await Store.GetAsync(id))!.State);
        await AssertAuditVerifiesAsync();
    }

    /// <summary>Settings for the server on top of the usual ones.</summary>
    private protected virtual IReadOnlyDictionary<string, string?> ServerSettings() => new Dictionary<string, string?>();

    /// <summary>Starts the TypeScript client on <paramref name="calls"/> against the gateway under test.</summary>
    private protected abstract ProcessRun StartClient(JsonArray calls, string? listChangedFile = null);

    private protected string ExtraToolFile => Path.Combine(World.Root, "extra-tool");

    private protected static JsonArray Calls(params (string Tool, JsonObject Arguments)[] calls) =>
        new([.. calls.Select(c => (JsonNode)new JsonObject { ["name"] = c.Tool, ["arguments"] = c.Arguments.DeepClone() })]);

    private protected static JsonArray Calls(params (string Tool, JsonObject Arguments, JsonObject? Meta)[] calls) =>
        new([.. calls.Select(c => (JsonNode)new JsonObject { ["name"] = c.Tool, ["arguments"] = c.Arguments.DeepClone(), ["meta"] = c.Meta?.DeepClone() })]);

    private protected string[] UpstreamCalls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

    private protected static async Task<string> RequestIdAsync(ProcessRun client, int call) =>
        (await client.WaitForErrorLineAsync($"progress[{call}]: Waiting for an independent approval of InfraGuard request ", 120))
            .Split("InfraGuard request ")[1].Split(' ')[0];

    private protected async Task<ChangeRequest> EventuallyAsync(string id, RequestState state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var request = (await Store.GetAsync(id))!;
            if (request.State == state || DateTime.UtcNow > deadline)
            {
                Assert.Equal(state, request.State);
                return request;
            }

            await Task.Delay(50);
        }
    }

    private protected async Task AssertAuditVerifiesAsync() =>
        Assert.True((await Store.VerifyAsync(await Store.ListKeysAsync())).IsValid);

    private protected async Task<HttpResponseMessage> DecideAsync(string identity, string id, Verdict verdict, string reason, string[]? scopes = null)
    {
        var token = (await Store.CreateTokenAsync(identity, scopes ?? [ApiScopes.Approver], null, new PersonRef("admin", "local:admin"))).Token;
        return await DecideWithTokenAsync(token, id, verdict, reason);
    }

    private protected async Task<HttpResponseMessage> DecideWithTokenAsync(string token, string id, Verdict verdict, string reason)
    {
        using var client = new HttpClient { BaseAddress = new Uri(Url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(verdict, reason), ServerJson.Options);
    }

    /// <summary>Starts the TypeScript client with <paramref name="target"/> (command or url) and <paramref name="calls"/>.</summary>
    private protected static ProcessRun StartNode(JsonObject target, JsonArray calls, string? listChangedFile)
    {
        if (!Directory.Exists(Path.Combine(ClientFolder, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            Assert.Skip($"The official MCP TypeScript SDK is not installed: run 'npm ci' in {ClientFolder} (.ci/run does).");
        }

        target["calls"] = calls;
        if (listChangedFile is not null)
        {
            target["listChangedFile"] = listChangedFile;
        }

        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientFolder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("client.mjs");
        info.ArgumentList.Add(target.ToJsonString());
        return new ProcessRun(Process.Start(info)!);
    }

    /// <summary>The TypeScript client starting <paramref name="command"/> as its MCP server over stdio.</summary>
    private protected ProcessRun StartStdio(string command, string[] args, JsonArray calls, string? listChangedFile = null)
    {
        var environment = new JsonObject
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = World.Root,
            ["NO_COLOR"] = "1",
            ["INFRAGUARD_TOKEN"] = RunnerToken,
            ["MCP_UPSTREAM_LOG"] = CallLog,
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root)
        {
            environment["DOTNET_ROOT"] = root;
        }

        return StartNode(new JsonObject { ["command"] = command, ["args"] = new JsonArray([.. args.Select(a => (JsonNode?)a)]), ["env"] = environment }, calls, listChangedFile);
    }

    private protected static Driven Read(ProcessRun run)
    {
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var tools = lines.FirstOrDefault(l => l.ContainsKey("tools"))?["tools"]!.AsArray().Select(t => t!.AsObject()).ToList() ?? [];
        var calls = lines.Where(l => l.ContainsKey("call")).ToList();
        Assert.True(calls.All(c => c["error"] is null), $"a client call failed: {string.Join(" / ", calls.Select(c => c["error"]))}\n{run.Error}");
        var changed = lines.FirstOrDefault(l => l.ContainsKey("listChanged"))?["listChanged"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        return new Driven(run.ExitCode, run.Error, tools, [.. calls.Select(c => c["result"]?.AsObject())], changed);
    }

    protected sealed record Driven(int Exit, string Error, IReadOnlyList<JsonObject> Tools, IReadOnlyList<JsonObject?> Results, IReadOnlyList<string>? ListChanged);
}

/// <summary>The scenarios over stdio: the client starts <c>infraguard mcp --upstreams FILE --server URL</c>.</summary>
public sealed class McpStdioEndToEndTests : McpEndToEndTests
{
    [Fact]
    public async Task Mcp_Stdio_UpstreamChangesItsTools_TheAgentIsToldAndSeesTheNewTool()
    {
        var run = Read(await StartClient([], ExtraToolFile).WaitAsync(120));

        Assert.True(run.Exit == 0, run.Error);
        Assert.DoesNotContain("db.vacuum", run.Tools.Select(t => t["name"]!.GetValue<string>()));
        Assert.Contains("db.vacuum", run.ListChanged!);
    }

    private protected override ProcessRun StartClient(JsonArray calls, string? listChangedFile = null) =>
        StartStdio(
            Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "infraguard.exe" : "infraguard"),
            ["mcp", "--upstreams", UpstreamsFile, "--server", Url, "--on-behalf-of", Principal],
            calls,
            listChangedFile);
}
