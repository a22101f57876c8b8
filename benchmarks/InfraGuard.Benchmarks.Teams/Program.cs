// Load harness for Teams invokes on `infraguard serve` (issue 17). Runs the real, separately started server process
// with Teams enabled against the loopback Bot Framework stand-in the tests use (OpenID metadata and synthetic endorsed
// keys, token endpoint, Bot Connector), and sends `adaptiveCard/action` invokes, open loop, at `rate` per second:
// one in ten is an eligible approver's approve with reason on a fresh request (decided, recorded, audited, answered
// with the decided card); nine in ten are the requester's own approve (verified, looked up, refused by the desk,
// answered with the pending card and the refusal). Every invoke carries a Bot Connector JWT the server verifies.
// Floor: GET /healthz at the same rate in the same run. Each answer is checked to be a 200 invoke response with a card.
//
// Usage: bash benchmarks/teams-load.sh [rate=200] [seconds=30]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Benchmarks;
using InfraGuard.Server.Api;
using InfraGuard.Teams.Tests;
using InfraGuard.Testing;

if (args.Length < 1)
{
    Console.Error.WriteLine("usage: InfraGuard.Benchmarks.Teams INFRAGUARD_EXECUTABLE [rate=200] [seconds=30]");
    return 64;
}

var infraguard = Path.GetFullPath(args[0]);
var rate = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
const string Tenant = "50612dbb-0237-4969-b378-8d42590f9c00";
const string ServiceUrl = "https://smba.trafficmanager.net/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
const string Channel = "19:6848757105754c8981c67612732d9aa7@thread.tacv2";
var work = Directory.CreateTempSubdirectory("ig-teams-bench-").FullName;

await using var teams = await TeamsStandIn.StartAsync();
teams.ServicePath = "/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
teams.AddMember("29:bob", "aad-bob-0002", "bob@example.com", Tenant);
teams.AddMember("29:carol", "aad-carol-0003", "carol@example.com", Tenant);
var port = ServeProcess.FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
var db = Path.Combine(work, "infraguard.db");
var key = Path.Combine(work, "audit-key.pem");
var runnerToken = ServeProcess.Run(infraguard, new Dictionary<string, string>(), "tokens", "create", "--identity", "github:carol-example", "--scope", "runner", "--db", db, "--key", key).Trim();
using var server = StartServer();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000, PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(10) };
await ServeProcess.WaitHealthyAsync(http, Path.Combine(work, "server.log"));

// One fresh request per approve (warm-up and measured), each posted to Teams before measuring.
var warmupSeconds = 5;
var approves = (rate * (seconds + warmupSeconds) / 10) + 10;
var ids = new List<string>();
for (var i = 0; i < approves; i++)
{
    using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/requests") { Content = JsonContent.Create(Body(i), options: ServerJson.Options) };
    create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", runnerToken);
    using var created = await http.SendAsync(create);
    created.EnsureSuccessStatusCode();
    ids.Add((await created.Content.ReadFromJsonAsync<InfraGuard.Core.Runs.Submission>(ServerJson.Options))!.Request!.Id);
}

for (var i = 0; i < 600 && teams.CallsTo("POST", "create").Count < ids.Count; i++)
{
    await Task.Delay(100);
}

var posted = teams.CallsTo("POST", "create").ToDictionary(c => c.Json!["activity"]!["attachments"]![0]!["content"]!["actions"]![0]!["data"]!["requestId"]!.GetValue<string>(), c => c);
Console.WriteLine($"server: pid {server.Id}, {ids.Count} pending requests, {posted.Count} cards posted to the Teams stand-in");

// One Bot Connector token for every invoke (the Connector reuses its tokens too); 30 minutes is within a run.
var token = teams.Mint(DateTimeOffset.UtcNow, serviceUrl: ServiceUrl, lifetime: TimeSpan.FromMinutes(30));
var next = 0;
string Invoke(int i)
{
    var approve = i % 10 == 0;
    var id = ids[approve ? Interlocked.Increment(ref next) - 1 : Math.Min(Volatile.Read(ref next), ids.Count - 1)];
    var who = approve ? ("29:bob", "aad-bob-0002") : ("29:carol", "aad-carol-0003");
    return new JsonObject
    {
        ["type"] = "invoke",
        ["name"] = "adaptiveCard/action",
        ["channelId"] = "msteams",
        ["id"] = $"f:{i}",
        ["serviceUrl"] = ServiceUrl,
        ["from"] = new JsonObject { ["id"] = who.Item1, ["aadObjectId"] = who.Item2 },
        ["recipient"] = new JsonObject { ["id"] = "28:" + TeamsStandIn.AppId },
        ["conversation"] = new JsonObject { ["id"] = $"{Channel};messageid=1", ["conversationType"] = "channel", ["tenantId"] = Tenant },
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Tenant }, ["teamsChannelId"] = Channel },
        ["value"] = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "approve", ["data"] = new JsonObject { ["requestId"] = id, ["reason"] = "Checked the snapshot; safe to apply." } },
            ["trigger"] = "manual",
        },
    }.ToJsonString();
}

await RunAsync("warm-up", warmupSeconds, i => Post(Invoke(i)), quiet: true);
var floor = await RunAsync("floor  GET /healthz", seconds, _ => new HttpRequestMessage(HttpMethod.Get, "/healthz"));
var invokes = await RunAsync("invoke POST /teams/messages", seconds, i => Post(Invoke(i)));
Console.WriteLine($"invokes: p99 ratio to floor {invokes.P99 / floor.P99:F2}x; decided {Volatile.Read(ref next)} requests");
server.Kill(entireProcessTree: true);
await server.WaitForExitAsync();
var ok = floor.Errors == 0 && invokes.Errors == 0;
if (ok)
{
    Directory.Delete(work, recursive: true);
}

Console.WriteLine(ok ? "result: every invoke answered 200 with a card" : $"result: ERRORS; figures are not valid. Server log: {work}/server.log");
return ok ? 0 : 1;

HttpRequestMessage Post(string activity)
{
    var m = new HttpRequestMessage(HttpMethod.Post, "/teams/messages") { Content = new StringContent(activity, Encoding.UTF8, "application/json") };
    m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return m;
}

// Open loop: request i starts at i/rate seconds whatever the earlier ones do, so a slow answer cannot slow the load.
async Task<Result> RunAsync(string name, int duration, Func<int, HttpRequestMessage> make, bool quiet = false)
{
    var total = rate * duration;
    var latencies = new double[total];
    var errors = 0;
    var clock = Stopwatch.StartNew();
    var tasks = new List<Task>(total);
    for (var i = 0; i < total; i++)
    {
        var due = TimeSpan.FromSeconds((double)i / rate);
        var wait = due - clock.Elapsed;
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait);
        }

        var n = i;
        tasks.Add(Task.Run(async () =>
        {
            using var request = make(n);
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                latencies[n] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var good = response.StatusCode == HttpStatusCode.OK
                    && (request.Method == HttpMethod.Get || body.Contains("\"type\":\"application/vnd.microsoft.card.adaptive\"", StringComparison.Ordinal));
                if (!good)
                {
                    Interlocked.Increment(ref errors);
                }
            }
            catch (HttpRequestException)
            {
                latencies[n] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Interlocked.Increment(ref errors);
            }
        }));
    }

    await Task.WhenAll(tasks);
    var achieved = total / clock.Elapsed.TotalSeconds;
    Array.Sort(latencies);
    double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
    var result = new Result(total, achieved, P(0.5), P(0.9), P(0.99), latencies[^1], errors);
    if (!quiet)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {result.Requests} requests at {result.PerSecond:F0}/s; p50 {result.P50:F2} ms, p90 {result.P90:F2} ms, p99 {result.P99:F2} ms, max {result.Max:F2} ms; errors {result.Errors}"));
    }

    return result;
}

Process StartServer() => ServeProcess.Start(
    infraguard,
    ["serve", "--urls", baseUrl, "--db", db, "--key", key, "--policy", SampleRequests.PolicyWithoutAttestation(Path.Combine(work, "policy"))],
    new Dictionary<string, string>
    {
        ["INFRAGUARD_SERVER__TEAMS__ENABLED"] = "true",
        ["INFRAGUARD_SERVER__TEAMS__APPID"] = TeamsStandIn.AppId,
        ["INFRAGUARD_SERVER__TEAMS__APPPASSWORD"] = TeamsStandIn.AppPassword,
        ["INFRAGUARD_SERVER__TEAMS__TENANTIDS__0"] = Tenant,
        ["INFRAGUARD_SERVER__TEAMS__CHANNEL__CHANNELID"] = Channel,
        ["INFRAGUARD_SERVER__TEAMS__CHANNEL__SERVICEURL"] = ServiceUrl,
        ["INFRAGUARD_SERVER__TEAMS__OPENIDMETADATAURL"] = teams.MetadataUrl.AbsoluteUri,
        ["INFRAGUARD_SERVER__TEAMS__TOKENENDPOINT"] = teams.TokenEndpoint.AbsoluteUri,
        ["INFRAGUARD_SERVER__TEAMS__CONNECTORBASEURL"] = teams.BaseAddress.AbsoluteUri,
    },
    Path.Combine(work, "server.log"));

static SubmitBody Body(int i) =>
    SampleRequests.Renamed(SampleRequests.Body($"bench-{i}", variant: i.ToString(CultureInfo.InvariantCulture)), $"orders-db-{i}");

internal sealed record Result(int Requests, double PerSecond, double P50, double P90, double P99, double Max, int Errors);
