using System.Collections.Concurrent;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Pulumi.Tests;

public class PulumiEngineApplyTests
{
    [Fact]
    public async Task ApplyAsync_Success_RunsExactArgvWithPlanAndNoSkipPreview()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);
        var progress = new Lines();

        var result = await engine.ApplyAsync(session.Target(), ScenarioPlan(session), EngineRunOptions.None, progress, TestContext.Current.CancellationToken);

        var argv = Assert.Single(session.Invocations());
        var plan = argv[Array.IndexOf(argv, "--plan") + 1];
        Assert.Equal(["up", "--non-interactive", "--yes", "--stack", "prod", "--color=never", "--plan", plan, "--json"], argv);
        Assert.DoesNotContain("--skip-preview", argv);
        Assert.StartsWith(session.Folder, plan, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(plan)), "the private temp folder is deleted after the run");
        Assert.True(result.Succeeded, result.Diagnostics);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(EngineStop.None, result.Stopped);
    }

    [Fact]
    public async Task ApplyAsync_Success_CountsFromUpdatePhaseSummaryAndProgressLines()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);
        var progress = new Lines();

        var result = await engine.ApplyAsync(session.Target(), ScenarioPlan(session), EngineRunOptions.None, progress, TestContext.Current.CancellationToken);

        Assert.Equal(new Dictionary<ChangeOp, int> { [ChangeOp.Same] = 1, [ChangeOp.Update] = 1 }, result.Counts);
        Assert.Equal(
            [
                "Checking the approved plan against a fresh preview…",
                "Plan check passed; applying.",
                "update aws:rds/instance:Instance orders-db…",
                "update aws:rds/instance:Instance orders-db: done",
                "Update succeeded: 1 same, 1 update.",
            ],
            progress.All);
    }

    [Fact]
    public async Task ApplyAsync_PlanDiffersFromSaved_FailsInPreviewPhaseWithoutUpdate()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);
        var progress = new Lines();
        var tampered = "{\"manifest\":{}}"u8.ToArray();

        var result = await engine.ApplyAsync(session.Target(), tampered, EngineRunOptions.None, progress, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Counts);
        Assert.Contains("violates plan", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("Plan check failed: nothing was changed.", progress.All);
        Assert.DoesNotContain(progress.All, l => l.StartsWith("update ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyAsync_EngineFails_ResultWithDiagnostics()
    {
        using var session = new StandInSession(environment: [("STANDIN_FAIL", "up"), ("STANDIN_STDERR", "password: swordfish99")]);
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var result = await engine.ApplyAsync(session.Target(), ScenarioPlan(session), EngineRunOptions.None, new Lines(), TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("pulumi up failed (exit code 1)", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("Program exited with non-zero exit code: 1", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("error: update failed", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("password: [secret]", result.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("swordfish99", result.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_Cancelled_ForwardsInterruptAndStandInCancelsGracefully()
    {
        using var session = new StandInSession(environment: ("STANDIN_HANG", "up"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        var apply = engine.ApplyAsync(session.Target(), ScenarioPlan(session), EngineRunOptions.None, new Lines(), interrupt.Token);
        await session.WaitForRecordAsync("waiting", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await interrupt.CancelAsync();
        var result = await apply.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Contains(session.Records(), r => (string?)r["event"] == "interrupted");
        Assert.Equal(EngineStop.Interrupted, result.Stopped);
        Assert.False(result.Succeeded);
        Assert.Equal(255, result.ExitCode);
        Assert.Contains("update canceled", result.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_TimeoutPasses_InterruptsAndReportsTimedOut()
    {
        using var session = new StandInSession(environment: ("STANDIN_HANG", "up"));
        var time = new FakeTimeProvider();
        var engine = new PulumiEngine(session.Options(timeout: TimeSpan.FromMinutes(30)), time);

        var apply = engine.ApplyAsync(session.Target(), ScenarioPlan(session), EngineRunOptions.None, new Lines(), TestContext.Current.CancellationToken);
        await session.WaitForRecordAsync("waiting", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMinutes(30));
        var result = await apply.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(EngineStop.TimedOut, result.Stopped);
        Assert.Contains(session.Records(), r => (string?)r["event"] == "interrupted");
        Assert.StartsWith("pulumi up timed out, was interrupted and failed", result.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_KillToken_KillsWithoutWaitingForGracefulStop()
    {
        using var session = new StandInSession(environment: ("STANDIN_HANG", "up"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);
        using var kill = new CancellationTokenSource();
        var options = EngineRunOptions.None with { Kill = kill.Token };

        var apply = engine.ApplyAsync(session.Target(), ScenarioPlan(session), options, new Lines(), TestContext.Current.CancellationToken);
        await session.WaitForRecordAsync("waiting", TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await kill.CancelAsync();
        var result = await apply.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(EngineStop.Killed, result.Stopped);
        Assert.Equal(-1, result.ExitCode);
        Assert.DoesNotContain(session.Records(), r => (string?)r["event"] == "interrupted");
    }

    private static byte[] ScenarioPlan(StandInSession session) =>
        File.ReadAllBytes(Path.Combine(session.ScenarioFolder, "plan.json"));

    /// <summary>Collects progress lines synchronously (Progress&lt;T&gt; would post them later).</summary>
    private sealed class Lines : IProgress<string>
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> All => [.. _lines];

        public void Report(string value) => _lines.Enqueue(value);
    }
}
