using System.Net.Http.Headers;
using System.Net.Http.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;

namespace InfraGuard.Server.Tests;

/// <summary>
/// The real <c>infraguard up --server URL</c> process, driving the stand-in pulumi, waiting on a real Kestrel server on
/// a loopback port; approved through the API by another identity. Tokens are made with the real
/// <c>infraguard tokens create</c>, and the log is checked with the real <c>infraguard audit verify</c>.
/// </summary>
public class UpServerEndToEndTests
{
    [Fact]
    public async Task UpServer_ApprovedThroughApiByAnotherIdentity_AppliesAndAuditsTogether()
    {
        using var world = new ApiWorld();
        var project = Directory.CreateDirectory(Path.Combine(world.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n", TestContext.Current.CancellationToken);
        var serverEnv = new Dictionary<string, string> { ["INFRAGUARD_DB"] = world.Db, ["INFRAGUARD_KEY_FILE"] = world.KeyFile, ["HOME"] = world.Root };
        var runnerToken = (await RunAsync(["tokens", "create", "--identity", ApiWorld.Runner, "--scope", "runner"], world.Root, serverEnv)).Out.Trim();
        var aliceToken = (await RunAsync(["tokens", "create", "--identity", ApiWorld.Alice, "--scope", "approver"], world.Root, serverEnv)).Out.Trim();

        var server = await StartServerAsync(world, port: 0);
        var url = server.Urls.First();
        try
        {
            var localDb = Path.Combine(world.Root, "runner-local", "infraguard.db");
            var up = Start(["up", "--stack", "prod", "--server", url], project, new Dictionary<string, string>
            {
                ["PATH"] = StandInPulumi.PathWithStandInFirst(),
                ["HOME"] = world.Root,
                ["STANDIN_SCENARIO"] = StandInPulumi.Scenario("synthetic-prod-db-delete"),
                ["STANDIN_RECORD"] = Path.Combine(world.Root, "pulumi-calls.jsonl"),
                ["STANDIN_STATE"] = Path.Combine(world.Root, "state.json"),
                ["INFRAGUARD_TOKEN"] = runnerToken,
                ["INFRAGUARD_REQUESTER"] = ApiWorld.Carol,
                ["INFRAGUARD_DB"] = localDb,
                ["NO_COLOR"] = "1",
            });
            var id = (await up.WaitForErrorLineAsync("Approval required: change request ")).Split("change request ")[1].Split(' ')[0];

            // The server restarts while the runner waits: same port, same database.
            var port = new Uri(url).Port;
            await server.StopAsync(TestContext.Current.CancellationToken);
            await server.DisposeAsync();
            await Task.Delay(1500, TestContext.Current.CancellationToken);
            server = await StartServerAsync(world, port);

            using var alice = new HttpClient { BaseAddress = new Uri(url) };
            alice.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", aliceToken);
            using var decided = await alice.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "restored from snapshot, safe to drop"), ServerJson.Options, TestContext.Current.CancellationToken);
            await up.WaitAsync(120);

            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            Assert.True(up.ExitCode == 0, up.Error);
            Assert.StartsWith("applied " + id, up.Out, StringComparison.Ordinal);
            Assert.False(File.Exists(localDb), "with --server the runner keeps no local store");
            var view = await alice.GetFromJsonAsync<RequestView>($"/api/v1/requests/{id}", ServerJson.Options, TestContext.Current.CancellationToken);
            Assert.Equal(RequestState.Applied, view!.Request.State);
            Assert.Equal(64, view.Request.PlanHash.Length);
            var decision = Assert.Single(view.Decisions);
            Assert.Equal("alice", decision.Approver.PersonId);
            Assert.Equal("restored from snapshot, safe to drop", decision.Reason);
            Assert.True(view.Outcome!.Succeeded);
            var calls = await File.ReadAllTextAsync(Path.Combine(world.Root, "pulumi-calls.jsonl"), TestContext.Current.CancellationToken);
            Assert.Contains("\"--plan\"", calls, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }

        var verify = await RunAsync(["audit", "verify"], world.Root, serverEnv);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        var list = await RunAsync(["audit", "list"], world.Root, serverEnv);
        foreach (var kind in new[] { "token.created", "plan.submitted", "approval.granted", "deploy.started", "deploy.completed" })
        {
            Assert.Contains(kind, list.Out, StringComparison.Ordinal);
        }
    }

    private static async Task<WebApplication> StartServerAsync(ApiWorld world, int port)
    {
        var app = ServerApp.Build([$"--urls=http://127.0.0.1:{port}"], new Dictionary<string, string?>
        {
            ["Server:Db"] = world.Db,
            ["Server:KeyFile"] = world.KeyFile,
            ["Server:PublicBaseUrl"] = "http://127.0.0.1",
            ["Server:PollMilliseconds"] = "100",
            ["Server:PolicyDir"] = world.PolicyDir,
        });
        await app.StartAsync();
        return app;
    }

    private static async Task<ProcessRun> RunAsync(string[] args, string cwd, IReadOnlyDictionary<string, string> env)
    {
        var proc = Start(args, cwd, env);
        await proc.WaitAsync(60);
        return proc;
    }

    private static ProcessRun Start(string[] args, string cwd, IReadOnlyDictionary<string, string> env) => ProcessRun.StartInfraGuard(args, cwd, env);
}
