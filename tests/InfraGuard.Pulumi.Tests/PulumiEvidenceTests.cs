using System.Text;
using InfraGuard.Core.Readers;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests;

/// <summary>The authority's reading of submitted Pulumi evidence: the plan must do what the event log shows, resource by resource.</summary>
public class PulumiEvidenceTests
{
    private static readonly PulumiEvidence Evidence = new();

    [Theory]
    [InlineData("synthetic-rds-scale-down")]
    [InlineData("synthetic-dev-scale-down")]
    [InlineData("synthetic-prod-db-delete")]
    public void Mismatch_PlanAndLogOfOnePreview_None(string scenario)
    {
        var (log, plan) = Files(scenario);

        Assert.Null(Evidence.Mismatch(Evidence.Read(log), plan));
        Assert.Equal(PlanFingerprint.Compute(plan), Evidence.PlanHash(plan));
    }

    [Fact]
    public void Mismatch_LogUpdatesWhatThePlanDeletes_NamesResourceAndBothOps()
    {
        var (log, plan) = Files("synthetic-dev-scale-down");
        var deleting = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(plan).Replace("\"update\"", "\"delete\"", StringComparison.Ordinal));

        var mismatch = Evidence.Mismatch(Evidence.Read(log), deleting);

        Assert.Equal("the plan would delete urn:pulumi:dev::shop::aws:rds/instance:Instance::orders-db, but the engine output says update", mismatch);
    }

    [Fact]
    public void Mismatch_PlanLeavesAloneWhatTheLogDeletes_Says()
    {
        var (log, plan) = Files("synthetic-prod-db-delete");
        var same = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(plan).Replace("\"delete\"", "\"same\"", StringComparison.Ordinal));

        var mismatch = Evidence.Mismatch(Evidence.Read(log), same);

        Assert.Equal("the engine output would delete urn:pulumi:prod::shop::aws:rds/instance:Instance::orders-db, which the plan does not change", mismatch);
    }

    [Fact]
    public void Mismatch_RecordedPlanAgainstAnotherStacksLog_FirstExtraResource()
    {
        var (log, _) = Files("synthetic-rds-scale-down");
        var recorded = File.ReadAllBytes(Repo.Fixture("pulumi", "plans", "openzfs-new-version-plan.json"));

        var mismatch = Evidence.Mismatch(Evidence.Read(log), recorded);

        Assert.StartsWith("the plan would create urn:pulumi:test::openzfs::", mismatch, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatch_UnknownStepInPlan_NeverMatches()
    {
        var (log, plan) = Files("synthetic-rds-scale-down");
        var odd = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(plan).Replace("\"update\"", "\"teleport\"", StringComparison.Ordinal));

        Assert.Contains("would unknown", Evidence.Mismatch(Evidence.Read(log), odd), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"resourcePlans\": 3}")]
    public void MismatchAndHash_NotAPlan_PlanReadException(string text)
    {
        var (log, _) = Files("synthetic-rds-scale-down");
        var bytes = Encoding.UTF8.GetBytes(text);

        Assert.Throws<PlanReadException>(() => Evidence.Mismatch(Evidence.Read(log), bytes));
        if (!text.StartsWith('{'))
        {
            Assert.Throws<PlanReadException>(() => Evidence.PlanHash(bytes));
        }
    }

    [Fact]
    public void Read_TruncatedLog_PlanReadException()
    {
        var (log, _) = Files("synthetic-rds-scale-down");

        Assert.Throws<PlanReadException>(() => Evidence.Read(log[..(log.Length / 2)]));
    }

    private static (byte[] Log, byte[] Plan) Files(string scenario) =>
        (File.ReadAllBytes(Path.Combine(StandInPulumi.Scenario(scenario), "preview.jsonl")), File.ReadAllBytes(Path.Combine(StandInPulumi.Scenario(scenario), "plan.json")));
}
