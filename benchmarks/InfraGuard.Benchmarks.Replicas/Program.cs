// Load harness for several `infraguard serve` replicas on one PostgreSQL (issue 18). Three real server processes share a
// fresh schema in the database INFRAGUARD_TEST_PG names:
//
//  1. wake-up latency: a runner long-polls its request (GET /api/v1/requests/{id}?wait=30s&state=pending) on replica B
//     while an approver decides on replica A; measured from the decision being sent to B's answer reaching the runner
//     (and, separately, from A's answer to the approver). Floor, in the same run, alternating: the runner and the
//     approver on the same replica (an in-process wake-up).
//  2. `runners` runners long-polling their own pending requests at once, spread evenly over the three replicas, while
//     each replica's resident set size is sampled every 100 ms.
//
// Usage: INFRAGUARD_TEST_PG=postgres://… bash benchmarks/replicas-load.sh [wakeups=200] [runners=3000]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Dapper;
using InfraGuard.Benchmarks;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Npgsql;

if (args.Length < 1 || Environment.GetEnvironmentVariable("INFRAGUARD_TEST_PG") is not { Length: > 0 } pg)
{
    Console.Error.WriteLine("usage: INFRAGUARD_TEST_PG=postgres://… InfraGuard.Benchmarks.Replicas INFRAGUARD_EXECUTABLE [wakeups=200] [runners=3000]");
    return 64;
}

var infraguard = Path.GetFullPath(args[0]);
var wakeups = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var runners = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3000;
const int Warmup = 20;
const long RssBudget = 250L * 1024 * 1024;

var owner = DbSpec.ToNpgsql(pg);
var schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
await using (var c = new NpgsqlConnection(owner))
{
    await c.ExecuteAsync($"CREATE SCHEMA {schema}");
}

var work = Directory.CreateTempSubdirectory("ig-replicas-bench-").FullName;
// Three replicas share PostgreSQL's connection limit (max_connections, 100 by default): 30 each, as docs/deploy.md advises.
var db = new NpgsqlConnectionStringBuilder(owner) { SearchPath = schema, MaxPoolSize = 30 }.ToString();
var key = Path.Combine(work, "audit-key.pem");
AuditKeyFile.Create(key).Dispose();
var env = new Dictionary<string, string>
{
    ["INFRAGUARD_DB"] = db,
    ["INFRAGUARD_KEY_FILE"] = key,
    ["INFRAGUARD_POLICY"] = SampleRequests.PolicyWithoutAttestation(Path.Combine(work, "policy")),
    ["HOME"] = work,
};
var runnerToken = ServeProcess.Run(infraguard, env, "tokens", "create", "--identity", "github:carol-example", "--scope", "runner").Trim();
var aliceToken = ServeProcess.Run(infraguard, env, "tokens", "create", "--identity", "slack:U0EXAMPLEA", "--scope", "approver").Trim();

var servers = new List<(string Url, Process Process, string Log)>();
var ok = false;
try
{
    foreach (var name in new[] { "A", "B", "C" })
    {
        var url = $"http://127.0.0.1:{ServeProcess.FreePort()}";
        var log = Path.Combine(work, $"server-{name}.log");
        var process = ServeProcess.Start(infraguard, ["serve", "--urls", url], env, log);
        servers.Add((url, process, log));
        using var probe = new HttpClient { BaseAddress = new Uri(url) };
        await ServeProcess.WaitHealthyAsync(probe, log, seconds: 120); // one at a time: the first migrates the fresh schema
    }

    var handlers = servers.Select(_ => new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }).ToList();
    var runner = servers.Select((s, i) => Client(handlers[i], s.Url, runnerToken)).ToList();
    var alice = servers.Select((s, i) => Client(handlers[i], s.Url, aliceToken)).ToList();

    // 1. Wake-ups: cross-replica and same-replica (floor), alternating, after a warm-up that is not counted.
    var ids = await SubmitAsync("wake", Warmup + (2 * wakeups));
    var cross = new List<double>();
    var floor = new List<double>();
    var crossAfterCommit = new List<double>();
    var floorAfterCommit = new List<double>();
    for (var i = 0; i < ids.Count; i++)
    {
        var sameReplica = i % 2 == 1;
        var a = i % 3;
        var b = sameReplica ? a : (a + 1) % 3;
        // state=pending: a poll that reaches the server after the decision is answered at once, as a runner's would be.
        var poll = runner[b].GetAsync($"/api/v1/requests/{ids[i]}?wait=30s&state=pending");
        await Task.Delay(30); // the runner is waiting before the decision
        var sent = Stopwatch.GetTimestamp();
        using var decided = await alice[a].PostAsJsonAsync($"/api/v1/requests/{ids[i]}/decisions", new DecideBody(Verdict.Approve, "benchmark approval, nothing is applied"), ServerJson.Options);
        var recorded = Stopwatch.GetTimestamp();
        using var answered = await poll;
        var done = Stopwatch.GetTimestamp();
        var ms = Stopwatch.GetElapsedTime(sent, done).TotalMilliseconds;
        var afterCommit = (done - recorded) * 1000.0 / Stopwatch.Frequency; // negative when the runner heard before the approver's answer arrived
        decided.EnsureSuccessStatusCode();
        var view = await answered.Content.ReadFromJsonAsync<RequestView>(ServerJson.Options);
        if (view!.Request.State != RequestState.Approved)
        {
            throw new InvalidOperationException($"the runner on replica {b} was answered before the decision: {view.Request.State}");
        }

        if (i >= Warmup)
        {
            (sameReplica ? floor : cross).Add(ms);
            (sameReplica ? floorAfterCommit : crossAfterCommit).Add(afterCommit);
        }
    }

    Console.WriteLine($"wake-up cross-replica (decide on A, runner on B), {cross.Count}: {Stats(cross)}");
    Console.WriteLine($"wake-up floor (decide and runner on one replica), {floor.Count}: {Stats(floor)}");
    Console.WriteLine($"  from the approver's answer (decision committed) to the runner's answer: cross-replica {Stats(crossAfterCommit)}; floor {Stats(floorAfterCommit)}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wake-up: cross-replica p99 {P(cross, 0.99):F1} ms (target <= 250 ms), ratio to floor p99 {P(cross, 0.99) / P(floor, 0.99):F2}x"));

    // 2. Runners long-polling across the replicas, RSS sampled.
    var pending = await SubmitAsync("poll", runners);
    var idle = servers.Select(s => ServeProcess.Rss(s.Process.Id)).ToArray();
    using var sampling = new CancellationTokenSource();
    var peaks = new long[servers.Count];
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested)
        {
            for (var i = 0; i < servers.Count; i++)
            {
                peaks[i] = Math.Max(peaks[i], ServeProcess.Rss(servers[i].Process.Id));
            }

            await Task.Delay(100);
        }
    });
    var started = Stopwatch.GetTimestamp();
    var polls = pending.Select((id, i) => PollAsync(runner[i % 3], id)).ToList();
    var results = await Task.WhenAll(polls);
    var took = Stopwatch.GetElapsedTime(started);
    await sampling.CancelAsync();
    await sampler;
    var answeredOk = results.Count(r => r);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"polls: {runners} runners over 3 replicas, wait=30s: {answeredOk} answered 200 after the wait ({took.TotalSeconds:F1} s), {runners - answeredOk} errors"));
    for (var i = 0; i < servers.Count; i++)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"polls: replica {(char)('A' + i)} peak RSS {peaks[i] / 1048576.0:F0} MiB (idle {idle[i] / 1048576.0:F0} MiB, budget 250 MiB), VmHWM {ServeProcess.Hwm(servers[i].Process.Id) / 1048576.0:F0} MiB"));
    }

    ok = answeredOk == runners && peaks.All(p => p <= RssBudget) && P(cross, 0.99) <= 250;
    Console.WriteLine(ok ? "result: every runner answered; wake-up p99 and RSS within target" : $"result: TARGET MISSED or ERRORS (see above). Server logs: {work}");
    return ok ? 0 : 1;

    async Task<bool> PollAsync(HttpClient client, string id)
    {
        try
        {
            using var response = await client.GetAsync($"/api/v1/requests/{id}?wait=30s");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    async Task<List<string>> SubmitAsync(string prefix, int count)
    {
        var made = new string[count];
        using var gate = new SemaphoreSlim(12);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var variant = $"{prefix}-{i}";
                using var created = await runner[i % 3].PostAsJsonAsync("/api/v1/requests", SampleRequests.Renamed(SampleRequests.Body(variant, variant: variant), "orders-db-" + variant), ServerJson.Options);
                created.EnsureSuccessStatusCode();
                made[i] = (await created.Content.ReadFromJsonAsync<InfraGuard.Core.Runs.Submission>(ServerJson.Options))!.Request!.Id;
            }
            finally
            {
                gate.Release();
            }
        }));
        return [.. made];
    }
}
finally
{
    foreach (var (_, process, _) in servers)
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    NpgsqlConnection.ClearAllPools();
    await using (var c = new NpgsqlConnection(owner))
    {
        await c.ExecuteAsync($"DROP SCHEMA {schema} CASCADE");
    }

    if (ok)
    {
        Directory.Delete(work, recursive: true);
    }
}

static HttpClient Client(SocketsHttpHandler handler, string url, string token)
{
    var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(90) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return client;
}

static double P(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
}

static string Stats(List<double> values) => string.Create(CultureInfo.InvariantCulture,
    $"p50 {P(values, 0.5):F1} ms, p90 {P(values, 0.9):F1} ms, p99 {P(values, 0.99):F1} ms, max {values.Max():F1} ms");
