using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Server.Tests;

/// <summary>
/// A real MCP client nobody here wrote (the official TypeScript SDK, tests/mcp-client) drives the real
/// <c>infraguard mcp</c> process over stdio, in front of the loopback upstream MCP server (tests/StandIn.McpUpstream,
/// which records every call it receives), with every call scored by a real Kestrel server on loopback. Decisions go
/// through the REST API with each person's own token.
/// </summary>
public sealed class McpEndToEndTests : IAsyncLifetime
{
    private const string Erin = "github:erin-example";
    private const string Principal = "github:bob-example";
    private static readonly string ClientFolder = Repo.File("tests", "mcp-client");
    private readonly ApiWorld _world = new();
    private WebApplication _server = null!;
    private string _url = null!;
    private string _calls = null!;
    private string _upstreams = null!;
    private string _runnerToken = null!;

    public async ValueTask InitializeAsync()
    {
        var port = OidcIssuerTests.FreePort();
        _url = $"http://127.0.0.1:{port}";

        // The default pack plus a harmless read kind, so a query is allowed and an export of a restricted table is not.
        _server = await ExecEndToEndTests.StartServerAsync(_world, port, _url, ("    db.write:", """
                db.read:
                  summary: Reading from a database
                  phrase: read from
                  score: 0
                db.write:
            """));
        _calls = Path.Combine(_world.Root, "upstream-calls.jsonl");
        _upstreams = Path.Combine(_world.Root, "upstreams.yaml");
        await File.WriteAllTextAsync(_upstreams, $"""
            upstreams:
              db:
                command: {StandInMcpUpstream.Executable}
                env: {"{"} MCP_UPSTREAM_LOG: "{_calls}" {"}"}
                target: staging/orders
                tools:
                  query: db.read
                  export_table: data.export
            """);
        var store = _server.Services.GetRequiredService<ChangeStore>();
        _runnerToken = (await store.CreateTokenAsync(ApiWorld.Alice, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"))).Token;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _world.Dispose();
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_ReadPassesThroughExactlyAsTheUpstreamAnswers()
    {
        var arguments = new JsonObject { ["sql"] = "select id, region from orders limit 1" };
        var direct = await DriveAsync(StandInMcpUpstream.Executable, [], "query", arguments);
        var viaGateway = await DriveAsync(InfraGuardExecutable, GatewayArgs, "db.query", arguments);

        Assert.True(viaGateway.Exit == 0, viaGateway.Error);
        Assert.Equal(["db.export_table", "db.query"], viaGateway.Tools.Select(t => t["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Equal(
            direct.Tools.Single(t => t["name"]!.GetValue<string>() == "query")["inputSchema"]!.ToJsonString(),
            viaGateway.Tools.Single(t => t["name"]!.GetValue<string>() == "db.query")["inputSchema"]!.ToJsonString());
        Assert.Equal(direct.Result!.ToJsonString(), viaGateway.Result!.ToJsonString());
        Assert.Contains("\"region\":\"eu\"", viaGateway.Result.ToJsonString(), StringComparison.Ordinal);
        // One call reached the upstream directly, one through the gateway, each with the same arguments.
        Assert.Equal(2, Calls().Count(c => c == """{"tool":"query","arguments":{"sql":"select id, region from orders limit 1"}}"""));
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_RestrictedExportWaitsForAnIndependentApproval_ReachesTheUpstreamOnceWithTheSameArguments()
    {
        var arguments = new JsonObject { ["table"] = "customers", ["format"] = "csv" };
        var client = Start(InfraGuardExecutable, GatewayArgs, "db.export_table", arguments);
        var id = await RequestIdAsync(client);
        Assert.Empty(Calls());

        // The requester (the runner token's owner) and the person the agent acts for are never eligible approvers.
        foreach (var self in new[] { ApiWorld.Alice, Principal })
        {
            using var refused = await DecideAsync(self, id, Verdict.Approve, "my own agent's export is fine");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Empty(Calls());
        using (var approved = await DecideAsync(Erin, id, Verdict.Approve, "export for the audit, ticket DATA-7"))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.True(run.Exit == 0, run.Error);
        Assert.NotEqual(true, run.Result!["isError"]?.GetValue<bool>());
        Assert.Equal("exported customers as csv", run.Result["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(["""{"tool":"export_table","arguments":{"table":"customers","format":"csv"}}"""], Calls());

        var request = await _server.Services.GetRequiredService<ChangeStore>().GetAsync(id);
        Assert.Equal(RequestState.Applied, request!.State);
        Assert.Equal("db.export_table", request.Action!.Tool);
        var store = _server.Services.GetRequiredService<ChangeStore>();
        Assert.True((await store.VerifyAsync(await store.ListKeysAsync())).IsValid);
    }

    [Fact]
    public async Task Mcp_TypeScriptClient_Rejected_ReturnsTheReviewersReason_UpstreamNeverCalled()
    {
        var client = Start(InfraGuardExecutable, GatewayArgs, "db.export_table", new JsonObject { ["table"] = "customers" });
        var id = await RequestIdAsync(client);

        using (var rejected = await DecideAsync(Erin, id, Verdict.Reject, "use the masked view instead"))
        {
            Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        }

        var run = Read(await client.WaitAsync(120));
        Assert.True(run.Exit == 0, run.Error);
        Assert.True(run.Result!["isError"]!.GetValue<bool>());
        Assert.Contains("use the masked view instead", run.Result["content"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(Calls());
    }

    private static string InfraGuardExecutable => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "infraguard.exe" : "infraguard");

    private string[] GatewayArgs => ["mcp", "--upstreams", _upstreams, "--server", _url, "--on-behalf-of", Principal];

    private string[] Calls() => File.Exists(_calls) ? File.ReadAllLines(_calls) : [];

    private static async Task<string> RequestIdAsync(ProcessRun client) =>
        (await client.WaitForErrorLineAsync("progress: Waiting for an independent approval of InfraGuard request ", 120))
            .Split("InfraGuard request ")[1].Split(' ')[0];

    private async Task<Driven> DriveAsync(string command, string[] args, string tool, JsonObject arguments) =>
        Read(await Start(command, args, tool, arguments).WaitAsync(120));

    /// <summary>Starts the TypeScript client on one call; it starts <paramref name="command"/> as its MCP server.</summary>
    private ProcessRun Start(string command, string[] args, string tool, JsonObject arguments)
    {
        if (!Directory.Exists(Path.Combine(ClientFolder, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            Assert.Skip($"The official MCP TypeScript SDK is not installed: run 'npm ci' in {ClientFolder} (.ci/run does).");
        }

        var environment = new JsonObject
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = _world.Root,
            ["NO_COLOR"] = "1",
            ["INFRAGUARD_TOKEN"] = _runnerToken,
            ["MCP_UPSTREAM_LOG"] = _calls,
        };
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { } root)
        {
            environment["DOTNET_ROOT"] = root;
        }

        var spec = new JsonObject
        {
            ["command"] = command,
            ["args"] = new JsonArray([.. args.Select(a => (JsonNode?)a)]),
            ["env"] = environment,
            ["calls"] = new JsonArray(new JsonObject { ["name"] = tool, ["arguments"] = arguments.DeepClone() }),
        };
        var info = new ProcessStartInfo("node") { WorkingDirectory = ClientFolder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("client.mjs");
        info.ArgumentList.Add(spec.ToJsonString());
        return new ProcessRun(Process.Start(info)!);
    }

    private static Driven Read(ProcessRun run)
    {
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var tools = lines.FirstOrDefault(l => l.ContainsKey("tools"))?["tools"]!.AsArray().Select(t => t!.AsObject()).ToList() ?? [];
        var call = lines.FirstOrDefault(l => l.ContainsKey("call"));
        Assert.True(call?["error"] is null, $"the client's call failed: {call?["error"]}\n{run.Error}");
        return new Driven(run.ExitCode, run.Error, tools, call?["result"]?.AsObject());
    }

    private async Task<HttpResponseMessage> DecideAsync(string identity, string id, Verdict verdict, string reason)
    {
        var token = (await _server.Services.GetRequiredService<ChangeStore>().CreateTokenAsync(identity, [ApiScopes.Approver], null, new PersonRef("admin", "local:admin"))).Token;
        using var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(verdict, reason), ServerJson.Options);
    }

    private sealed record Driven(int Exit, string Error, IReadOnlyList<JsonObject> Tools, JsonObject? Result);
}
