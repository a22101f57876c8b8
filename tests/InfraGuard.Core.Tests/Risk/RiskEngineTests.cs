using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Tests.Risk;

public class RiskEngineTests
{
    private static readonly PolicyPack Pack = PolicyPackLoader.LoadDefault();

    private static Assessment Assess(ChangeSet set, string stack = "prod", ActorKind actor = ActorKind.Agent, string? job = null) =>
        RiskEngine.Assess(set, Pack, new AssessmentContext(stack, actor, job));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Assess_TwoAmAgentScalesDownProductionDatabase_IsReview(bool terraformNames)
    {
        var change = terraformNames ? Some.TerraformRdsScaleDown() : Some.RdsScaleDown();

        var a = Assess(Some.Set(change));

        Assert.Equal(Decision.Review, a.Decision);
        Assert.Equal("production", a.Tier);
        var finding = Assert.Single(a.Findings);
        Assert.Equal("size-downgrade", finding.RuleId);
        Assert.Equal(terraformNames ? "instance_class" : "instanceClass", finding.Path);
        Assert.Equal(("db.r6g.2xlarge", "db.t4g.medium"), (finding.Before, finding.After));
        Assert.Equal(80, finding.Points);
        Assert.Equal(80, a.Score);
        Assert.Equal(new ApprovalRequirement(1, ["group:sre-leads"], TimeSpan.FromHours(4)).From, a.Approvals!.From);
        Assert.Equal(TimeSpan.FromHours(4), a.Approvals.ExpiresAfter);
        Assert.Equal(ActorKind.Agent, a.ActorKind);
        Assert.Equal(Pack.Hash, a.PolicyHash);
        Assert.Empty(a.Notes);
    }

    [Fact]
    public void Assess_DeleteProductionDatabase_NeedsReviewEvenForAHuman()
    {
        var a = Assess(Some.Set(Some.Resource("aws:rds/instance:Instance", ChangeOp.Delete)), actor: ActorKind.Human);

        Assert.Equal(Decision.Review, a.Decision);
        Assert.Equal(100, a.Score);
        Assert.Equal("stateful-delete", Assert.Single(a.Findings).RuleId);
    }

    [Fact]
    public void Assess_ForgetOfProductionDatabase_ScoresLowNotAsDelete()
    {
        var a = Assess(Some.Set(Some.Resource("aws:rds/instance:Instance", ChangeOp.Forget)), actor: ActorKind.Human);

        Assert.Equal(Decision.Allow, a.Decision);
        Assert.Equal(10, Assert.Single(a.Findings).Points);
    }

    [Fact]
    public void Assess_MassDeletionInProduction_Blocks()
    {
        var deletes = Enumerable.Range(0, 10).Select(i => Some.Resource("aws:ec2/instance:Instance", ChangeOp.Delete, "vm" + i)).ToArray();

        var a = Assess(Some.Set(deletes), actor: ActorKind.Pipeline);

        Assert.Equal(Decision.Block, a.Decision);
        Assert.Contains(a.Findings, f => f.RuleId == "mass-deletion" && f.Blocking);
        Assert.Contains("Rule 'mass-deletion' blocks any matching change in tier 'production'.", a.Notes);
        Assert.Null(a.Approvals);
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("dev")]
    public void Assess_UnknownOp_BlocksInEveryTier(string stack)
    {
        var a = Assess(Some.Set(Some.Resource("aws_instance", ChangeOp.Unknown, "x", engineOp: "teleport")), stack, ActorKind.Human);

        Assert.Equal(Decision.Block, a.Decision);
        var f = Assert.Single(a.Findings);
        Assert.Equal("unknown-op", f.RuleId);
        Assert.True(f.Blocking);
    }

    [Fact]
    public void Assess_UnknownOpWithPackWithoutRules_StillBlocks()
    {
        var pack = PolicyPackLoader.Load("apiVersion: infraguard/v1\ntiers:\n  dev: { review-at: 1000 }\n", "bare.yaml");

        var a = RiskEngine.Assess(Some.Set(Some.Resource("aws_instance", ChangeOp.Unknown, "x")), pack, new AssessmentContext("dev", ActorKind.Human));

        Assert.Equal(Decision.Block, a.Decision);
        Assert.Equal("unknown-op", Assert.Single(a.Findings).RuleId);
    }

    [Fact]
    public void Assess_IncompletePreview_BlocksWithNote()
    {
        var set = Some.Set(Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Create, "b")) with { Complete = false, IncompleteReason = "preview failed: provider error" };

        var a = Assess(set, stack: "dev", actor: ActorKind.Human);

        Assert.Equal(Decision.Block, a.Decision);
        Assert.Equal(0, a.Score);
        Assert.Equal("The preview did not complete (preview failed: provider error); an incomplete preview is never allowed. Fix the preview error and run again.", Assert.Single(a.Notes));
    }

    [Fact]
    public void Assess_MandatoryViolation_BlocksWithNote_AdvisoryOnlyScores()
    {
        var db = Some.Resource("aws:rds/instance:Instance", ChangeOp.Create, "db");
        var set = Some.Set(db) with
        {
            Violations =
            [
                new EngineViolation("infraguard", "deletion-protection", "mandatory", "deletionProtection must be true", db.Address, "high"),
                new EngineViolation("infraguard", "tags", "advisory", "missing owner tag", db.Address, null),
            ],
        };

        var a = Assess(set, stack: "dev", actor: ActorKind.Human);

        Assert.Equal(Decision.Block, a.Decision);
        Assert.Equal($"Mandatory policy infraguard/deletion-protection failed on {db.Address}: deletionProtection must be true", Assert.Single(a.Notes));
        Assert.Equal(2, a.Findings.Count(f => f.RuleId == "engine-violation" && f.Points == 5 && f.Type == db.Type));

        var advisoryOnly = Assess(Some.Set(db) with { Violations = [set.Violations[1]] }, stack: "dev", actor: ActorKind.Human);
        Assert.Equal(Decision.Allow, advisoryOnly.Decision);
        Assert.Equal(5, advisoryOnly.Score);
    }

    [Fact]
    public void Assess_FailedProtectedDelete_IsAFinding()
    {
        var failed = Some.Resource("aws:rds/instance:Instance", ChangeOp.Delete) with { Failed = true, Protected = true };

        var a = Assess(Some.Set(failed), actor: ActorKind.Human);

        var f = Assert.Single(a.Findings, x => x.RuleId == "failed-step");
        Assert.Equal(10, f.Points);
        Assert.Contains("protected", f.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_ActorWeight_TurnsTheSameChangeFromAllowIntoReview()
    {
        // Memory halved: capacity only (a replica count cut would also be an availability reduction).
        var set = Some.Set(Some.Update("aws:ecs/taskDefinition:TaskDefinition", "memory", 2048, 1024, name: "api"));

        var human = Assess(set, actor: ActorKind.Human);
        var agent = Assess(set, actor: ActorKind.Agent);

        Assert.Equal((Decision.Allow, 20), (human.Decision, human.Score));
        Assert.Equal((Decision.Review, 40), (agent.Decision, agent.Score));
    }

    [Fact]
    public void Assess_JobWeight_MultipliesAndRoundsHalfUp()
    {
        // capacity-decrease 20 x pipeline 1.0 x cost-optimisation 1.5 = 30; stateful forget 100 x 0.1 x 1.5 = 15.
        var set = Some.Set(Some.Update("aws:ecs/taskDefinition:TaskDefinition", "memory", 2048, 1024, name: "api"), Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Forget, "old"));

        var a = Assess(set, actor: ActorKind.Pipeline, job: "cost-optimisation");

        Assert.Equal([30, 15], a.Findings.Select(f => f.Points));
        Assert.Equal(3, RiskEngine.RoundPoints(2.5m));
        Assert.Equal(2, RiskEngine.RoundPoints(2.4999m));
    }

    [Fact]
    public void Assess_HarmlessChangeOnDevStack_IsAllowed()
    {
        var set = Some.Set(Some.Update("aws:ec2/instance:Instance", "tags.team", "a", "b", name: "web"), Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Create, "new"));

        var a = Assess(set, stack: "dev", actor: ActorKind.Agent);

        Assert.Equal(Decision.Allow, a.Decision);
        Assert.Equal("development", a.Tier);
        Assert.Equal(0, a.Score);
        Assert.Empty(a.Findings);
        Assert.Null(a.Approvals);
    }

    [Fact]
    public void Assess_ShuffledInput_GivesEqualFindingsInEqualOrder()
    {
        ResourceChange[] changes =
        [
            Some.RdsScaleDown(),
            Some.Resource("aws:rds/instance:Instance", ChangeOp.Delete, "old-db"),
            Some.Update("aws:rds/instance:Instance", "deletionProtection", true, false, name: "b-db"),
            Some.Update("aws:rds/instance:Instance", "backupRetentionPeriod", 7, 1, name: "b-db"),
            Some.Update("aws:ec2/securityGroup:SecurityGroup", "ingress[0].cidrBlocks[0]", "10.0.0.0/8", "0.0.0.0/0", name: "web"),
            Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Forget, "archive"),
            Some.Update("aws:ecs/service:Service", "desiredCount", 6, 3, name: "api"),
        ];
        var first = Assess(Some.Set(changes));
        var second = Assess(Some.Set(changes));
        var shuffled = Assess(Some.Set([.. changes.Reverse().Skip(3), .. changes.Reverse().Take(3)]));

        Assert.Equal(first.Findings, second.Findings);
        Assert.Equal(first.Findings, shuffled.Findings);
        Assert.Equal((first.Score, first.Decision), (shuffled.Score, shuffled.Decision));
        Assert.True(first.Findings.Zip(first.Findings.Skip(1)).All(p => p.First.Points >= p.Second.Points));
        Assert.Equal(first.Findings.Sum(f => f.Points), first.Score);
    }

    [Fact]
    public void Assess_ClassifiedBucketDeletion_MatchesTagRule()
    {
        var bucket = Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Delete, "customer-data",
            before: new System.Text.Json.Nodes.JsonObject { ["tags"] = new System.Text.Json.Nodes.JsonObject { ["data-classification"] = "Confidential" } });
        var untagged = Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Delete, "scratch");

        var a = Assess(Some.Set(bucket, untagged), actor: ActorKind.Human);

        Assert.Equal([bucket.Address], a.Findings.Where(f => f.RuleId == "classified-data-delete").Select(f => f.Address));
    }

    [Fact]
    public void Assess_TerraformKubernetesDeleteWithMetadataBlockList_DoesNotThrow()
    {
        // Terraform's kubernetes provider holds metadata as a list of blocks ("metadata": [{"labels": {...}}]).
        var ns = Some.Resource("kubernetes_namespace", ChangeOp.Delete, "apps",
            before: (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse("""{"metadata":[{"name":"apps","labels":{"data-classification":"restricted"}}]}""")!);

        var a = Assess(Some.Set(ns), actor: ActorKind.Human);

        Assert.Equal(["stateful-delete"], a.Findings.Select(f => f.RuleId));
    }

    [Fact]
    public void Assess_PropertyRuleWithDirection_IgnoresUnknownValues()
    {
        const string yaml = """
            apiVersion: infraguard/v1
            tiers:
              production: { stacks: [prod], review-at: 40 }
              dev: { review-at: 1000 }
            rules:
              - id: db-scale-down
                summary: Database scale-down
                match: { ops: [update], types: ["aws:rds/*"], change: { path: instanceClass, direction: down } }
                score: 60
              - id: protection-off
                summary: Deletion protection switched off
                match: { change: { path: deletionProtection, from: true, to: false } }
                score: 80
            """;
        var pack = PolicyPackLoader.Load(yaml, "custom.yaml");
        var ctx = new AssessmentContext("prod", ActorKind.Human);

        var down = RiskEngine.Assess(Some.Set(Some.RdsScaleDown()), pack, ctx);
        var unknown = RiskEngine.Assess(Some.Set(Some.Update("aws:rds/instance:Instance", "instanceClass", "db.r6g.2xlarge", Redaction.UnknownMarker)), pack, ctx);
        var off = RiskEngine.Assess(Some.Set(Some.Update("aws:rds/instance:Instance", "deletionProtection", true, false)), pack, ctx);

        Assert.Equal((Decision.Review, 60), (down.Decision, down.Score));
        Assert.Equal("Database scale-down (instanceClass: db.r6g.2xlarge → db.t4g.medium)", Assert.Single(down.Findings).Reason);
        Assert.Empty(unknown.Findings);
        Assert.Equal(80, off.Score);
    }
}
