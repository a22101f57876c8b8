using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Tests.Policy;

public class PolicyErrorTests
{
    private const string ValidTiers = """
        apiVersion: infraguard/v1
        tiers:
          production:
            stacks: [prod]
            review-at: 40
          development:
            default: true
            review-at: 100
        """;

    private static List<string> ErrorsOf(string yaml)
    {
        var ex = Assert.Throws<PolicyException>(() => PolicyPackLoader.Load(yaml, "policy.yaml"));
        Assert.Equal(string.Join('\n', ex.Errors.Select(e => e.ToString())), ex.Message);
        return ex.Errors.Select(e => e.ToString()).ToList();
    }

    [Fact]
    public void Load_ManyMistakes_ReportsEveryOneWithFileLineColumnInFileOrder()
    {
        const string yaml = """
            apiVersion: infraguard/v1
            tiers:
              production:
                stacks: [prod, "prod-["]
                review-at: forty
                treshold: 5
                approvals: { count: 1, expires-after: 4x }
                actor-weights: { robot: 2 }
              development:
                default: true
                review-at: 100
            rules:
              - id: r1
                summary: x
                detector: size-downgrad
                score: 10
              - id: r2
                summary: y
                match: { ops: [destroy] }
                score: { prodution: 5 }
            """;

        var errors = ErrorsOf(yaml);

        Assert.Equal(
        [
            "policy.yaml:4:20: bad glob 'prod-[' in 'stacks' of tier 'production': unclosed '[' at character 6; use * for any text, ? for one character, [abc] for a set",
            "policy.yaml:5:16: 'review-at' in tier 'production' must be a whole number, found 'forty'",
            "policy.yaml:6:5: unknown field 'treshold' in tier 'production'; valid fields: stacks, default, review-at, block-at, approvals, actor-weights, job-weights, description, require-server, require-attested-requester, targets, remind-after, escalate-after, escalate-to, break-glass",
            "policy.yaml:7:43: bad duration '4x' for 'expires-after' of 'approvals' in tier 'production'; use a number with a unit d, h, m or s, e.g. 4h, 30m, 1d, 1h30m",
            "policy.yaml:8:22: unknown actor kind 'robot' in 'actor-weights' of tier 'production'; valid actor kinds: human, pipeline, agent",
            "policy.yaml:15:15: unknown detector 'size-downgrad' in rule 'r1'; valid detectors: size-downgrade, capacity-decrease, availability-reduction, protection-removed, retention-cut, public-exposure, secret-material, iam-privilege, mass-deletion, stateful-delete, unknown-op, failed-step, engine-violation",
            "policy.yaml:19:20: unknown op 'destroy' in rule 'r2'; valid ops: create, update, replace, delete, forget, import, read, refresh, same, unknown",
            "policy.yaml:20:14: unknown tier 'prodution' in 'score' of rule 'r2'; valid: production, development, default",
        ],
        errors);
    }

    [Fact]
    public void Load_InvalidYaml_ReportsParserPosition()
    {
        var errors = ErrorsOf("apiVersion: infraguard/v1\ntiers:\n  production: [prod\n");

        var error = Assert.Single(errors);
        Assert.StartsWith("policy.yaml:4:1: invalid YAML: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Line:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingTopLevelFieldsAndWrongApiVersion_AreReported()
    {
        Assert.Equal(["policy.yaml:1:1: the policy file is missing 'tiers'", "policy.yaml:1:13: unsupported apiVersion 'infraguard/v2'; valid: infraguard/v1"],
            ErrorsOf("apiVersion: infraguard/v2\nrules: []\n"));
        Assert.Equal(["policy.yaml:1:1: the policy file is missing 'apiVersion'"], ErrorsOf("tiers:\n  dev: { review-at: 5 }\n"));
    }

    [Fact]
    public void Load_TierProblems_NameTheTierAndTheFix()
    {
        const string yaml = """
            apiVersion: infraguard/v1
            tiers:
              production:
                stacks: prod
                review-at: 50
                block-at: 10
                approvals: { from: ["group:nobody", "alice"] }
              staging:
                stacks: [stage]
            identities:
              groups: { sre-leads: { description: x } }
            """;

        Assert.Equal(
        [
            "policy.yaml:3:3: no default tier: mark the catch-all tier with 'default: true' (or leave exactly one tier without 'stacks')",
            "policy.yaml:6:15: 'block-at' (10) in tier 'production' is below 'review-at' (50); block-at must be at least review-at",
            "policy.yaml:7:25: unknown group 'nobody' in approvals of tier 'production'; groups defined under identities: sre-leads",
            "policy.yaml:7:41: approver 'alice' in tier 'production' must be 'group:NAME' or 'person:ID'",
            "policy.yaml:9:5: tier 'staging' is missing 'review-at'",
        ],
        ErrorsOf(yaml));
    }

    [Fact]
    public void Load_RuleProblems_AreReported()
    {
        var yaml = ValidTiers + """

            rules:
              - id: a
                summary: s
                match: { change: { path: instanceClass, direction: sideways }, actors: [robot] }
                score: 1
              - id: a
                summary: again
                score: 2
              - id: b
                detector: mass-deletion
                with: { min-count: 1, maximum: 3 }
                score: 5
                block: [prodd]
              - id: c
                detector: size-downgrade
                match: { change: { path: x } }
                score: lots
              - summary: no id
                score: 1
              - id: d
                match: { types: ["aws:rds/*"] }
                score: 1
            """;

        Assert.Equal(
        [
            "policy.yaml:12:56: unknown direction 'sideways' in 'change' of rule 'a'; valid directions: up, down",
            "policy.yaml:12:77: unknown actor kind 'robot' in rule 'a'; valid actor kinds: human, pipeline, agent",
            "policy.yaml:19:24: option 'min-count' of rule 'b' must be between 2 and 100000, found 1",
            "policy.yaml:19:27: unknown option 'maximum' for detector 'mass-deletion' in rule 'b'; valid options: min-count",
            "policy.yaml:21:13: unknown tier 'prodd' in 'block' of rule 'b'; valid tiers: production, development",
            "policy.yaml:24:12: rule 'c' has both 'detector' and 'match.change'; a detector decides which properties count, so remove one",
            "policy.yaml:25:12: 'score' of rule 'c' must be a whole number, found 'lots'",
            "policy.yaml:26:5: rule #5 is missing 'id'",
            "policy.yaml:28:5: rule 'd' is missing 'summary' (only rules with a detector may leave it out)",
        ],
        ErrorsOf(yaml));
    }

    [Fact]
    public void Load_InvariantAndIdentityProblems_AreReported()
    {
        var yaml = ValidTiers + """

            invariants:
              production: { deletion-protection: yes-please, min-backup-days: 7 }
              prod: { deletion-protection: true }
            identities:
              groups: { sre-leads: x }
              people:
                - id: alice
                  groups: [sre-lead]
                  kind: robot
                - name: No Id
            """;

        Assert.Equal(
        [
            "policy.yaml:10:38: 'deletion-protection' in invariants of tier 'production' must be true or false, found 'yes-please'",
            "policy.yaml:10:50: unknown field 'min-backup-days' in invariants of tier 'production'; valid fields: deletion-protection, min-backup-retention-days, private-data-classes, classification-tag",
            "policy.yaml:11:3: unknown tier 'prod' in 'invariants'; valid tiers: production, development",
            "policy.yaml:16:16: unknown group 'sre-lead' for person 'alice'; groups defined under identities: sre-leads",
            "policy.yaml:17:13: unknown kind 'robot' for person 'alice'; valid kinds: member, guest, bot",
            "policy.yaml:18:7: a person is missing 'id'",
        ],
        ErrorsOf(yaml));
    }

    [Fact]
    public void Load_DuplicateRuleId_PointsAtTheFirstDefinition()
    {
        var yaml = ValidTiers + """

            rules:
              - { id: a, summary: one, score: 1 }
              - { id: a, summary: two, score: 2 }
            """;

        Assert.Equal(["policy.yaml:11:5: duplicate rule id 'a' (first defined at line 10); rule ids must be unique"], ErrorsOf(yaml));
    }

    [Fact]
    public void Load_EmptyText_SaysHowToStart()
    {
        Assert.Equal(["policy.yaml:1:1: the policy file is empty; start with 'apiVersion: infraguard/v1' and a 'tiers:' section"], ErrorsOf(string.Empty));
    }

    [Fact]
    public void Load_IdentityNamingTwoPeopleInAnotherSpelling_IsReported()
    {
        var errors = ErrorsOf(ValidTiers + """

            identities:
              people:
                - id: alice
                  emails: [alice@example.com]
                - id: bob
                  emails: ["Email:ALICE@example.com."]
                - id: ALICE
            """);

        Assert.Equal(
        [
            "policy.yaml:13:7: 'Email:ALICE@example.com.' of person 'bob' also names person 'alice'; one identity must name one person",
            "policy.yaml:15:7: duplicate person id 'ALICE'; person ids must be unique (ignoring case, width and invisible characters)",
        ],
        errors);
    }
}
