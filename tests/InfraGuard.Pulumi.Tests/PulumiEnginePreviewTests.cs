using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests;

public class PulumiEnginePreviewTests
{
    [Fact]
    public async Task PreviewAsync_Success_RunsExactArgvWithDebugCommands()
    {
        using var session = new StandInSession();
        var reader = new CapturingReader();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System, reader.Read);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        var started = Assert.Single(session.Records(), r => (string?)r["event"] == "started");
        var argv = started["argv"]!.AsArray().Select(a => (string)a!).ToArray();
        var eventLog = argv[Array.IndexOf(argv, "--event-log") + 1];
        var plan = argv[Array.IndexOf(argv, "--save-plan") + 1];
        Assert.Equal(
            ["preview", "--non-interactive", "--stack", "prod", "--color=never", "--event-log", eventLog, "--save-plan", plan],
            argv);
        Assert.Equal("true", (string?)started["env"]!["PULUMI_DEBUG_COMMANDS"]);
        Assert.Equal(session.Folder, (string?)started["cwd"]);
        Assert.StartsWith(session.Folder, eventLog, StringComparison.Ordinal);
        Assert.Equal(Path.GetDirectoryName(eventLog), Path.GetDirectoryName(plan));
        Assert.False(Directory.Exists(Path.GetDirectoryName(eventLog)), "the private temp folder is deleted after the run");
        Assert.True(result.Succeeded);
        Assert.Equal("", result.Diagnostics);
        Assert.Equal(EngineStop.None, result.Stopped);
    }

    [Fact]
    public async Task PreviewAsync_Success_ReadsEventLogAndReturnsSavedPlanWithHash()
    {
        using var session = new StandInSession();
        var reader = new CapturingReader();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System, reader.Read);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        var expectedPlan = File.ReadAllBytes(Path.Combine(session.ScenarioFolder, "plan.json"));
        Assert.Equal(expectedPlan, result.Plan);
        Assert.Equal(PlanFingerprint.Compute(expectedPlan), result.PlanHash);
        Assert.Equal(File.ReadAllBytes(Path.Combine(session.ScenarioFolder, "preview.jsonl")), reader.Bytes);
        Assert.Same(reader.Result, result.Changes);
    }

    [Fact]
    public async Task PreviewAsync_ScenarioWithoutPlan_ReturnsRealFixturePlanByteForByte()
    {
        var fixturePlan = Repo.Fixture("pulumi", "plans", "openzfs-new-version-plan.json");
        using var session = new StandInSession(environment: ("STANDIN_PLAN", fixturePlan));
        var scenario = Directory.CreateDirectory(Path.Combine(session.Folder, "scenario-without-plan")).FullName;
        File.Copy(Path.Combine(session.ScenarioFolder, "preview.jsonl"), Path.Combine(scenario, "preview.jsonl"));
        var options = session.Options();
        options = options with { Environment = new Dictionary<string, string?>(options.Environment) { ["STANDIN_SCENARIO"] = scenario } };
        var engine = new PulumiEngine(options, TimeProvider.System, new CapturingReader().Read);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        Assert.Equal(File.ReadAllBytes(fixturePlan), result.Plan);
    }

    [Fact]
    public async Task PreviewAsync_PolicyPacksAndExtraArgs_AppendedInOrder()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options() with { PolicyPacks = ["/packs/infraguard"], PolicyPackConfig = "/packs/config.json" }, TimeProvider.System, new CapturingReader().Read);
        var options = new EngineRunOptions(new Dictionary<string, string> { ["INFRAGUARD_APPROVAL_TOKEN"] = "tok-123" });

        await engine.PreviewAsync(session.Target("--target", "urn:x", "--parallel=4"), options, TestContext.Current.CancellationToken);

        var started = Assert.Single(session.Records(), r => (string?)r["event"] == "started");
        var argv = started["argv"]!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Equal(
            ["--policy-pack", "/packs/infraguard", "--policy-pack-config", "/packs/config.json", "--target", "urn:x", "--parallel=4"],
            argv[9..]);
        Assert.Equal("tok-123", (string?)started["env"]!["INFRAGUARD_APPROVAL_TOKEN"]);
    }

    [Theory]
    [InlineData("--skip-preview")]
    [InlineData("--show-secrets")]
    [InlineData("-y")]
    public async Task PreviewAsync_RefusedExtraArgument_ThrowsBeforeRunning(string argument)
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System, new CapturingReader().Read);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.PreviewAsync(session.Target(argument), EngineRunOptions.None, TestContext.Current.CancellationToken));

        Assert.Contains(argument, error.Message, StringComparison.Ordinal);
        Assert.Empty(session.Records());
    }

    [Fact]
    public async Task PreviewAsync_EngineReportsFailure_ResultCarriesErrorDiagnosticsAndNoPlan()
    {
        using var session = new StandInSession("synthetic-protected-delete-fails");
        var reader = new CapturingReader();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System, reader.Read);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Equal(1, result.ExitCode);
        Assert.Empty(result.Plan);
        Assert.Equal("", result.PlanHash);
        Assert.Contains("cannot be deleted\n    because it is protected", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("error: preview failed", result.Diagnostics, StringComparison.Ordinal);
        Assert.StartsWith("pulumi preview failed (exit code 1)", result.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewAsync_ForcedFailure_StderrTailShownWithSecretsRedacted()
    {
        using var session = new StandInSession(
            environment: [("STANDIN_FAIL", "preview"), ("STANDIN_STDERR", "debug: db_password=hunter2hunter2 token pul-0123456789abcdef0123456789abcdef01234567 approval tok-SECRET-9")]);
        var engine = new PulumiEngine(session.Options(), TimeProvider.System, new CapturingReader().Read);
        var options = EngineRunOptions.None with { Environment = new Dictionary<string, string> { ["INFRAGUARD_APPROVAL_TOKEN"] = "tok-SECRET-9" } };

        var result = await engine.PreviewAsync(session.Target(), options, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.Contains("Program exited with non-zero exit code: 1", result.Diagnostics, StringComparison.Ordinal);
        Assert.Contains("db_password=[secret]", result.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("pul-0123", result.Diagnostics, StringComparison.Ordinal);
        Assert.DoesNotContain("tok-SECRET-9", result.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FingerprintStateAsync_StateChangedAfterPreview_FingerprintDiffers()
    {
        var stateFile = Path.Combine(Path.GetTempPath(), "standin-state-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            using var session = new StandInSession(environment: [("STANDIN_STATE", stateFile), ("STANDIN_CHANGE_STATE_AFTER_PREVIEW", "1")]);
            var engine = new PulumiEngine(session.Options(), TimeProvider.System, new CapturingReader().Read);
            var ct = TestContext.Current.CancellationToken;

            var before = await engine.FingerprintStateAsync(session.Target(), ct);
            var again = await engine.FingerprintStateAsync(session.Target(), ct);
            await engine.PreviewAsync(session.Target(), EngineRunOptions.None, ct);
            var after = await engine.FingerprintStateAsync(session.Target(), ct);

            Assert.Equal(before, again);
            Assert.NotEqual(before, after);
            Assert.Equal(StateFingerprint.Compute(File.ReadAllBytes(Path.Combine(session.ScenarioFolder, "state.json"))), before);
            Assert.Equal(["stack", "export", "--non-interactive", "--stack", "prod"], session.Invocations()[0]);
        }
        finally
        {
            File.Delete(stateFile);
        }
    }

    /// <summary>Stands in for the event-log reader (another branch): keeps the bytes it was given and returns a marker change set.</summary>
    private sealed class CapturingReader
    {
        public byte[] Bytes { get; private set; } = [];

        public ChangeSet Result { get; } = new()
        {
            Engine = EngineKind.Pulumi,
            Changes = [],
            Counts = new Dictionary<ChangeOp, int> { [ChangeOp.Update] = 1 },
            Complete = true,
        };

        public ChangeSet Read(Stream stream, string sourceName)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            Bytes = copy.ToArray();
            return Result;
        }
    }
}
