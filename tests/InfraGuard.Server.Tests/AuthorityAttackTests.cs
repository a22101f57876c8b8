using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Server.Tests;

/// <summary>
/// Issue 14's attacks, each from the pipeline's side, through the real <c>infraguard</c> runner process against a
/// real <c>infraguard serve</c> process on loopback (tokens made with the real <c>infraguard tokens create</c>). The
/// runner's environment holds a runner token and nothing else: no store, no key.
/// </summary>
public sealed class AuthorityAttackTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ig-attack-").FullName;
    private ProcessRun? _server;
    private string _url = "";

    private string ServerHome => Path.Combine(_root, "server");

    private string RunnerHome => Path.Combine(_root, "runner");

    private Dictionary<string, string> ServerEnv => new()
    {
        ["HOME"] = ServerHome,
        ["INFRAGUARD_DB"] = Path.Combine(ServerHome, "infraguard.db"),
        ["INFRAGUARD_KEY_FILE"] = Path.Combine(ServerHome, "keys", "audit-key.pem"),
    };

    public ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(ServerHome);
        Directory.CreateDirectory(RunnerHome);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { Process.HasExited: false } server)
        {
            server.Process.Kill(entireProcessTree: true);
            await server.Process.WaitForExitAsync();
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A lingering handle; the OS cleans temp folders.
        }
    }

    [Fact]
    public async Task UpServer_PipelineWithOnlyARunnerToken_CompletesGuardedRunWithServerIssuedCrossGuardTokens()
    {
        await StartServerAsync(policy: null);
        var runner = await TokenAsync("ci:deploy-dev", "runner");
        var pack = Repo.File("policy-packs", "crossguard");

        // INFRAGUARD_AUDIT_KEY holds garbage: were the runner to read it, it would fail.
        var up = await RunnerAsync(["up", "--stack", "dev", "--server", _url, "--policy-pack", pack], "synthetic-dev-scale-down", runner, ("INFRAGUARD_AUDIT_KEY", "not-a-key"));

        Assert.True(up.ExitCode == 0, up.Error);
        Assert.StartsWith("applied cr_", up.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(RunnerHome, ".config", "infraguard")), "the runner created or read no key");
        var calls = StandInCalls();
        string? Token(string command) => (string?)calls.Single(c => (string)c["argv"]![0]! == command)["env"]?["INFRAGUARD_APPROVAL_TOKEN"];
        var keys = ServerKeys();
        var id = up.Out.Split(' ')[1].Trim();
        var request = await GetAsync(await TokenAsync("github:audrey", "auditor"), id);
        var apply = ApprovalToken.Verify(Token("up")!, keys.Token, new("dev", request.PlanHash, ApprovalPurpose.Apply), DateTimeOffset.UtcNow);
        Assert.True(apply.IsValid, apply.Detail);
        Assert.Equal(id, apply.Claims!.RequestId);
        Assert.True(ApprovalToken.Verify(Token("preview")!, keys.Token, new("dev", null, ApprovalPurpose.Preview), DateTimeOffset.UtcNow).IsValid);
        Assert.False(ApprovalToken.Verify(Token("up")!, keys.Audit, new("dev", request.PlanHash, ApprovalPurpose.Apply), DateTimeOffset.UtcNow).IsValid, "the audit key signs no tokens");
        var audit = await AuditAsync();
        Assert.Equal(2, audit.Count(e => e.Kind == "grant.issued"));
        Assert.DoesNotContain(audit, e => e.Payload.Contains(Token("up")!, StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Kind == "request.state-changed" && e.Payload.Contains("allowed by policy", StringComparison.Ordinal));
        Assert.Equal(RequestState.Applied, request.State);
    }

    [Fact]
    public async Task Grants_BeforeApprovalOrForAnotherRunner_Refused()
    {
        await StartServerAsync(SampleRequests.PolicyWithoutAttestation(Path.Combine(_root, "policy")));
        var runner = await TokenAsync("ci:deploy-prod", "runner");
        var other = await TokenAsync("ci:other-pipeline", "runner");
        var alice = await TokenAsync("slack:U0EXAMPLEA", "approver");
        var id = await SubmitAsync(runner, SampleRequests.Body());

        using var early = await Client(runner).PostAsync($"/api/v1/requests/{id}/grants", null, TestContext.Current.CancellationToken);
        using (var approve = await Client(alice).PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "restored from snapshot, safe to drop"), ServerJson.Options, TestContext.Current.CancellationToken))
        {
            approve.EnsureSuccessStatusCode();
        }

        using var stolen = await Client(other).PostAsync($"/api/v1/requests/{id}/grants", null, TestContext.Current.CancellationToken);
        using var applyByOther = await Client(other).PostAsJsonAsync($"/api/v1/requests/{id}/transitions", new TransitionBody(RequestState.Applying, "let me"), ServerJson.Options, TestContext.Current.CancellationToken);
        using var planByOther = await Client(other).GetAsync($"/api/v1/requests/{id}/artifacts/saved-plan", TestContext.Current.CancellationToken);
        using var own = await Client(runner).PostAsync($"/api/v1/requests/{id}/grants", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("not-approved", await early.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, applyByOther.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, planByOther.StatusCode);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var grant = (await own.Content.ReadFromJsonAsync<GrantView>(ServerJson.Options, TestContext.Current.CancellationToken))!;
        var claims = ApprovalToken.Verify(grant.Token, ServerKeys().Token, new("prod", null, ApprovalPurpose.Apply), DateTimeOffset.UtcNow);
        Assert.True(claims.IsValid, claims.Detail);
        Assert.InRange(grant.ExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(13), TimeSpan.FromMinutes(15));
        var audit = await AuditAsync();
        var issued = Assert.Single(audit, e => e.Kind == "grant.issued");
        Assert.Contains(grant.TokenId, issued.Payload, StringComparison.Ordinal);
        Assert.Contains("ci:deploy-prod", issued.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_PolicyLyingBodyAndNamedRequester_ServerRescoresAndKeepsTheCredentialsRequester()
    {
        await StartServerAsync(SampleRequests.PolicyWithoutAttestation(Path.Combine(_root, "policy")));
        var aliceRunner = await TokenAsync("github:alice-example", "runner");
        var alice = await TokenAsync("slack:U0EXAMPLEA", "approver");
        var dave = await TokenAsync("github:dave-example", "approver");

        // The review's F2 and F3 bodies: an assessment that asks for one approval from anyone for ten years, and
        // someone else named as the requester. The server reads neither.
        var body = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(SampleRequests.Body(), ServerJson.Options))!.AsObject();
        body["requester"] = new JsonObject { ["personId"] = "carol", ["rawIdentity"] = "github:carol-example" };
        body["assessment"] = new JsonObject { ["tier"] = "development", ["decision"] = "allow", ["score"] = 0, ["approvals"] = new JsonObject { ["count"] = 1, ["from"] = new JsonArray(), ["expiresAfter"] = "3650.00:00:00" } };
        body["planHash"] = new string('0', 64);
        using var response = await Client(aliceRunner).PostAsync("/api/v1/requests", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var submission = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var id = (string)submission["request"]!["id"]!;

        using var byOutsider = await Client(dave).PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "looks fine to me"), ServerJson.Options, TestContext.Current.CancellationToken);
        using var bySelf = await Client(alice).PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "approving my own change"), ServerJson.Options, TestContext.Current.CancellationToken);

        var request = await GetAsync(alice, id);
        Assert.Equal("production", request.Tier);
        Assert.Equal(["group:sre-leads"], request.RequiredApprovals.From);
        Assert.Equal(TimeSpan.FromHours(4), request.ExpiresAt - request.CreatedAt);
        Assert.NotEqual(new string('0', 64), request.PlanHash);
        Assert.Equal("github:alice-example", request.Requester.RawIdentity);
        Assert.Equal("alice", request.Requester.PersonId);
        Assert.Equal(HttpStatusCode.Forbidden, byOutsider.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, bySelf.StatusCode);
        Assert.Contains("requested", await bySelf.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, request.State);
        var submitted = Assert.Single(await AuditAsync(), e => e.Kind == "plan.submitted");
        var payload = JsonNode.Parse(submitted.Payload)!;
        Assert.Equal("github:alice-example", (string?)payload["requester"]!["identity"]);
        Assert.Equal("github:alice-example", (string?)payload["submitted_by"]);
        Assert.False((bool)payload["attested"]!);
    }

    [Fact]
    public async Task UpServer_HarmlessLogCarryingDestructivePlan_RefusedAndNothingStored()
    {
        await StartServerAsync(policy: null);
        var runner = await TokenAsync("ci:deploy-dev", "runner");
        var scenario = Directory.CreateDirectory(Path.Combine(_root, "lying-scenario")).FullName;
        foreach (var file in Directory.GetFiles(StandInPulumi.Scenario("synthetic-dev-scale-down")))
        {
            File.Copy(file, Path.Combine(scenario, Path.GetFileName(file)));
        }

        // The event log says "update instanceClass"; the saved plan the stand-in writes deletes the database.
        var planPath = Path.Combine(scenario, "plan.json");
        await File.WriteAllTextAsync(planPath, (await File.ReadAllTextAsync(planPath, TestContext.Current.CancellationToken)).Replace("\"update\"", "\"delete\"", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var up = await RunnerAsync(["up", "--stack", "dev", "--server", _url], scenario, runner);

        Assert.Equal(65, up.ExitCode);
        Assert.Contains("plan would delete", up.Error, StringComparison.Ordinal);
        Assert.Contains("does not match the engine output", up.Error, StringComparison.Ordinal);
        Assert.Empty(await RequestsAsync());
        Assert.DoesNotContain(StandInCalls(), c => (string)c["argv"]![0]! == "up");
    }

    [Fact]
    public async Task UpServer_StaticTokenOnProduction_BlockedAsUnattested()
    {
        await StartServerAsync(policy: null);
        var runner = await TokenAsync("ci:deploy-prod", "runner");

        var up = await RunnerAsync(["up", "--stack", "prod", "--server", _url], "synthetic-rds-scale-down", runner);

        Assert.Equal(3, up.ExitCode);
        Assert.Contains("requires an attested requester", up.Error, StringComparison.Ordinal);
        Assert.Empty(await RequestsAsync());
        var scored = Assert.Single(await AuditAsync(), e => e.Kind == "risk.scored");
        Assert.Contains("\"attested\":false", scored.Payload, StringComparison.Ordinal);
        Assert.DoesNotContain(StandInCalls(), c => (string)c["argv"]![0]! == "up");
    }

    [Fact]
    public async Task UpLocal_ProductionTier_RefusedBeforeAnyEngineCall()
    {
        var up = await RunnerAsync(["up", "--stack", "prod"], "synthetic-rds-scale-down", runnerToken: null);

        Assert.Equal(64, up.ExitCode);
        Assert.Contains("requires an approval server", up.Error, StringComparison.Ordinal);
        Assert.Contains("--server", up.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(StandInCalls(), c => (string)c["argv"]![0]! is "preview" or "up");
    }

    [Fact]
    public async Task UpServer_LocalPolicyOrKeyGiven_UsageErrorNamingWhy()
    {
        var up = await RunnerAsync(["up", "--stack", "dev", "--server", "http://127.0.0.1:9", "--policy", Repo.File("policy-packs", "infraguard")], "synthetic-dev-scale-down", "igt_x");

        Assert.Equal(64, up.ExitCode);
        Assert.Contains("server scores every change with its own policy pack", up.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpLocal_StateEditedToApprovedWithoutDecision_RefusedAndNothingApplied()
    {
        var policy = Directory.CreateDirectory(Path.Combine(_root, "local-policy")).FullName;
        await File.WriteAllTextAsync(Path.Combine(policy, "policy.yaml"), (await File.ReadAllTextAsync(Repo.File("policy-packs", "infraguard", "policy.yaml"), TestContext.Current.CancellationToken))
            .Replace("require-server: true", "require-server: false", StringComparison.Ordinal)
            .Replace("require-attested-requester: true", "require-attested-requester: false", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var db = Path.Combine(RunnerHome, "store.db");
        (string, string)[] local = [("INFRAGUARD_DB", db), ("INFRAGUARD_POLICY", policy)];
        var first = await RunnerAsync(["up", "--stack", "prod", "--wait", "1s"], "synthetic-rds-scale-down", null, local);
        Assert.Equal(5, first.ExitCode);

        // Whoever can write the database moves the request to approved; the signed log has no decision for it.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}"))
        {
            connection.Open();
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE change_request SET state = 'Approved'";
            Assert.Equal(1, update.ExecuteNonQuery());
        }

        var second = await RunnerAsync(["up", "--stack", "prod", "--wait", "1s"], "synthetic-rds-scale-down", null, local);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains("audit log holds no signed decision approving", second.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(StandInCalls(), c => (string)c["argv"]![0]! == "up");
    }

    private async Task StartServerAsync(string? policy)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _url = $"http://127.0.0.1:{port}";
        var env = ServerEnv;
        if (policy is not null)
        {
            env["INFRAGUARD_POLICY"] = policy;
        }

        _server = Start(["serve", "--urls", _url], ServerHome, env);
        using var probeClient = new HttpClient { BaseAddress = new Uri(_url) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var health = await probeClient.GetAsync("/healthz", TestContext.Current.CancellationToken);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                Assert.False(_server.Process.HasExited, "infraguard serve exited: " + _server.Error);
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        throw new TimeoutException("infraguard serve did not answer /healthz: " + _server.Error);
    }

    private async Task<string> TokenAsync(string identity, string scope)
    {
        var run = await Start(["tokens", "create", "--identity", identity, "--scope", scope], ServerHome, ServerEnv).WaitAsync();
        Assert.True(run.ExitCode == 0, run.Error);
        return run.Out.Trim();
    }

    private async Task<ProcessRun> RunnerAsync(string[] args, string scenario, string? runnerToken, params (string Key, string Value)[] extra)
    {
        var project = Directory.CreateDirectory(Path.Combine(RunnerHome, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n", TestContext.Current.CancellationToken);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["HOME"] = RunnerHome,
            ["STANDIN_SCENARIO"] = Path.IsPathRooted(scenario) ? scenario : StandInPulumi.Scenario(scenario),
            ["STANDIN_RECORD"] = Path.Combine(_root, "pulumi-calls.jsonl"),
            ["STANDIN_STATE"] = Path.Combine(_root, "state.json"),
            ["INFRAGUARD_REQUESTER"] = "github:carol-example",
            ["NO_COLOR"] = "1",
        };
        if (runnerToken is not null)
        {
            env["INFRAGUARD_TOKEN"] = runnerToken;
        }

        foreach (var (k, v) in extra)
        {
            env[k] = v;
        }

        return await Start(args, project, env).WaitAsync(120);
    }

    private List<JsonObject> StandInCalls()
    {
        var file = Path.Combine(_root, "pulumi-calls.jsonl");
        return !File.Exists(file) ? [] : [.. File.ReadAllLines(file).Select(l => JsonNode.Parse(l)!.AsObject()).Where(c => (string?)c["event"] == "started")];
    }

    private (ApprovalKeyRing Token, ApprovalKeyRing Audit) ServerKeys()
    {
        using var token = AuditKeyFile.Load(Path.Combine(ServerHome, "keys", "token-key.pem"));
        using var audit = AuditKeyFile.Load(Path.Combine(ServerHome, "keys", "audit-key.pem"));
        return (ApprovalKeyRing.FromPublicKeys([token.PublicKey]), ApprovalKeyRing.FromPublicKeys([audit.PublicKey]));
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<string> SubmitAsync(string runnerToken, SubmitBody body)
    {
        using var response = await Client(runnerToken).PostAsJsonAsync("/api/v1/requests", body, ServerJson.Options, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return (await response.Content.ReadFromJsonAsync<Core.Runs.Submission>(ServerJson.Options, TestContext.Current.CancellationToken))!.Request!.Id;
    }

    private async Task<ChangeRequest> GetAsync(string token, string id) =>
        (await Client(token).GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}", ServerJson.Options, TestContext.Current.CancellationToken))!.Request;

    private async Task<IReadOnlyList<ChangeRequest>> RequestsAsync() =>
        (await Client(await TokenAsync("github:audrey", "auditor")).GetFromJsonAsync<RequestList>("/api/v1/requests", ServerJson.Options, TestContext.Current.CancellationToken))!.Requests;

    private async Task<IReadOnlyList<AuditEntryView>> AuditAsync() =>
        (await Client(await TokenAsync("github:audrey", "auditor")).GetFromJsonAsync<AuditEntryList>("/api/v1/audit/entries", ServerJson.Options, TestContext.Current.CancellationToken))!.Entries;

    private static ProcessRun Start(string[] args, string cwd, IReadOnlyDictionary<string, string> env) => ProcessRun.StartInfraGuard(args, cwd, env);
}
