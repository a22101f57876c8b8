using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;

namespace InfraGuard.Server.Tests;

/// <summary>
/// <c>infraguard up --break-glass</c> as a real process against a real server and the stand-in pulumi: the server takes
/// the person from the credential, never from the runner, and refuses (exit 77, nothing applied) anyone outside the
/// tier's break-glass group; a member applies at once and opens a retrospective review.
/// </summary>
public class BreakGlassEndToEndTests
{
    [Fact]
    public async Task UpBreakGlass_PersonOutsideGroupNamingAMember_Exit77AndNothingApplied()
    {
        // Attack: carol's credential, with the pipeline naming alice (in the break-glass group) as requester.
        using var world = new ApiWorld();
        var (env, serverEnv) = await EnvironmentAsync(world, ApiWorld.Carol);
        env["INFRAGUARD_REQUESTER"] = "github:alice-example";
        var server = await StartServerAsync(world);
        try
        {
            var up = await RunAsync(["up", "--stack", "prod", "--server", server.Urls.First(), "--break-glass", "--incident", "INC-7", "--reason", "payments down, rolling back"], Project(world), env);

            Assert.True(up.ExitCode == 77, up.Out + up.Error);
            Assert.Contains("not in group:sre-leads", up.Error, StringComparison.Ordinal);
            Assert.Empty(UpCalls(world));
        }
        finally
        {
            await server.DisposeAsync();
        }

        var list = await RunAsync(["audit", "list"], world.Root, serverEnv);
        Assert.Contains(FlowAuditEvents.BreakGlassRefused, list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(FlowAuditEvents.BreakGlassUsed, list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("plan.submitted", list.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpBreakGlass_AgentInTheGroup_Exit77AndNothingApplied()
    {
        using var world = new ApiWorld();
        var (env, _) = await EnvironmentAsync(world, "github:alice-example");
        env["INFRAGUARD_ACTOR_KIND"] = "agent";
        var server = await StartServerAsync(world);
        try
        {
            var up = await RunAsync(["up", "--stack", "prod", "--server", server.Urls.First(), "--break-glass", "--incident", "INC-8", "--reason", "the agent thinks it is urgent"], Project(world), env);

            Assert.True(up.ExitCode == 77, up.Out + up.Error);
            Assert.Contains("agent cannot break the glass", up.Error, StringComparison.Ordinal);
            Assert.Empty(UpCalls(world));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task UpBreakGlass_MemberOfTheGroup_AppliesWithoutWaitingAndOpensTheReview()
    {
        using var world = new ApiWorld();
        var (env, serverEnv) = await EnvironmentAsync(world, "github:alice-example");
        var server = await StartServerAsync(world);
        try
        {
            var up = await RunAsync(["up", "--stack", "prod", "--server", server.Urls.First(), "--break-glass", "--incident", "INC-9", "--reason", "orders database is down, failing over"], Project(world), env);

            Assert.True(up.ExitCode == 0, up.Out + up.Error);
            Assert.StartsWith("applied ", up.Out, StringComparison.Ordinal);
            Assert.Single(UpCalls(world));
        }
        finally
        {
            await server.DisposeAsync();
        }

        var list = await RunAsync(["audit", "list"], world.Root, serverEnv);
        Assert.Contains(FlowAuditEvents.BreakGlassUsed, list.Out, StringComparison.Ordinal);
        Assert.Contains("deploy.completed", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("approval.granted", list.Out, StringComparison.Ordinal);
        var verify = await RunAsync(["audit", "verify"], world.Root, serverEnv);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
        var overdue = await RunAsync(["reviews", "overdue"], world.Root, serverEnv);
        Assert.True(overdue.ExitCode == 0, overdue.Out + overdue.Error);
        Assert.Contains("No break-glass review is overdue", overdue.Error, StringComparison.Ordinal);
    }

    private static async Task<(Dictionary<string, string> Env, Dictionary<string, string> ServerEnv)> EnvironmentAsync(ApiWorld world, string identity)
    {
        var project = Directory.CreateDirectory(Path.Combine(world.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n", TestContext.Current.CancellationToken);
        var serverEnv = new Dictionary<string, string> { ["INFRAGUARD_DB"] = world.Db, ["INFRAGUARD_KEY_FILE"] = world.KeyFile, ["HOME"] = world.Root };
        var token = (await RunAsync(["tokens", "create", "--identity", identity, "--scope", "runner"], world.Root, serverEnv)).Out.Trim();
        return (new Dictionary<string, string>
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["HOME"] = world.Root,
            ["STANDIN_SCENARIO"] = StandInPulumi.Scenario("synthetic-prod-db-delete"),
            ["STANDIN_RECORD"] = Path.Combine(world.Root, "pulumi-calls.jsonl"),
            ["STANDIN_STATE"] = Path.Combine(world.Root, "state.json"),
            ["INFRAGUARD_TOKEN"] = token,
            ["NO_COLOR"] = "1",
        }, serverEnv);
    }

    private static string Project(ApiWorld world) => Path.Combine(world.Root, "project");

    /// <summary>The stand-in's <c>pulumi up</c> invocations: none means nothing was applied.</summary>
    private static List<string> UpCalls(ApiWorld world)
    {
        var file = Path.Combine(world.Root, "pulumi-calls.jsonl");
        return !File.Exists(file)
            ? []
            : [.. File.ReadAllLines(file)
                .Select(l => JsonNode.Parse(l)!)
                .Where(c => (string?)c["event"] == "started" && c["argv"]!.AsArray().FirstOrDefault() is { } first && (string?)first == "up")
                .Select(c => c.ToJsonString())];
    }

    private static async Task<WebApplication> StartServerAsync(ApiWorld world)
    {
        var app = ServerApp.Build(["--urls=http://127.0.0.1:0"], new Dictionary<string, string?>
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
        var proc = ProcessRun.StartInfraGuard(args, cwd, env);
        await proc.WaitAsync(120);
        return proc;
    }
}
