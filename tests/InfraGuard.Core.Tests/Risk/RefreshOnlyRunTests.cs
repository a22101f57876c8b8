using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Tests.Risk;

/// <summary>
/// A refresh-only run is scored on the drift it accepts into state: a resource deleted outside the engine is a
/// deletion from state (rule <c>state-drop</c> of the default pack: review in production), and a "refresh-only" plan
/// that proposes resource changes is not one (incomplete, never allowed).
/// </summary>
public class RefreshOnlyRunTests
{
    private static readonly PolicyPack Pack = PolicyPackLoader.LoadDefault();

    private static ChangeSet Planned(ResourceChange[] changes, ResourceChange[] drift) => new()
    {
        Engine = EngineKind.Terraform,
        Changes = changes,
        Counts = changes.GroupBy(c => c.Op).ToDictionary(g => g.Key, g => g.Count()),
        Drift = drift,
        Complete = true,
    };

    private static ResourceChange DroppedSecurityGroup() =>
        Some.Resource("aws_security_group", ChangeOp.Delete, "lambda_sg", before: new JsonObject { ["name"] = "lambda-sg" });

    private static ResourceChange DriftedLogGroup() =>
        Some.Resource("aws_cloudwatch_log_group", ChangeOp.Update, "log_group", before: new JsonObject { ["retention_in_days"] = 14 }, after: new JsonObject { ["retention_in_days"] = 14 });

    [Fact]
    public void AcceptingDrift_DriftBecomesTheChangesAndCounts()
    {
        var set = Planned([], [DroppedSecurityGroup(), DriftedLogGroup()]).AcceptingDrift();

        Assert.Equal(RunKind.RefreshOnly, set.Kind);
        Assert.Equal(["aws_security_group.lambda_sg", "aws_cloudwatch_log_group.log_group"], set.Changes.Select(c => c.Address));
        Assert.Equal(1, set.Counts[ChangeOp.Delete]);
        Assert.Equal(1, set.Counts[ChangeOp.Update]);
        Assert.Empty(set.Drift);
        Assert.True(set.Complete);
    }

    [Fact]
    public void AcceptingDrift_PlanAlsoProposesResourceChanges_IncompleteAndNeverAllowed()
    {
        var set = Planned([Some.Resource("aws_instance", ChangeOp.Create, "web")], [DriftedLogGroup()]).AcceptingDrift();

        Assert.False(set.Complete);
        Assert.Contains("aws_instance.web", set.IncompleteReason, StringComparison.Ordinal);
        Assert.NotEqual(Decision.Allow, RiskEngine.Assess(set, Pack, new AssessmentContext("dev", ActorKind.Pipeline)).Decision);
    }

    [Fact]
    public void Assess_RefreshOnlyDropsDeletedResourceInProduction_ReviewByStateDrop()
    {
        var set = Planned([], [DroppedSecurityGroup()]).AcceptingDrift();

        var a = RiskEngine.Assess(set, Pack, new AssessmentContext("prod", ActorKind.Pipeline));

        Assert.Equal(Decision.Review, a.Decision);
        Assert.Contains(a.Findings, f => f.RuleId == "state-drop" && f.Address == "aws_security_group.lambda_sg" && f.Op == ChangeOp.Delete);
    }

    [Fact]
    public void Assess_RefreshOnlyDropInDevelopment_Allowed()
    {
        var set = Planned([], [DroppedSecurityGroup()]).AcceptingDrift();

        Assert.Equal(Decision.Allow, RiskEngine.Assess(set, Pack, new AssessmentContext("dev", ActorKind.Pipeline)).Decision);
    }

    [Fact]
    public void Assess_SameDriftInAnUpdateRun_StateDropDoesNotFireAndDriftIsNotScored()
    {
        var set = Planned([], [DroppedSecurityGroup()]);

        var a = RiskEngine.Assess(set, Pack, new AssessmentContext("prod", ActorKind.Pipeline));

        Assert.DoesNotContain(a.Findings, f => f.RuleId == "state-drop");
    }

    [Fact]
    public void Load_RuleWithUnknownRunKind_ErrorNamesTheValidKinds()
    {
        const string yaml = """
            apiVersion: infraguard/v1
            tiers:
              development:
                default: true
                review-at: 100
            rules:
              - id: a
                summary: a
                match: { runs: [refresh] }
                score: 1
            """;

        var e = Assert.Throws<PolicyException>(() => PolicyPackLoader.Load(yaml, "policy.yaml"));

        Assert.Contains("unknown run kind 'refresh' in rule 'a'; valid run kinds: update, refresh-only", e.Message, StringComparison.Ordinal);
    }
}
