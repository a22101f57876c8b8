using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using InfraGuard.Cli.Commands;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Audit.Report;
using static InfraGuard.Cli.Tests.Commands.TestToken;

namespace InfraGuard.Cli.Tests.Commands;

internal static class TestToken
{
    public static CancellationToken CT => TestContext.Current.CancellationToken;
}

/// <summary>The four weeks of <see cref="AuditReportWorld"/>, filled once and reported on by the tests that only read it.</summary>
public sealed class FilledReportWorld : IAsyncLifetime
{
    internal AuditReportWorld World { get; } = new();

    internal CliResult Result { get; private set; } = null!;

    internal string Out => Path.Combine(World.Root, "report");

    public async ValueTask InitializeAsync()
    {
        await World.FillAsync();
        Result = await World.CliAsync("audit", "report", "--from", "2026-11-02", "--to", "2026-11-29", "--out", Out);
    }

    public ValueTask DisposeAsync()
    {
        World.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary><c>infraguard audit report</c> over a store filled by real guarded runs across four weeks.</summary>
public partial class AuditReportTests(FilledReportWorld filled) : IClassFixture<FilledReportWorld>
{
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset End = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Report_FourWeeksOfGuardedRuns_TotalsMatchTheAuditLog()
    {
        var result = filled.Result;
        var report = ReportJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(filled.Out, "report.json"), CT))!;
        var log = await filled.World.Store.ListEntriesAsync(new AuditQuery(Since: Start, Until: End, Limit: 100_000), CT);
        int Count(string kind, string? contains = null) => log.Count(e => e.Kind == kind && (contains is null || Encoding.UTF8.GetString(e.Payload).Contains(contains, StringComparison.Ordinal)));

        Assert.True(result.ExitCode == ExitCodes.Ok, result.Error);
        Assert.Equal(AuditCommand.ReportFiles.Select(f => Path.Combine(filled.Out, f)), result.Out.TrimEnd().Split('\n'));
        Assert.Equal("valid", report.Verification.Status);
        Assert.True(report.Verification.PeriodCoveredByCheckpoint);
        Assert.Equal(log[0].Seq, report.Verification.PeriodFirstSeq);
        Assert.Equal(log[^1].Seq, report.Verification.PeriodLastSeq);
        Assert.Equal(log.Count, report.Verification.PeriodEntries);
        Assert.True(report.Verification.CheckpointCovering!.Size >= log[^1].Seq);
        Assert.True(report.Verification.CheckpointBefore!.Size < log[0].Seq);

        var s = report.Summary;
        Assert.Equal(Count("plan.submitted") + Count("risk.scored"), s.Changes);
        Assert.Equal(Count("deploy.completed", "\"succeeded\":true"), s.Applied);
        Assert.Equal(Count("deploy.completed", "\"succeeded\":false"), s.Failed);
        Assert.Equal(Count("plan.submitted", "\"decision\":\"review\""), s.Reviewed);
        Assert.Equal(Count("approval.denied", "\"to_state\":\"rejected\""), s.Rejected);
        Assert.Equal(Count("risk.scored", "\"decision\":\"block\""), s.Blocked);
        Assert.Equal(Count("request.state-changed", "\"to_state\":\"expired\""), s.Expired);
        Assert.Equal(Count("approval.refused"), report.Refusals.Total);
        Assert.Equal((6, 2, 4, 1, 1, 1, 1, 3), (s.Changes, s.Applied, s.Reviewed, s.Rejected, s.Blocked, s.Expired, s.Failed, report.Refusals.Total));
        Assert.Equal([new("self-approval", 1), new("agent-principal", 1), new("ineligible-approver", 1)], report.Refusals.ByRule.OrderBy(r => r.Name == "self-approval" ? 0 : r.Name == "agent-principal" ? 1 : 2));
        Assert.Equal(["approved-near-expiry", "apply-failed"], report.Exceptions.Select(e => e.Kind));
        Assert.Equal([new("production", 5), new("development", 1)], s.ByTier);
        Assert.Equal([new("human", 4), new("agent", 2)], s.ByActorKind);
        Assert.Equal(["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"], report.Weeks.Select(w => w.WeekStart));
        Assert.Equal(s.Changes, report.Weeks.Sum(w => w.Total));

        // Decided reviews: 12 minutes (approved in week 1), 2 h 20 min (rejected in week 2), 3 h 50 min (week 4).
        Assert.Equal(3, report.TimeToDecision.Decided);
        Assert.Equal(140 * 60, report.TimeToDecision.MedianSeconds);
        Assert.Equal(230 * 60, report.TimeToDecision.P90Seconds);
        var agentChange = Assert.Single(report.Changes, c => c.ActorKind == "agent" && c.Outcome == "rejected");
        Assert.Equal("carol", agentChange.OnBehalfOf);
        Assert.Equal("peak traffic week, do not downsize the primary", Assert.Single(agentChange.Decisions).Reason);
        Assert.NotEmpty(agentChange.Findings);
        Assert.Equal("request-record", agentChange.FindingsSource);
        Assert.Contains(report.TopRules, r => r.Name == "stateful-delete" && r.Count == 3);
    }

    [Fact]
    public async Task Report_Html_HasEveryChartSectionAndNoScriptOrExternalAsset()
    {
        var html = await File.ReadAllTextAsync(Path.Combine(filled.Out, "report.html"), CT);
        var json = await File.ReadAllBytesAsync(Path.Combine(filled.Out, "report.json"), CT);

        foreach (var id in new[] { "chart-weeks", "chart-decision-times", "chart-rules", "change-table", "exception-table", "refusal-table", "verification-facts", "keys", "reverify" })
        {
            Assert.Contains($"id=\"{id}\"", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(json)), html, StringComparison.Ordinal);
        Assert.Contains("bash verify.sh", html, StringComparison.Ordinal);
        var checkpoints = await File.ReadAllTextAsync(Path.Combine(filled.Out, "checkpoints.txt"), CT);
        Assert.NotEmpty(AuditWitness.Parse(checkpoints));
        var verify = await filled.World.CliAsync("audit", "verify", "--witness", Path.Combine(filled.Out, "checkpoints.txt"));
        Assert.True(verify.ExitCode == 0, verify.Out);
    }

    [Fact]
    public async Task Report_FixtureSecretsAndEngineOutput_NeverAppear()
    {
        foreach (var file in AuditCommand.ReportFiles)
        {
            var text = await File.ReadAllTextAsync(Path.Combine(filled.Out, file), CT);
            foreach (var secret in AuditReportWorld.FixtureSecrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }

        Assert.DoesNotContain(AuditReportWorld.EngineSecret, filled.Result.Out + filled.Result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Report_JsonData_MatchesGoldenFile()
    {
        var json = await File.ReadAllTextAsync(Path.Combine(filled.Out, "report.json"), CT);

        // Request ids are random, and the entry hashes and heads derive from them: number them by first appearance.
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        string Stable(Match m, string prefix) => names.TryGetValue(m.Value, out var n) ? n : names[m.Value] = string.Create(CultureInfo.InvariantCulture, $"{prefix}{names.Count(kv => kv.Value.StartsWith(prefix, StringComparison.Ordinal)) + 1}>");
        var normal = RequestId().Replace(json, m => Stable(m, "<request-"));
        normal = Hex64().Replace(normal, m => Stable(m, "<sha256-"));

        Golden.Match("audit-report.json", normal);
    }

    [Fact]
    public async Task Report_EmptyPeriod_SaysSoWithoutBlankCharts()
    {
        var outDir = Path.Combine(filled.World.Root, "empty");
        var result = await filled.World.CliAsync("audit", "report", "--from", "2026-12-01", "--to", "2026-12-07", "--out", outDir);
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"), CT);
        var report = ReportJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(outDir, "report.json"), CT))!;

        Assert.True(result.ExitCode == ExitCodes.Ok, result.Error);
        Assert.Equal(0, report.Summary.Changes);
        Assert.Null(report.TimeToDecision.MedianSeconds);
        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-weeks-empty\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-decision-times-empty\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"chart-rules-empty\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2026-11-31", "2026-12-01")]
    [InlineData("2026-12-02", "2026-12-01")]
    [InlineData("11/02/2026", "2026-12-01")]
    public async Task Report_BadPeriod_IsAUsageErrorNamingTheOption(string from, string to)
    {
        var result = await filled.World.CliAsync("audit", "report", "--from", from, "--to", to, "--out", Path.Combine(filled.World.Root, "bad"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Matches("--(from|to)", result.Error);
        Assert.Empty(result.Out);
    }

    [GeneratedRegex("cr_[0-9a-z]{12}")]
    private static partial Regex RequestId();

    [GeneratedRegex("\\b[0-9a-f]{64}\\b")]
    private static partial Regex Hex64();

    [GeneratedRegex("(src|href)\\s*=\\s*\"(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}

/// <summary>Tampering inside the period: a world of its own, since it edits the database.</summary>
public class AuditReportTamperTests
{
    [Fact]
    public async Task Report_TamperedEntryInsidePeriod_SaysSoAndExitsOne()
    {
        using var world = new AuditReportWorld();
        await world.FillAsync();
        var denied = Assert.Single(await world.Store.ListEntriesAsync(new AuditQuery(Kind: "approval.denied"), CT));
        await world.TamperAsync(denied.Seq, "do not downsize", "fine, downsize");
        var outDir = Path.Combine(world.Root, "report");

        var result = await world.CliAsync("audit", "report", "--from", "2026-11-02", "--to", "2026-11-29", "--out", outDir);

        Assert.Equal(ExitCodes.Tampered, result.ExitCode);
        Assert.Contains("TAMPERING FOUND", result.Error, StringComparison.Ordinal);
        var report = ReportJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(outDir, "report.json"), CT))!;
        Assert.Equal("tampered", report.Verification.Status);
        Assert.Contains(report.Verification.Findings, f => f.Seq == denied.Seq && f.InPeriod && f.Kind == nameof(AuditFindingKind.ContentHashMismatch));
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"), CT);
        Assert.Contains("TAMPERING FOUND", html, StringComparison.Ordinal);
        Assert.Contains("class=\"verdict tampered\"", html, StringComparison.Ordinal);
    }
}
