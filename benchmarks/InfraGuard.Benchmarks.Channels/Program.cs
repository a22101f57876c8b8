// How fast a decision reaches the chat message, wherever it was made (issue: one decision desk, every channel current).
// Runs the real `infraguard serve` process with Slack enabled against a loopback stand-in of Slack's Web API that
// timestamps every chat.update, then decides each pending request and measures decision → chat.update of its message:
//
//  1. through the REST API of the same server (the desk announces the change at once), one decision at a time;
//  2. the same, `burst` decisions sent at once (each measured from its own answer: a message may be updated before the
//     API has answered, which counts as 0);
//  3. with `infraguard approve` in another process on the same database (the server learns of it from the audit log).
//
// The floor, in the same run, is the API decision's own round trip. Usage: bash benchmarks/channel-reach.sh [requests=200]
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using InfraGuard.Benchmarks;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Testing;
using Microsoft.Data.Sqlite;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: InfraGuard.Benchmarks.Channels INFRAGUARD_EXECUTABLE [requests=200] [cli=30] [burst=50]");
    return 64;
}

var infraguard = Path.GetFullPath(args[0]);
var count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var cliCount = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
var burst = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
var work = Directory.CreateTempSubdirectory("ig-channel-bench-").FullName;
var db = Path.Combine(work, "infraguard.db");
var key = Path.Combine(work, "audit-key.pem");
var policy = SampleRequests.PolicyWithoutAttestation(Path.Combine(work, "policy"));
var baseUrl = $"http://127.0.0.1:{ServeProcess.FreePort()}";

await using var slack = await SlackStandIn.StartAsync();
var runnerToken = ServeProcess.Run(infraguard, new Dictionary<string, string>(), "tokens", "create", "--identity", "ci:bench", "--scope", "runner", "--db", db, "--key", key).Trim();
var approverToken = ServeProcess.Run(infraguard, new Dictionary<string, string>(), "tokens", "create", "--identity", "slack:U0EXAMPLEA", "--scope", "approver", "--db", db, "--key", key).Trim();
using var server = StartServer();
using var runner = Client(runnerToken);
using var approver = Client(approverToken);
await ServeProcess.WaitHealthyAsync(runner, Path.Combine(work, "server.log"));

var total = count + burst + cliCount;
var ids = new List<string>();
for (var i = 0; i < total; i++)
{
    using var created = await runner.PostAsJsonAsync("/api/v1/requests", SampleRequests.Renamed(SampleRequests.Body($"reach-{i}", variant: i.ToString(CultureInfo.InvariantCulture)), $"orders-db-{i}"), ServerJson.Options);
    created.EnsureSuccessStatusCode();
    ids.Add((await created.Content.ReadFromJsonAsync<InfraGuard.Core.Runs.Submission>(ServerJson.Options))!.Request!.Id);
}

var ts = await PostedAsync(ids);
Console.WriteLine($"server: pid {server.Id}; {ids.Count} requests posted to the Slack stand-in");

// 1. One API decision at a time.
var floor = new List<double>();
var api = new List<double>();
foreach (var id in ids.Take(count))
{
    var start = Stopwatch.GetTimestamp();
    await DecideAsync(id);
    floor.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    api.Add((await slack.UpdatedAsync(ts[id]) - start) * 1000.0 / Stopwatch.Frequency);
}

// 2. A burst: every decision sent at once; each measured from the moment its own decision was recorded (answered).
var decided = await Task.WhenAll(ids.Skip(count).Take(burst).Select(async id =>
{
    await DecideAsync(id);
    return (Id: id, At: Stopwatch.GetTimestamp());
}));
var burstReach = new List<double>();
foreach (var (id, at) in decided)
{
    burstReach.Add(Math.Max(0, await slack.UpdatedAsync(ts[id]) - at) * 1000.0 / Stopwatch.Frequency);
}

// 3. The CLI in another process, on the same database: measured from the moment the CLI exited (its decision committed).
var cli = new List<double>();
foreach (var id in ids.Skip(count + burst))
{
    ServeProcess.Run(infraguard, new Dictionary<string, string> { ["INFRAGUARD_IDENTITY"] = "slack:U0EXAMPLEB" }, "approve", id, "--reason", "approved from the terminal", "--db", db, "--key", key, "--policy", policy);
    var exited = Stopwatch.GetTimestamp();
    cli.Add((await slack.UpdatedAsync(ts[id]) - exited) * 1000.0 / Stopwatch.Frequency);
}

Console.WriteLine($"floor  API decision round trip        : {Stats(floor)}");
Console.WriteLine($"reach  API decision → chat.update      : {Stats(api)}");
Console.WriteLine($"reach  {burst} decisions at once → chat.update: {Stats(burstReach)}");
Console.WriteLine($"reach  CLI decision (other process) → chat.update: {Stats(cli)}");
var worst = new[] { api, burstReach, cli }.Max(P99);
Console.WriteLine($"result: p99 decision → every channel {worst:F0} ms (target ≤ 1000 ms); API reach p99 is {P99(api) / P99(floor):F1}x the decision's own round trip");
server.Kill(entireProcessTree: true);
await server.WaitForExitAsync();
Directory.Delete(work, recursive: true);
return worst <= 1000 ? 0 : 1;

async Task DecideAsync(string id)
{
    using var response = await approver.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "Checked the snapshot exists."), ServerJson.Options);
    response.EnsureSuccessStatusCode();
}

// Each request's Slack message ts, once the server has posted it.
async Task<Dictionary<string, string>> PostedAsync(List<string> requestIds)
{
    for (var i = 0; i < 600; i++)
    {
        await using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly");
        await c.OpenAsync();
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var q = c.CreateCommand())
        {
            q.CommandText = "SELECT request_id, message_id FROM channel_message WHERE channel = 'Slack'";
            await using var r = await q.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                found[r.GetString(0)] = r.GetString(1);
            }
        }

        if (requestIds.All(found.ContainsKey))
        {
            return found;
        }

        await Task.Delay(100);
    }

    throw new TimeoutException("the server did not post every request to Slack within 60 s; see " + work);
}

HttpClient Client(string token)
{
    var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return client;
}

Process StartServer() => ServeProcess.Start(
    infraguard,
    ["serve", "--urls", baseUrl, "--db", db, "--key", key, "--policy", policy],
    new Dictionary<string, string>
    {
        ["INFRAGUARD_SERVER__SLACK__ENABLED"] = "true",
        ["INFRAGUARD_SERVER__SLACK__SIGNINGSECRET"] = "bench-signing-secret-0123456789abcdef",
        ["INFRAGUARD_SERVER__SLACK__BOTTOKEN"] = "xoxb-bench-0000",
        ["INFRAGUARD_SERVER__SLACK__CHANNEL"] = "C0BENCH01",
        ["INFRAGUARD_SERVER__SLACK__APIBASEURL"] = slack.ApiBase,
        ["INFRAGUARD_SERVER__SLACK__PERCHANNELINTERVALMILLISECONDS"] = "0",
    },
    Path.Combine(work, "server.log"));

static double P99(List<double> values) => Percentile(values, 0.99);

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}

static string Stats(List<double> ms) =>
    string.Create(CultureInfo.InvariantCulture, $"n {ms.Count}, p50 {Percentile(ms, 0.5):F1} ms, p90 {Percentile(ms, 0.9):F1} ms, p99 {P99(ms):F1} ms, max {ms.Max():F1} ms");

/// <summary>Slack's Web API on loopback: answers every method <c>ok</c> and timestamps each chat.update by the message it updates.</summary>
internal sealed class SlackStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _updates = new(StringComparer.Ordinal);
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
        app.MapPost("/api/{method}", async (string method, HttpRequest request) =>
        {
            if (method == "chat.update")
            {
                var seen = Stopwatch.GetTimestamp();
                var body = await JsonNode.ParseAsync(request.Body);
                standIn.Update((string)body!["ts"]!).TrySetResult(seen);
            }

            var ts = string.Create(CultureInfo.InvariantCulture, $"1764036000.{Interlocked.Increment(ref standIn._ts):D6}");
            return Results.Text(method == "chat.postMessage" ? $"{{\"ok\":true,\"channel\":\"C0BENCH01\",\"ts\":\"{ts}\"}}" : "{\"ok\":true}", "application/json");
        });
        await app.StartAsync();
        standIn.ApiBase = app.Urls.First() + "/api/";
        return standIn;
    }

    /// <summary>When the first chat.update of message <paramref name="ts"/> arrived (a <see cref="Stopwatch"/> timestamp).</summary>
    public Task<long> UpdatedAsync(string ts) => Update(ts).Task.WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private TaskCompletionSource<long> Update(string ts) => _updates.GetOrAdd(ts, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
}
