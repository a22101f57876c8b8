using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Engine;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Pulumi;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Cli.Tests.Commands;

/// <summary>
/// A store filled by real guarded runs (GuardedRun + ChangeAuthority + the Pulumi engine driving the stand-in
/// <c>pulumi</c>) on a fake clock, over four weeks from Monday 2026-11-02, with a fixed audit key so the report's data
/// is reproducible. Production's require-server is off (local mode) and its block-at is 150, so an agent's database
/// delete (weighted ×2) is blocked while a person's is reviewed.
/// </summary>
internal sealed class AuditReportWorld : IDisposable
{
    public const string Alice = "slack:U0EXAMPLEA";
    public const string Bob = "slack:U0EXAMPLEB";
    public const string Carol = "github:carol-example";
    public const string Eve = "github:eve-outsider";
    public const string Agent = "agent:cost-optimiser";

    /// <summary>Written to stderr by the failing apply: must never reach the report.</summary>
    public const string EngineSecret = "hunter2-report-secret";

    /// <summary>The fixtures' secret (the state's ciphertext and its plaintext): must never reach the report.</summary>
    public static readonly string[] FixtureSecrets = ["foobarbaz", "Zm9vYmFyYmF6cXV4", "v1:q0FJ2q9bWm6e1GJ3", EngineSecret];

    private static readonly byte[] Seed = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private readonly PolicyPack _pack;
    private int _runs;

    public AuditReportWorld()
    {
        Root = Directory.CreateTempSubdirectory("ig-report-").FullName;
        Db = Path.Combine(Root, "infraguard.db");
        KeyFile = Path.Combine(Root, "audit-key.pem");
        File.WriteAllText(KeyFile, AuditKeys.PrivateKeyPem(Seed));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var policy = File.ReadAllText(Repo.File("policy-packs", "infraguard", "policy.yaml"))
            .Replace("require-server: true", "require-server: false", StringComparison.Ordinal)
            .Replace("require-attested-requester: true", "require-attested-requester: false", StringComparison.Ordinal)
            .Replace("block-at: 400", "block-at: 150", StringComparison.Ordinal);
        _pack = PolicyPackLoader.Load(policy, "policy.yaml");
        Store = ChangeStore.Open(Db, Time, AuditKeys.ParsePrivateKey(File.ReadAllText(KeyFile)));
    }

    public string Root { get; }

    public string Db { get; }

    public string KeyFile { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 10, 30, 12, 0, 0, TimeSpan.Zero));

    public ChangeStore Store { get; }

    /// <summary>One <c>infraguard up</c> as the CLI runs it, not waiting for a decision.</summary>
    public async Task<GuardedRunResult> UpAsync(string scenario, string stack, string requester, ActorKind actor = ActorKind.Human, string? onBehalfOf = null, params (string Name, string Value)[] environment)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, $"run-{++_runs}")).FullName;
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["STANDIN_SCENARIO"] = StandInPulumi.Scenario(scenario),
            ["STANDIN_STATE"] = Path.Combine(Root, scenario + "-state.json"),
        };
        foreach (var (name, value) in environment)
        {
            env[name] = value;
        }

        var engine = new PulumiEngine(new PulumiEngineOptions { Environment = env, TempRoot = folder }, Time);
        var authority = new ChangeAuthority(_pack, Store, Store, [new PulumiEvidence()], Time, null, new Submitter(requester, requester, Attested: false, ActorKind: actor));
        var run = new GuardedRunRequest(
            new EngineTarget(stack, folder, []),
            EngineRunOptions.None,
            "shop",
            actor,
            null,
            null,
            onBehalfOf,
            [],
            null,
            null,
            Wait: TimeSpan.Zero,
            PollInterval: TimeSpan.FromSeconds(1),
            HeartbeatInterval: TimeSpan.FromMinutes(1));
        return await new GuardedRun(engine, authority, Store, new SilentNotifier(), Time).RunAsync(run, TestContext.Current.CancellationToken);
    }

    public async Task<DeskOutcome> DecideAsync(string id, string identity, Verdict verdict, string reason) =>
        await new ApprovalDesk(Store, Time).DecideAsync(new DecisionAttempt(id, ApprovalDesk.ApproverFor(_pack.Identities, identity), DecisionChannel.Cli, verdict, reason));

    /// <summary>
    /// Four weeks of changes (and one before, one after the period): two applied, one rejected, one blocked, one
    /// expired, one whose apply failed after a late approval; three refused decisions.
    /// </summary>
    public async Task FillAsync()
    {
        const string Delete = "synthetic-prod-db-delete";
        const string ScaleDown = "synthetic-rds-scale-down";
        Time.SetUtcNow(new DateTimeOffset(2026, 10, 30, 12, 0, 0, TimeSpan.Zero)); // before the period
        Expect(RunOutcome.Applied, await UpAsync("synthetic-dev-scale-down", "dev", Carol));

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero)); // week 1
        Expect(RunOutcome.Applied, await UpAsync("synthetic-dev-scale-down", "dev", Carol));
        var deleted = Expect(RunOutcome.Expired, await UpAsync(Delete, "prod", Carol)).Request!.Id;
        Time.Advance(TimeSpan.FromMinutes(3));
        Refused(await DecideAsync(deleted, Carol, Verdict.Approve, "my own change, looks fine to me"));
        Time.Advance(TimeSpan.FromMinutes(9));
        Ok(await DecideAsync(deleted, Alice, Verdict.Approve, "restored from snapshot, safe to drop"));
        Time.Advance(TimeSpan.FromMinutes(2));
        Expect(RunOutcome.Applied, await UpAsync(Delete, "prod", Carol));

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 10, 2, 0, 0, TimeSpan.Zero)); // week 2: the 2 a.m. agent
        var scaled = Expect(RunOutcome.Expired, await UpAsync(ScaleDown, "prod", Agent, ActorKind.Agent, Carol)).Request!.Id;
        Time.Advance(TimeSpan.FromMinutes(20));
        Refused(await DecideAsync(scaled, Carol, Verdict.Approve, "the agent works for me, approve it"));
        Refused(await DecideAsync(scaled, Eve, Verdict.Approve, "not an sre lead but approving anyway"));
        Time.Advance(TimeSpan.FromHours(2));
        Ok(await DecideAsync(scaled, Bob, Verdict.Reject, "peak traffic week, do not downsize the primary"));

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 17, 14, 0, 0, TimeSpan.Zero)); // week 3
        Expect(RunOutcome.Blocked, await UpAsync(Delete, "prod", Agent, ActorKind.Agent, Carol));
        Time.Advance(TimeSpan.FromHours(1));
        Expect(RunOutcome.Expired, await UpAsync(ScaleDown, "prod", Carol));
        Time.Advance(TimeSpan.FromHours(5));
        Expect(RunOutcome.Expired, await UpAsync(ScaleDown, "prod", Carol)); // finds it, past its expiry: expired

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero)); // week 4
        var late = Expect(RunOutcome.Expired, await UpAsync(Delete, "prod", Carol)).Request!.Id;
        Time.Advance(TimeSpan.FromMinutes(230));
        Ok(await DecideAsync(late, Alice, Verdict.Approve, "late but checked: snapshot verified"));
        Time.Advance(TimeSpan.FromMinutes(2));
        Expect(RunOutcome.EngineFailed, await UpAsync(Delete, "prod", Carol, environment: [("STANDIN_FAIL", "up"), ("STANDIN_STDERR", "password=" + EngineSecret)]));

        Time.SetUtcNow(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero)); // after the period
        Expect(RunOutcome.Applied, await UpAsync("synthetic-dev-scale-down", "dev", Carol));
        Time.Advance(TimeSpan.FromHours(1));
    }

    /// <summary>Edits one entry's payload with the triggers dropped, as a database-only attacker would.</summary>
    public async Task TamperAsync(long seq, string from, string to)
    {
        await using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Db, Pooling = false }.ToString());
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET payload = CAST(replace(CAST(payload AS TEXT), $from, $to) AS BLOB) WHERE seq = $seq;";
        cmd.Parameters.AddWithValue("$from", from);
        cmd.Parameters.AddWithValue("$to", to);
        cmd.Parameters.AddWithValue("$seq", seq);
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
    }

    /// <summary><c>infraguard ARGS</c> in-process on this world's clock and store.</summary>
    public async Task<CliResult> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter { NewLine = "\n" };
        using var stderr = new StringWriter { NewLine = "\n" };
        var env = new Dictionary<string, string> { ["INFRAGUARD_DB"] = Db, ["INFRAGUARD_KEY_FILE"] = KeyFile, ["HOME"] = Root };
        var context = new CliContext(stdout, stderr, false, false, name => env.GetValueOrDefault(name), Root, Time);
        var code = await CliApp.RunAsync(args, context, TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    private static GuardedRunResult Expect(RunOutcome outcome, GuardedRunResult result)
    {
        Assert.True(result.Outcome == outcome, $"expected {outcome}, got {result.Outcome}: {result.Message} {result.Diagnostics}");
        return result;
    }

    private static void Ok(DeskOutcome outcome) => Assert.True(outcome.Recorded, outcome.Refusal);

    private static void Refused(DeskOutcome outcome) => Assert.IsType<DecisionRefused>(outcome.Error);

    public void Dispose()
    {
        Store.Dispose();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger for a moment; the OS cleans temp folders.
        }
    }
}
