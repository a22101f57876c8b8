using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Dapper;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Npgsql;

namespace InfraGuard.Server.Tests.Replicas;

/// <summary>One replica: a real <c>infraguard serve</c> process on a loopback port.</summary>
internal sealed class Replica(string name, string url, ProcessRun run)
{
    public string Name { get; } = name;

    public string Url { get; } = url;

    public ProcessRun Run { get; } = run;

    public bool Alive => !Run.Process.HasExited;

    /// <summary>SIGKILL: no shutdown, no goodbye to PostgreSQL; the kernel closes its sockets.</summary>
    public void Kill()
    {
        if (Alive)
        {
            Run.Process.Kill();
            Run.Process.WaitForExit(10_000);
        }
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(90) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>What <c>/readyz</c> says about leadership (false when it does not answer).</summary>
    public async Task<bool> IsLeaderAsync()
    {
        if (!Alive)
        {
            return false;
        }

        try
        {
            using var client = Client();
            using var ready = await client.GetAsync("/readyz");
            return ready.IsSuccessStatusCode && (bool)JsonNode.Parse(await ready.Content.ReadAsStringAsync())!["leader"]!;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }
}

/// <summary>
/// Several real <c>infraguard serve</c> processes on loopback sharing one PostgreSQL database (a fresh schema in the
/// database <c>INFRAGUARD_TEST_PG</c> names; the test skips without it, as the store's PostgreSQL tests do). The
/// harness keeps its own store handle on the same schema to mint tokens and to check what was recorded.
/// </summary>
internal sealed class ReplicaCluster : IAsyncDisposable
{
    public const string PgVariable = "INFRAGUARD_TEST_PG";

    private readonly string _owner;
    private readonly string _schema;
    private readonly Dictionary<string, string> _env;

    private ReplicaCluster(string owner, IReadOnlyDictionary<string, string>? settings)
    {
        _owner = owner;
        _schema = "r_" + Guid.NewGuid().ToString("N");
        using (var c = new NpgsqlConnection(owner))
        {
            c.Execute($"CREATE SCHEMA {_schema}");
        }

        Root = Directory.CreateTempSubdirectory("ig-replicas-").FullName;
        Db = new NpgsqlConnectionStringBuilder(owner) { SearchPath = _schema }.ToString();
        KeyFile = Path.Combine(Root, "audit-key.pem");
        AuditKeyFile.Create(KeyFile).Dispose();
        PolicyDir = SampleRequests.PolicyWithoutAttestation(Path.Combine(Root, "policy"));
        _env = new Dictionary<string, string>
        {
            ["INFRAGUARD_DB"] = Db,
            ["INFRAGUARD_KEY_FILE"] = KeyFile,
            ["INFRAGUARD_POLICY"] = PolicyDir,
            ["HOME"] = Root,
            ["INFRAGUARD_SERVER__LEADERCHECKMILLISECONDS"] = "200",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            _env[k] = v;
        }
    }

    public string Root { get; }

    /// <summary>The Npgsql connection string of the shared schema.</summary>
    public string Db { get; }

    public string KeyFile { get; }

    public string PolicyDir { get; }

    public List<Replica> Replicas { get; } = [];

    /// <summary>The harness's own handle on the shared store (tokens, checks).</summary>
    public ChangeStore Store { get; private set; } = null!;

    /// <summary>Starts <paramref name="count"/> replicas: the first alone (it migrates the fresh schema), then the rest together.</summary>
    public static async Task<ReplicaCluster> StartAsync(int count = 3, IReadOnlyDictionary<string, string>? settings = null)
    {
        var pg = Environment.GetEnvironmentVariable(PgVariable);
        if (string.IsNullOrEmpty(pg))
        {
            Assert.Skip($"{PgVariable} is not set; run: eval \"$(bash eng/postgres.sh)\" to run the replica tests against PostgreSQL.");
        }

        var cluster = new ReplicaCluster(DbSpec.ToNpgsql(pg), settings);
        try
        {
            await cluster.StartReplicaAsync("A");
            await Task.WhenAll(Enumerable.Range(1, count - 1).Select(i => cluster.StartReplicaAsync(((char)('A' + i)).ToString())));
            cluster.Replicas.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            cluster.Store = ChangeStore.Open(cluster.Db, TimeProvider.System, AuditKeyFile.Resolve(cluster.KeyFile, null));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Replica this[string name] => Replicas.Single(r => r.Name == name);

    public async Task<string> TokenAsync(string identity, string scope) =>
        (await Store.CreateTokenAsync(identity, [scope], null, new PersonRef("admin", "local:admin"))).Token;

    /// <summary>Submits the sample evidence (made distinct by <paramref name="variant"/>) through <paramref name="replica"/>; the new request's id.</summary>
    public static async Task<string> SubmitAsync(Replica replica, string runnerToken, string variant)
    {
        using var runner = replica.Client(runnerToken);
        using var response = await runner.PostAsJsonAsync("/api/v1/requests", SampleRequests.Renamed(SampleRequests.Body("run-" + variant, variant: variant), "orders-db-" + variant), ServerJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Core.Runs.Submission>(ServerJson.Options))!.Request!.Id;
    }

    /// <summary>The replicas that say they lead, after leadership had <paramref name="settle"/> to settle.</summary>
    public async Task<IReadOnlyList<Replica>> LeadersAsync(TimeSpan settle)
    {
        var deadline = DateTime.UtcNow + settle;
        List<Replica> leaders;
        do
        {
            leaders = [];
            foreach (var r in Replicas)
            {
                if (await r.IsLeaderAsync())
                {
                    leaders.Add(r);
                }
            }

            if (leaders.Count == 1)
            {
                return leaders;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        return leaders;
    }

    /// <summary>Every replica's stderr, for assertion messages.</summary>
    public string Logs() => string.Join("\n", Replicas.Select(r => $"--- {r.Name} ({r.Url}) ---\n{r.Run.Error}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var r in Replicas)
        {
            r.Kill();
        }

        Store?.Dispose();
        NpgsqlConnection.ClearAllPools();
        await using (var c = new NpgsqlConnection(_owner))
        {
            await c.ExecuteAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans temp folders.
        }
    }

    private async Task StartReplicaAsync(string name)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var url = $"http://127.0.0.1:{port}";
        var run = ProcessRun.StartInfraGuard(["serve", "--urls", url], Root, _env);
        var replica = new Replica(name, url, run);
        lock (Replicas)
        {
            Replicas.Add(replica);
        }

        using var client = replica.Client();
        for (var i = 0; i < 600; i++)
        {
            Assert.False(run.Process.HasExited, $"replica {name} exited: {run.Error}");
            try
            {
                using var ready = await client.GetAsync("/readyz");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"replica {name} never became ready: {run.Error}");
    }
}
