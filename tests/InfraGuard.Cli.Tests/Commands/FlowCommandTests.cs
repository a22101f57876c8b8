using InfraGuard.Core.Changes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Cli.Tests.Commands;

/// <summary><c>infraguard delegate</c> and <c>infraguard reviews</c> against a local store, with the default pack's example people.</summary>
public sealed class FlowCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ig-flow-cmd-").FullName;

    private string Db => Path.Combine(_root, "store", "infraguard.db");

    private string KeyFile => Path.Combine(_root, "keys", "audit-key.pem");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Delegate_ToSelfThenToBobThenRevokedByAnOutsider_RefusedGrantedRefused()
    {
        var self = await RunAsync("github:alice-example", "delegate", "--to", "alice@example.com", "--until", "7d");
        var granted = await RunAsync("github:alice-example", "delegate", "--to", "bob", "--until", "2026-11-30", "--reason", "on leave");
        var id = granted.Out.Trim();
        var listedForBob = await RunAsync("github:bob-example", "delegate", "list");
        var byCarol = await RunAsync("github:carol-example", "delegate", "revoke", id);
        var byAlice = await RunAsync("github:alice-example", "delegate", "revoke", id);
        var listedAfter = await RunAsync("github:bob-example", "delegate", "list");

        Assert.Equal(ExitCodes.Refused, self.ExitCode);
        Assert.Contains("self-delegation", self.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, granted.ExitCode);
        Assert.StartsWith("dl_", id, StringComparison.Ordinal);
        Assert.Equal($"{id}\tactive\talice\tbob\t2026-11-25T02:00:00.000Z\t2026-11-30T00:00:00.000Z", listedForBob.Out.Trim());
        Assert.Equal(ExitCodes.Refused, byCarol.ExitCode);
        Assert.Equal(ExitCodes.Ok, byAlice.ExitCode);
        Assert.Contains("\trevoked\t", listedAfter.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReviewsOverdue_BreakGlassPastItsWindow_Exit8UntilAnIndependentReviewerRecordsIt()
    {
        string id;
        using (var signer = AuditKeyFile.Create(KeyFile))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Db)!);
            var time = new FakeTimeProvider(Cli.Now.AddDays(-2));
            using var store = ChangeStore.Open(Db, time, signer);
            id = (await store.CreateAsync(Request(), TestContext.Current.CancellationToken)).Request.Id;
            var now = time.GetUtcNow();
            var used = await store.BreakGlassAsync(new BreakGlassUse(id, new PersonRef("alice", "github:alice-example"), "INC-3", "orders db down, failing over", "production", now, now.AddDays(1), 1), TestContext.Current.CancellationToken);
            Assert.True(used.Succeeded);
        }

        var overdue = await RunAsync("github:carol-example", "reviews", "overdue");
        var byBreaker = await RunAsync("github:alice-example", "reviews", "record", id, "--reason", "I did it and it was fine");
        var byBob = await RunAsync("github:bob-example", "reviews", "record", id, "--reason", "failover was the right call");
        var after = await RunAsync("github:carol-example", "reviews", "overdue");

        Assert.Equal(ExitCodes.ReviewsOverdue, overdue.ExitCode);
        Assert.StartsWith(id + "\tproduction\tdue 2026-11-24T02:00:00.000Z\t0/1 reviews\tby alice\tincident INC-3", overdue.Out, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Refused, byBreaker.ExitCode);
        Assert.Contains("You broke the glass", byBreaker.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, byBob.ExitCode);
        Assert.Equal(ExitCodes.Ok, after.ExitCode);
        Assert.Equal(string.Empty, after.Out);
    }

    private Task<CliResult> RunAsync(string identity, params string[] args) => Cli.RunAsync(args, new Dictionary<string, string>
    {
        ["HOME"] = _root,
        ["INFRAGUARD_DB"] = Db,
        ["INFRAGUARD_KEY_FILE"] = KeyFile,
        ["INFRAGUARD_IDENTITY"] = identity,
    }, _root);

    private static NewChangeRequest Request() => new()
    {
        Stack = "prod",
        Project = "shop",
        Requester = new PersonRef("deploy-bot", "github:example-deploy-bot[bot]"),
        ActorKind = ActorKind.Pipeline,
        CommitAuthors = ["carol"],
        PlanHash = new string('a', 64),
        StateFingerprint = new string('f', 64),
        PolicyPackHash = new string('e', 64),
        Assessment = new Assessment
        {
            Tier = "production",
            Decision = Decision.Review,
            Score = 100,
            ReviewAt = 40,
            BlockAt = 400,
            ActorKind = ActorKind.Pipeline,
            Approvals = new ApprovalRequirement(1, ["group:sre-leads"], TimeSpan.FromHours(4)),
            Findings = [new Finding("stateful-delete", "urn:pulumi:prod::shop::aws:rds/instance:Instance::orders", "aws:rds/instance:Instance", ChangeOp.Delete, null, null, null, 100, "deletes a database")],
        },
        Artifacts = [(ArtifactKind.SavedPlan, "{}"u8.ToArray())],
    };
}
