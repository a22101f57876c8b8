// MCP gateway benchmark (issue 16). Usage: dotnet run -c Release --project benchmarks/InfraGuard.Benchmarks.Mcp -- [CALLS] [WAITING]
// 1. Overhead of an allowed call: CALLS calls of the loopback upstream's `query` tool straight through an MCP client (the
//    floor), then CALLS calls of `db.query` through the gateway (scored with the pack, stored as a request approved by
//    policy, started, forwarded, outcome recorded, all in the signed audit log of a SQLite store), interleaved in blocks
//    so load drifts hit both alike. Reports p50/p90/p99 of each and the overhead (gateway − floor) per percentile.
// 2. WAITING concurrent calls of a restricted export, each waiting for a decision: managed heap and working set before,
//    while all wait, and after they are all rejected and answered.
using System.Diagnostics;
using System.Text.Json;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Mcp;
using InfraGuard.Store;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

var calls = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var waiting = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100;
var repo = FindRepo();
var upstreamExe = Path.Combine(repo, "tests", "StandIn.McpUpstream", "bin", "Release", "net10.0", "mcp-upstream");
if (!File.Exists(upstreamExe))
{
    upstreamExe = Path.Combine(repo, "tests", "StandIn.McpUpstream", "bin", "Debug", "net10.0", "mcp-upstream");
}

var root = Directory.CreateTempSubdirectory("ig-mcp-bench-").FullName;
using var signer = Ed25519AuditSigner.Generate();
var policy = PolicyPackLoader.Load(Pack, "bench-policy.yaml");
using var store = ChangeStore.Open(Path.Combine(root, "ig.db"), TimeProvider.System, signer);
var authority = new ActionAuthority(policy, store, store, TimeProvider.System, new Submitter("github:agent-runner", "github:agent-runner", Attested: false, ActorKind: ActorKind.Agent));
if (args.Length > 2 && args[2] == "steps")
{
    // Where an allowed call's time goes: the authority's store steps alone, no MCP.
    var steps = new Dictionary<string, List<double>> { ["submit+start"] = [], ["complete"] = [] };
    for (var i = 0; i < calls; i++)
    {
        var proposal = new ActionProposal(ProposedAction.ToolCall("db.read", "staging/orders", "db.query", new System.Text.Json.Nodes.JsonObject { ["sql"] = $"select {i}" }), ActorKind.Agent, StartWhenAllowed: true);
        var t = Stopwatch.GetTimestamp();
        var submitted = await authority.SubmitActionAsync(proposal, CancellationToken.None);
        steps["submit+start"].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        t = Stopwatch.GetTimestamp();
        await store.CompleteApplyAsync(submitted.Request!.Id, new ApplyOutcome(true, 0, new Dictionary<InfraGuard.Core.Changes.ChangeOp, int>(), ""), CancellationToken.None);
        steps["complete"].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }

    foreach (var (name, values) in steps)
    {
        Console.WriteLine($"  {name,-12} p50 {P(values, 50):0.000} p90 {P(values, 90):0.000} p99 {P(values, 99):0.000} ms");
    }

    return;
}

var upstreams = UpstreamsFile.Parse($"upstreams:\n  db:\n    command: {upstreamExe}\n    target: staging/orders\n    tools:\n      query: db.read\n      export_table: data.export\n", "upstreams.yaml");
await using var gateway = await McpGateway.ConnectAsync(upstreams, _ => null, authority, store, TimeProvider.System,
    new GatewayOptions("github:bob-example", null, null, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)), null, CancellationToken.None);
await using var direct = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions { Command = upstreamExe, Name = "direct" }));

var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"sql":"select id, region from orders limit 1"}""")!;
var floor = new List<double>(calls);
var guarded = new List<double>(calls);
for (var warm = 0; warm < 50; warm++)
{
    await direct.CallToolAsync(new CallToolRequestParams { Name = "query", Arguments = arguments });
    await gateway.CallAsync(null, new CallToolRequestParams { Name = "db.query", Arguments = arguments }, CancellationToken.None);
}

for (var block = 0; block < calls; block += 50)
{
    var n = Math.Min(50, calls - block);
    for (var i = 0; i < n; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await direct.CallToolAsync(new CallToolRequestParams { Name = "query", Arguments = arguments });
        floor.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }

    for (var i = 0; i < n; i++)
    {
        var t = Stopwatch.GetTimestamp();
        var result = await gateway.CallAsync(null, new CallToolRequestParams { Name = "db.query", Arguments = arguments }, CancellationToken.None);
        guarded.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        if (result.IsError == true)
        {
            throw new InvalidOperationException("an allowed call failed: " + JsonSerializer.Serialize(result));
        }
    }
}

Console.WriteLine($"allowed call, {calls} each (load average {LoadAverage()}):");
Console.WriteLine($"  direct  p50 {P(floor, 50):0.000} p90 {P(floor, 90):0.000} p99 {P(floor, 99):0.000} max {floor.Max():0.000} ms");
Console.WriteLine($"  gateway p50 {P(guarded, 50):0.000} p90 {P(guarded, 90):0.000} p99 {P(guarded, 99):0.000} max {guarded.Max():0.000} ms");
Console.WriteLine($"  overhead p50 {P(guarded, 50) - P(floor, 50):0.000} p90 {P(guarded, 90) - P(floor, 90):0.000} p99 {P(guarded, 99) - P(floor, 99):0.000} ms (target p99 ≤ 5 ms)");

// Waiting calls: each a different table, so each its own request.
var before = Snapshot();
using var stop = new CancellationTokenSource();
var held = Enumerable.Range(0, waiting).Select(i => gateway.CallAsync(null, new CallToolRequestParams
{
    Name = "db.export_table",
    Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>($$"""{"table":"customers_{{i}}"}""")!,
}, CancellationToken.None)).ToList();
while ((await store.ListAsync(new RequestQuery(State: RequestState.Pending, Limit: 1000))).Count < waiting)
{
    await Task.Delay(100);
}

await Task.Delay(2000); // several poll rounds while all wait
var during = Snapshot();
var desk = new ApprovalDesk(store, TimeProvider.System);
foreach (var request in await store.ListAsync(new RequestQuery(State: RequestState.Pending, Limit: 1000)))
{
    await desk.DecideAsync(new DecisionAttempt(request.Id, ApprovalDesk.ApproverFor(policy.Identities, "github:erin-example"), DecisionChannel.Api, Verdict.Reject, "benchmark"));
}

var answers = await Task.WhenAll(held);
var after = Snapshot();
Console.WriteLine($"{waiting} concurrent waiting calls: all answered {(answers.All(a => a.IsError == true) ? "(rejected, as decided)" : "WRONGLY")}");
Console.WriteLine($"  managed heap before {before.Heap / 1024.0 / 1024:0.0} MiB, while waiting {during.Heap / 1024.0 / 1024:0.0} MiB (+{(during.Heap - before.Heap) / 1024.0 / waiting:0.0} KiB per call), after {after.Heap / 1024.0 / 1024:0.0} MiB");
Console.WriteLine($"  working set before {before.WorkingSet / 1024.0 / 1024:0.0} MiB, while waiting {during.WorkingSet / 1024.0 / 1024:0.0} MiB, after {after.WorkingSet / 1024.0 / 1024:0.0} MiB; threads while waiting {during.Threads}");
Directory.Delete(root, recursive: true);

static double P(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];
}

static (long Heap, long WorkingSet, int Threads) Snapshot()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    using var self = Process.GetCurrentProcess();
    return (GC.GetTotalMemory(true), self.WorkingSet64, self.Threads.Count);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

static string FindRepo()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "InfraGuard.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? throw new InvalidOperationException("run from inside the repository");
}

internal static partial class Program
{
    private const string Pack = """
        apiVersion: infraguard/v1
        tiers:
          staging:
            default: true
            review-at: 60
            block-at: 600
            approvals: { count: 1, expires-after: 1d }
            actor-weights: { agent: 1.5 }
        rules: []
        actions:
          data-classes:
            restricted: ["*customers*"]
          kinds:
            db.read:
              summary: Reading from a database
              score: 0
            data.export:
              summary: Exporting data out of the system that holds it
              phrase: export data from
              match: { tools: ["*export*"] }
              score: 10
          rules:
            - id: restricted-data-export
              summary: Exporting restricted data
              match: { kinds: [data.export], data-classes: [restricted] }
              score: 40
        """;
}
