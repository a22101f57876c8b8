using InfraGuard.Core.Policy;
using InfraGuard.Testing;

namespace InfraGuard.Core.Tests.Policy;

public class PolicyPackLoaderTests
{
    private const string Minimal = """
        apiVersion: infraguard/v1
        tiers:
          production:
            stacks: [prod]
            review-at: 40
          development:
            default: true
            review-at: 100
        rules:
          - id: db-scale-down
            summary: Database scale-down
            match: { ops: [update], change: { path: instanceClass, direction: down } }
            score: 60
        """;

    [Fact]
    public void LoadDefault_ShippedPack_HasTheDocumentedDefaults()
    {
        var pack = PolicyPackLoader.LoadDefault();

        Assert.Equal(["production", "staging", "development"], pack.Tiers.Select(t => t.Name));
        var prod = pack.FindTier("production")!;
        Assert.Equal(40, prod.ReviewAt);
        Assert.Equal(400, prod.BlockAt);
        Assert.Equal(1, prod.Approvals.Count);
        Assert.Equal(["group:sre-leads"], prod.Approvals.From);
        Assert.Equal(TimeSpan.FromHours(4), prod.Approvals.ExpiresAfter);
        Assert.Equal(2.0m, prod.ActorWeights[ActorKind.Agent]);
        Assert.Equal(1.0m, prod.ActorWeights[ActorKind.Pipeline]);
        Assert.Equal(1.0m, prod.ActorWeights[ActorKind.Human]);
        Assert.Equal("development", pack.DefaultTier.Name);
        Assert.Equal(PolicyPackLoader.DefaultSourceName, pack.Source);
        Assert.Matches("^[0-9a-f]{64}$", pack.Hash);

        var invariants = pack.Invariants["production"];
        Assert.True(invariants.DeletionProtection);
        Assert.Equal(7, invariants.MinBackupRetentionDays);
        Assert.Equal(["confidential", "restricted"], invariants.PrivateDataClasses);
        Assert.Equal("data-classification", invariants.ClassificationTag);

        Assert.Equal(["alice", "bob"], pack.Identities.MembersOf("group:sre-leads").Select(p => p.Id));
        Assert.Equal(IdentityKind.Bot, pack.Identities.FindById("deploy-bot")!.Kind);
        foreach (var detector in InfraGuard.Core.Policy.Detectors.BuiltInDetectors.All)
        {
            Assert.Contains(pack.Rules, r => r.Detector == detector.Id);
        }
    }

    [Fact]
    public void LoadDefault_EmbeddedText_IsTheRepositoryFile()
    {
        var fileText = File.ReadAllText(Repo.File("policy-packs", "infraguard", "policy.yaml"));

        Assert.Equal(PolicyPackLoader.Hash(fileText), PolicyPackLoader.LoadDefault().Hash);
    }

    [Fact]
    public void Hash_LineEndingsAndBom_AreNormalised()
    {
        var lf = PolicyPackLoader.Load(Minimal, "a.yaml").Hash;
        var crlf = PolicyPackLoader.Load("\uFEFF" + Minimal.Replace("\n", "\r\n", StringComparison.Ordinal), "b.yaml").Hash;
        var changed = PolicyPackLoader.Load(Minimal.Replace("score: 60", "score: 61", StringComparison.Ordinal), "c.yaml").Hash;

        Assert.Equal(lf, crlf);
        Assert.NotEqual(lf, changed);
    }

    [Fact]
    public void Load_MinimalPack_ParsesRuleMatch()
    {
        var pack = PolicyPackLoader.Load(Minimal, "policy.yaml");

        var rule = pack.FindRule("DB-SCALE-DOWN")!;
        Assert.Equal("db-scale-down", rule.Id);
        Assert.Equal(60, rule.Score.For("production"));
        Assert.Equal(ChangeDirection.Down, rule.Match.Change!.Direction);
        Assert.Equal(new ApprovalRequirement(1, [], TimeSpan.FromHours(4)).Count, pack.FindTier("production")!.Approvals.Count);
        Assert.Equal(int.MaxValue, pack.FindTier("production")!.BlockAt);
    }

    [Theory]
    [InlineData("prod", null, "production")]
    [InlineData("PROD", null, "production")]
    [InlineData("prod-eu", null, "production")]
    [InlineData("acme/shop/production", null, "production")]
    [InlineData("acme/prod", null, "production")]
    [InlineData("staging-2", null, "staging")]
    [InlineData("dev", null, "development")]
    [InlineData("production-like", null, "development")]
    [InlineData("dev", "production", "production")]
    public void ResolveTier_StackNames_PickFirstMatchingTierElseDefault(string stack, string? forced, string expected)
    {
        Assert.Equal(expected, PolicyPackLoader.LoadDefault().ResolveTier(stack, forced));
    }

    [Fact]
    public void ResolveTier_UnknownForcedTier_SaysWhichTiersExist()
    {
        var ex = Assert.Throws<PolicyException>(() => PolicyPackLoader.LoadDefault().ResolveTier("dev", "prodd"));

        Assert.Contains("asks for tier 'prodd', which this pack does not define; valid tiers: production, staging, development", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_RuleAndDetector_DescribeMatchesAndScores()
    {
        var pack = PolicyPackLoader.LoadDefault();

        var rule = pack.Explain("stateful-delete")!;
        Assert.Contains("rule stateful-delete:", rule, StringComparison.Ordinal);
        Assert.Contains("score: production 100, staging 30, other tiers 5", rule, StringComparison.Ordinal);
        Assert.Contains("forget-factor: 0.1", rule, StringComparison.Ordinal);

        var classified = pack.Explain("classified-data-delete")!;
        Assert.Contains("ops delete, replace; tag data-classification in [confidential, restricted]", classified, StringComparison.Ordinal);

        var mass = pack.Explain("mass-deletion")!;
        Assert.Contains("blocks: in production", mass, StringComparison.Ordinal);

        var detectorOnly = PolicyPackLoader.Load(Minimal, "p.yaml").Explain("size-downgrade")!;
        Assert.StartsWith("detector size-downgrade:", detectorOnly, StringComparison.Ordinal);
        Assert.Null(pack.Explain("no-such-rule"));
    }

    [Fact]
    public void Identities_Resolve_ByLoginEmailChatAndId()
    {
        var ids = PolicyPackLoader.LoadDefault().Identities;

        Assert.Equal("alice", ids.Resolve("github:alice-example")!.Id);
        Assert.Equal("alice", ids.Resolve("ALICE@example.com")!.Id);
        Assert.Equal("alice", ids.Resolve("email:alice@example.com")!.Id);
        Assert.Equal("bob", ids.Resolve("slack:U0EXAMPLEB")!.Id);
        Assert.Equal("carol", ids.Resolve("person:carol")!.Id);
        Assert.Null(ids.Resolve("slack:UNOBODY"));
        Assert.True(IdentityMap.IsIn(ids.FindById("bob")!, "group:sre-leads"));
        Assert.False(IdentityMap.IsIn(ids.FindById("carol")!, "group:sre-leads"));
    }
}
