// Load harness for `infraguard serve` (issue: the approval service). Runs the real, separately started server
// process against a loopback stand-in for Slack's Web API, and drives it with wrk (benchmarks/wrk/replay.lua):
//
//  1. floor: GET /healthz paced at `rate` requests/s (the cheapest round trip through the same server, same run);
//  2. Slack interaction acknowledgements at the same rate: signed block_actions clicks on Approve/Reject, each one
//     verified, replay-checked, the request read from the store and the reason modal opened (views.open on the
//     stand-in) before the ack — exactly what a click costs;
//  3. `runners` runners long-polling their own pending request at once (GET /api/v1/requests/{id}?wait=30s), while
//     the server's resident set size is sampled every 100 ms.
//
// Usage: bash benchmarks/serve-load.sh [rate=200] [seconds=60] [runners=1000]
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfraGuard.Benchmarks;
using InfraGuard.Server.Api;
using InfraGuard.Slack.Messages;
using InfraGuard.Testing;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: InfraGuard.Benchmarks.Serve INFRAGUARD_EXECUTABLE [rate=200] [seconds=30] [runners=1000]");
    return 64;
}

var infraguard = Path.GetFullPath(args[0]);
var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
var runners = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
var repo = FindUp(AppContext.BaseDirectory, "InfraGuard.sln");
var script = Path.Combine(repo, "benchmarks", "wrk", "replay.lua");
var fixture = Path.Combine(repo, "..", "shared", "fixtures", "slack", "interactivity", "block_actions.slack-docs-example.json");
var work = Directory.CreateTempSubdirectory("ig-serve-bench-").FullName;
const string SigningSecret = "bench-signing-secret-0123456789abcdef";

await using var slack = await SlackStandIn.StartAsync();
var port = ServeProcess.FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
var db = Path.Combine(work, "infraguard.db");
var key = Path.Combine(work, "audit-key.pem");
var runnerToken = ServeProcess.Run(infraguard, new Dictionary<string, string>(), "tokens", "create", "--identity", "ci:bench", "--scope", "runner", "--db", db, "--key", key).Trim();

using var server = StartServer();
using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", runnerToken);
await ServeProcess.WaitHealthyAsync(http, Path.Combine(work, "server.log"));

// The change requests: one per runner, so each long-poll waits on its own request.
var ids = new List<string>();
for (var i = 0; i < Math.Max(runners, 20); i++)
{
    using var created = await http.PostAsJsonAsync("/api/v1/requests", Body(i), ServerJson.Options);
    created.EnsureSuccessStatusCode();
    ids.Add((await created.Content.ReadFromJsonAsync<InfraGuard.Core.Runs.Submission>(ServerJson.Options))!.Request!.Id);
}

await Task.Delay(TimeSpan.FromSeconds(2)); // let the Slack worker post the new requests before measuring
var idleRss = Rss(server.Id);
Console.WriteLine($"server: pid {server.Id}, {ids.Count} pending requests, RSS after start-up and posting {idleRss / 1048576.0:F0} MiB");

// Pacing: each connection waits `delay` ms after each response; connections = rate * (delay + ~10 ms of latency and wrk's own timer slack) / 1000.
const int Delay = 100;
var connections = (int)Math.Ceiling(rate * (Delay + 10) / 1000.0);

// Warm up (JIT, connection pools) with clicks that are not counted, then measure with fresh ones.
var warmupFile = Path.Combine(work, "warmup.tsv");
await File.WriteAllLinesAsync(warmupFile, Enumerable.Range(0, rate * 10).Select(i => Click(-1 - i, ids[i % 20])));
Wrk(warmupFile, connections, Delay, 5, timeoutSeconds: 5);
var floorFile = Path.Combine(work, "healthz.tsv");
await File.WriteAllTextAsync(floorFile, "/healthz\t\t\t\n");
var floor = Wrk(floorFile, connections, Delay, seconds, timeoutSeconds: 5);
Console.WriteLine($"floor  GET /healthz          : {floor}");
var clicksFile = Path.Combine(work, "clicks.tsv");
var clickCount = (int)(rate * seconds * 1.5) + 1000;
await File.WriteAllLinesAsync(clicksFile, Enumerable.Range(0, clickCount).Select(i => Click(i, ids[i % 20])));
var opened = slack.Count("views.open");
var clicks = Wrk(clicksFile, connections, Delay, seconds, timeoutSeconds: 5);
Console.WriteLine($"acks   POST /slack/interactivity: {clicks}");
var modals = slack.Count("views.open") - opened;
Console.WriteLine($"acks: {modals} reason modals opened for {clicks.Requests} clicks; p99 ratio to floor {clicks.P99Ms / floor.P99Ms:F2}x");

var pollsFile = Path.Combine(work, "polls.tsv");
await File.WriteAllLinesAsync(pollsFile, ids.Take(runners).Select(id => $"/api/v1/requests/{id}?wait=30s\t\t\t"));
using var sampling = new CancellationTokenSource();
var peak = Task.Run(async () =>
{
    long max = 0;
    while (!sampling.IsCancellationRequested)
    {
        max = Math.Max(max, Rss(server.Id));
        await Task.Delay(100);
    }

    return max;
});
var polls = Wrk(pollsFile, runners, 0, 45, timeoutSeconds: 40, header: $"Authorization: Bearer {runnerToken}");
await sampling.CancelAsync();
var peakRss = await peak;
Console.WriteLine($"polls  {runners} runners, wait=30s, 45 s: {polls}");
Console.WriteLine($"polls: peak server RSS {peakRss / 1048576.0:F0} MiB (idle {idleRss / 1048576.0:F0} MiB); server VmHWM {Hwm(server.Id) / 1048576.0:F0} MiB");

server.Kill(entireProcessTree: true);
await server.WaitForExitAsync();
var ok = clicks.Errors == 0 && floor.Errors == 0 && polls.Errors == 0 && modals >= clicks.Requests && modals <= clicks.Requests + connections; // clicks still in flight at the end opened theirs too
if (ok)
{
    Directory.Delete(work, recursive: true);
}

Console.WriteLine(ok ? "result: every request answered 2xx" : $"result: ERRORS (see counts above); figures are not valid. Server log: {work}/server.log");
return ok ? 0 : 1;

Process StartServer() => ServeProcess.Start(
    infraguard,
    ["serve", "--urls", baseUrl, "--db", db, "--key", key, "--policy", SampleRequests.PolicyWithoutAttestation(Path.Combine(work, "policy"))],
    new Dictionary<string, string>
    {
        ["INFRAGUARD_SERVER__SLACK__ENABLED"] = "true",
        ["INFRAGUARD_SERVER__SLACK__SIGNINGSECRET"] = SigningSecret,
        ["INFRAGUARD_SERVER__SLACK__BOTTOKEN"] = "xoxb-bench-0000",
        ["INFRAGUARD_SERVER__SLACK__CHANNEL"] = "C0BENCH01",
        ["INFRAGUARD_SERVER__SLACK__APIBASEURL"] = slack.ApiBase,
        ["INFRAGUARD_SERVER__SLACK__PERCHANNELINTERVALMILLISECONDS"] = "0",
    },
    Path.Combine(work, "server.log"));

string Click(int i, string requestId)
{
    var p = JsonNode.Parse(File.ReadAllText(fixture))!.AsObject();
    p["user"]!["id"] = "U0EXAMPLEA";
    p["container"]!["type"] = "message";
    p["container"]!["channel_id"] = "C0BENCH01";
    p["channel"]!["id"] = "C0BENCH01";
    p["trigger_id"] = $"{i}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}";
    p["actions"]![0]!["action_id"] = i % 2 == 0 ? ApprovalMessages.ApproveActionId : ApprovalMessages.RejectActionId;
    p["actions"]![0]!["value"] = requestId;
    var body = "payload=" + Uri.EscapeDataString(p.ToJsonString());
    var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
    var signature = "v0=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningSecret), Encoding.UTF8.GetBytes($"v0:{ts}:{body}")));
    return $"/slack/interactivity\t{ts}\t{signature}\t{body}";
}

WrkResult Wrk(string requests, int conns, int delayMs, int duration, int timeoutSeconds, string? header = null)
{
    var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in new[] { "-t2", $"-c{conns}", $"-d{duration}s", $"--timeout={timeoutSeconds}s", "--latency", "-s", script })
    {
        start.ArgumentList.Add(a);
    }

    if (header is not null)
    {
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(header);
    }

    start.ArgumentList.Add(baseUrl);
    start.Environment["WRK_REQUESTS"] = requests;
    start.Environment["WRK_THREADS"] = "2";
    start.Environment["WRK_DELAY_MS"] = delayMs.ToString(CultureInfo.InvariantCulture);
    using var wrk = Process.Start(start)!;
    var output = wrk.StandardOutput.ReadToEnd() + wrk.StandardError.ReadToEnd();
    wrk.WaitForExit();
    if (Environment.GetEnvironmentVariable("WRK_VERBOSE") == "1")
    {
        Console.WriteLine(output);
    }

    return WrkResult.Parse(output, conns);
}

// Each runner's own request: the delete scenario with its own database name and plan (the server reads and scores it).
static SubmitBody Body(int i) =>
    SampleRequests.Renamed(SampleRequests.Body($"bench-{i}", variant: i.ToString(CultureInfo.InvariantCulture)), $"orders-db-{i}");

static long Rss(int pid) => ServeProcess.Rss(pid);

static long Hwm(int pid) => ServeProcess.Hwm(pid);

static string FindUp(string from, string marker)
{
    for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, marker)))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException($"{marker} not found above {from}");
}

/// <summary>What wrk measured: requests, rate, latency percentiles, and every kind of failure summed.</summary>
internal sealed partial record WrkResult(long Requests, double PerSecond, double P50Ms, double P90Ms, double P99Ms, double MaxMs, long Errors, int Connections)
{
    public static WrkResult Parse(string output, int connections)
    {
        double Latency(string label)
        {
            var m = Regex.Match(output, $@"^\s*{Regex.Escape(label)}\s+([\d.]+)(us|ms|s)\b", RegexOptions.Multiline);
            return m.Success ? Ms(m.Groups[1].Value, m.Groups[2].Value) : double.NaN;
        }

        var max = Regex.Match(output, @"Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)");
        var done = Regex.Match(output, @"(\d+) requests in");
        var perSecond = Regex.Match(output, @"Requests/sec:\s+([\d.]+)");
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)");
        var socket = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        var errors = (non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0)
            + (socket.Success ? Enumerable.Range(1, 4).Sum(g => long.Parse(socket.Groups[g].Value, CultureInfo.InvariantCulture)) : 0);
        return new WrkResult(
            done.Success ? long.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            perSecond.Success ? double.Parse(perSecond.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            Latency("50%"), Latency("90%"), Latency("99%"),
            max.Success ? Ms(max.Groups[1].Value, max.Groups[2].Value) : double.NaN,
            errors,
            connections);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} requests, {PerSecond:F0}/s over {Connections} connections; latency p50 {P50Ms:F2} ms, p90 {P90Ms:F2} ms, p99 {P99Ms:F2} ms, max {MaxMs:F2} ms; errors {Errors}");

    private static double Ms(string value, string unit) =>
        double.Parse(value, CultureInfo.InvariantCulture) * unit switch { "us" => 0.001, "s" => 1000, _ => 1 };
}

/// <summary>Slack's Web API on loopback: answers every method <c>ok</c> (with the fields InfraGuard reads) and counts calls.</summary>
internal sealed class SlackStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private long _ts;

    private SlackStandIn(WebApplication app) => _app = app;

    public string ApiBase { get; private set; } = "";

    public static async Task<SlackStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new SlackStandIn(app);
        app.MapPost("/api/{method}", (string method) =>
        {
            standIn._calls.AddOrUpdate(method, 1, (_, n) => n + 1);
            var ts = string.Create(CultureInfo.InvariantCulture, $"1764036000.{Interlocked.Increment(ref standIn._ts):D6}");
            return Results.Text(method switch
            {
                "chat.postMessage" => $"{{\"ok\":true,\"channel\":\"C0BENCH01\",\"ts\":\"{ts}\"}}",
                "views.open" => "{\"ok\":true,\"view\":{\"id\":\"V0BENCH01\"}}",
                _ => "{\"ok\":true}",
            }, "application/json");
        });
        await app.StartAsync();
        standIn.ApiBase = app.Urls.First() + "/api/";
        return standIn;
    }

    public int Count(string method) => _calls.GetValueOrDefault(method);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
