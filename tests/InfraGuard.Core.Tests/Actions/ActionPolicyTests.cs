using System.Text.Json.Nodes;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Tests.Actions;

public class ActionPolicyTests
{
    private static readonly PolicyPack Pack = PolicyPackLoader.LoadDefault();

    private const string Tiers = """
        apiVersion: infraguard/v1
        tiers:
          production:
            stacks: [prod]
            targets: ["prod/*"]
            review-at: 40
          development:
            default: true
            review-at: 100

        """;

    private static Assessment Assess(string kind, string? target, string[] argv, ActorKind actor = ActorKind.Pipeline, string? onBehalfOf = null) =>
        ActionRisk.Assess(ProposedAction.Command(kind, target, argv), new ActionContext(actor, onBehalfOf), Pack);

    [Fact]
    public void DefaultPack_DefinesTheFiveIssueKinds_AndExplainsThem()
    {
        foreach (var kind in new[] { "data.export", "iam.assume-role", "secrets.read", "db.write", "kms.key-disable" })
        {
            Assert.NotNull(Pack.Actions.FindKind(kind));
            Assert.StartsWith($"action kind {kind}:", Pack.Explain(kind), StringComparison.Ordinal);
        }

        Assert.Contains("data-classes restricted", Pack.Explain("restricted-data-export"), StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_RestrictedExportInProduction_NeedsReviewByTheTiersApprovers()
    {
        var a = Assess("data.export", "prod/orders/customers", ["pg_dump", "--table=customers", "orders"]);

        Assert.Equal("production", a.Tier);
        Assert.Equal(Decision.Review, a.Decision);
        Assert.Equal(90, a.Score);
        Assert.Equal(["restricted-data-export", "data.export"], a.Findings.Select(f => f.RuleId));
        Assert.Equal(["group:sre-leads"], a.Approvals!.From);
    }

    [Fact]
    public void Assess_AgentActingForSomeone_WeighsDoubleAndAddsTheAgentRule()
    {
        var pipeline = Assess("data.export", "prod/orders/customers", ["pg_dump", "-t", "customers"]);
        var agent = Assess("data.export", "prod/orders/customers", ["pg_dump", "-t", "customers"], ActorKind.Agent, "alice");

        Assert.Equal(pipeline.Score * 2 + 40, agent.Score);
        Assert.Contains(agent.Findings, f => f.RuleId == "agent-privileged-action");
    }

    [Fact]
    public void Assess_CommandDeclaredAsAMilderKind_IsStillScoredAsWhatItIs()
    {
        // Attack: call a pg_dump of the customers table a "k8s.delete" on a harmless target to dodge the export rules.
        var a = Assess("k8s.delete", "prod/sandbox", ["/usr/bin/pg_dump", "--table=customers"]);

        Assert.Contains(a.Findings, f => f.RuleId == "data.export");
        Assert.Contains(a.Findings, f => f.RuleId == "restricted-data-export");
        Assert.Contains(a.Notes, n => n.Contains("also recognised as data.export", StringComparison.Ordinal));
        Assert.Equal(Decision.Review, a.Decision);
    }

    [Fact]
    public void Assess_RestrictedTableNamedOnlyInTheArguments_IsRestrictedWhateverTheTargetSays()
    {
        var a = Assess("data.export", "prod/orders/public-stats", ["pg_dump", "--table=customers"]);

        Assert.Contains(a.Findings, f => f.RuleId == "restricted-data-export");
    }

    [Fact]
    public void Assess_UntargetedAction_FallsInTheActionsDefaultTierNotDevelopment()
    {
        var a = Assess("kms.key-disable", null, ["aws", "kms", "schedule-key-deletion", "--key-id", "k-1"]);

        Assert.Equal("staging", a.Tier);
        Assert.Equal(Decision.Review, a.Decision);
        Assert.Contains(a.Findings, f => f.RuleId == "key-deletion");
    }

    [Fact]
    public void Assess_NamespaceDelete_ScoresTheNamespaceRule_ButAPodDeleteDoesNot()
    {
        Assert.Contains(Assess("k8s.delete", "prod/payments", ["kubectl", "delete", "namespace", "payments"]).Findings, f => f.RuleId == "namespace-delete");
        Assert.DoesNotContain(Assess("k8s.delete", "prod/payments", ["kubectl", "delete", "pod", "web-1"]).Findings, f => f.RuleId == "namespace-delete");
    }

    [Fact]
    public void Assess_UnknownKind_IsRefusedNamingTheDefinedKinds()
    {
        var e = Assert.Throws<ActionRefusedException>(() => Assess("data.exfiltrate", null, ["curl", "x"]));

        Assert.Equal("unknown-kind", e.Code);
        Assert.Contains("data.export", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assess_ToolCall_MatchesNameValueArguments()
    {
        var action = ProposedAction.ToolCall("data.export", "prod/orders", "postgres.export_table", new JsonObject { ["table"] = "customers", ["limit"] = 10 });

        var a = ActionRisk.Assess(action, new ActionContext(ActorKind.Agent, "alice"), Pack);

        Assert.Contains(a.Findings, f => f.RuleId == "restricted-data-export");
        Assert.Contains("table=customers", action.Words());
    }

    [Fact]
    public void Load_BlockingActionRule_BlocksInItsTier()
    {
        var pack = PolicyPackLoader.Load(Tiers + """
            actions:
              kinds:
                iam.assume-role: { summary: Assume a role, score: 10 }
              rules:
                - { id: no-break-glass-for-agents, summary: Agents never break glass, match: { actors: [agent], targets: ["*break-glass*"] }, score: 0, block: [production] }
            """, "policy.yaml");

        var a = ActionRisk.Assess(ProposedAction.Command("iam.assume-role", "prod/break-glass", ["aws", "sts", "assume-role"]), new ActionContext(ActorKind.Agent), pack);

        Assert.Equal(Decision.Block, a.Decision);
        Assert.Contains(a.Notes, n => n.Contains("no-break-glass-for-agents", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("(?<=a)b")]
    [InlineData("(a)\\1")]
    [InlineData("(?>ab)")]
    [InlineData("[unclosed")]
    public void ArgsPattern_WithoutALinearTimeMatch_RefusedAtLoadAndFailsClosedIfEverRun(string pattern)
    {
        Assert.NotNull(ArgsPattern.Problem(pattern));
        Assert.True(new ArgsPattern(pattern).IsMatch("anything"));
    }

    [Fact]
    public void ArgsPattern_Valid_MatchesCaseInsensitivelyAnywhere()
    {
        var pattern = new ArgsPattern("\\b(drop|truncate)\\b");

        Assert.Null(ArgsPattern.Problem(pattern.Pattern));
        Assert.True(pattern.IsMatch("select 1; DROP TABLE customers"));
        Assert.False(pattern.IsMatch("select * from dropped_rows"));
    }

    [Fact]
    public void Load_MistakesInActions_ReportEveryOneWithLineAndWhatIsValid()
    {
        var ex = Assert.Throws<PolicyException>(() => PolicyPackLoader.Load(Tiers + """
            actions:
              default-tier: prodution
              kinds:
                Data_Export: { summary: x, score: 1 }
                infra.apply: { summary: x, score: 1 }
                data.export: { summary: x, score: 1, match: { commands: [pg_dump], targets: [x] } }
              rules:
                - { id: r1, summary: x, score: 1, match: { kinds: [data.exprot], data-classes: [secret], args-regex: ["(?<=a)b"] } }
            """, "policy.yaml"));
        var errors = ex.Errors.Select(e => e.ToString()).ToList();

        Assert.Contains(errors, e => e.StartsWith("policy.yaml:11:17: unknown tier 'prodution'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("action kind 'Data_Export' is not valid", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("'infra.apply' is built in", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown field 'targets' in 'match' of action kind 'data.export'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown action kind 'data.exprot' in action rule 'r1'; valid: data.export", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("unknown data class 'secret'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("non-backtracking engine", StringComparison.Ordinal));
    }

    [Fact]
    public void Matching_HostileRegexAndLongArgument_StaysLinear()
    {
        // (a+)+$ is the classic catastrophic pattern for a backtracking engine; the non-backtracking one is linear.
        var pack = PolicyPackLoader.Load(Tiers + """
            actions:
              kinds:
                db.write: { summary: x, score: 1 }
              rules:
                - { id: r1, summary: x, score: 5, match: { args-regex: ["^(a+)+$"] } }
            """, "policy.yaml");
        var argument = new string('a', 50_000) + "!";

        var a = ActionRisk.Assess(ProposedAction.Command("db.write", null, ["psql", argument]), new ActionContext(ActorKind.Pipeline), pack);

        Assert.DoesNotContain(a.Findings, f => f.RuleId == "r1");
    }
}
