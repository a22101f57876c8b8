using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Core.Tests.Flow;

/// <summary>The pure rules of the approval flow over time: what is due when, who may break the glass or delegate, and the policy fields.</summary>
public class FlowRulesTests
{
    private const string Pack = """
        apiVersion: infraguard/v1
        tiers:
          production:
            stacks: [prod]
            review-at: 40
            approvals: { count: 2, from: ["group:sre-leads"], expires-after: 4h }
            remind-after: 1h
            escalate-after: 2h
            escalate-to: group:platform
            break-glass: { group: "group:sre-leads", review-within: 12h }
          dev:
            default: true
            review-at: 200
        rules: []
        identities:
          groups:
            sre-leads: {}
            platform: {}
          people:
            - { id: alice, emails: [alice@example.com], groups: [sre-leads] }
            - { id: carol, emails: [carol@example.com], groups: [platform] }
            - { id: ci-bot, logins: ["github:ci-bot"], groups: [sre-leads], kind: bot }
        """;

    private static readonly PolicyPack Policy = PolicyPackLoader.Load(Pack, "policy.yaml");
    private static readonly TierPolicy Production = Policy.FindTier("production")!;

    [Fact]
    public void PolicyParser_FlowFields_ReadIntoTheTier()
    {
        Assert.Equal(TimeSpan.FromHours(1), Production.RemindAfter);
        Assert.Equal(TimeSpan.FromHours(2), Production.EscalateAfter);
        Assert.Equal(["group:platform"], Production.EscalateTo);
        Assert.Equal(new BreakGlassPolicy("group:sre-leads", TimeSpan.FromHours(12)), Production.BreakGlass);
        Assert.Null(Policy.FindTier("dev")!.BreakGlass);
        Assert.Null(Policy.FindTier("dev")!.RemindAfter);
    }

    [Fact]
    public void DefaultPack_Production_RemindsEscalatesAndAllowsBreakGlass()
    {
        var production = PolicyPackLoader.LoadDefault().FindTier("production")!;

        Assert.NotNull(production.RemindAfter);
        Assert.NotEmpty(production.EscalateTo);
        Assert.Equal(TimeSpan.FromHours(24), production.BreakGlass?.ReviewWithin);
    }

    [Theory]
    [InlineData("    remind-after: 5h\n", "'remind-after' (5h) in tier 'production' is not before the approvals' 'expires-after' (4h)")]
    [InlineData("    escalate-after: 1h\n", "'escalate-after' in tier 'production' needs 'escalate-to'")]
    [InlineData("    escalate-to: group:platform\n", "'escalate-to' in tier 'production' needs 'escalate-after'")]
    [InlineData("    escalate-after: 1h\n    escalate-to: group:nobody\n", "unknown group 'nobody' in approvals of tier 'production'")]
    [InlineData("    break-glass: { group: alice }\n", "'group' of 'break-glass' in tier 'production' must be 'group:NAME'")]
    [InlineData("    break-glass: { review-within: 1h }\n", "'break-glass' in tier 'production' is missing 'group'")]
    [InlineData("    break-glass: { group: \"group:sre-leads\", within: 1h }\n", "unknown field 'within'")]
    [InlineData("    remind-after: soon\n", "'remind-after' in tier 'production'")]
    public void PolicyParser_BadFlowField_SaysWhatWhereAndWhatNext(string line, string expected)
    {
        var yaml = $$"""
            apiVersion: infraguard/v1
            tiers:
              production:
                default: true
                review-at: 40
                approvals: { expires-after: 4h }
            {{line}}identities:
              groups: { sre-leads: {}, platform: {} }
              people: [{ id: alice, groups: [sre-leads] }]
            """;

        var error = Assert.Throws<PolicyException>(() => PolicyPackLoader.Load(yaml, "policy.yaml"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("policy.yaml:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FollowUpPlanner_OverTime_RemindsEachIntervalEscalatesOnceAndStopsAtExpiry()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
        var request = Request(time.GetUtcNow());
        var seen = new List<string>();
        for (var minute = 0; minute <= 300; minute += 10)
        {
            foreach (var due in FollowUpPlanner.Due(request, Production, time.GetUtcNow()))
            {
                seen.Add($"{due.KindName}#{due.Level}");
            }

            time.Advance(TimeSpan.FromMinutes(10));
        }

        var distinct = seen.Distinct().ToList();
        Assert.Equal(["reminder#1", "reminder#2", "escalation#1", "reminder#3"], distinct);
        Assert.Empty(FollowUpPlanner.Due(request, Production, request.CreatedAt.AddMinutes(59)));
        Assert.Empty(FollowUpPlanner.Due(request, Production, request.ExpiresAt));
        Assert.Empty(FollowUpPlanner.Due(request with { State = RequestState.Approved }, Production, request.CreatedAt.AddHours(3)));
        var escalation = Assert.Single(FollowUpPlanner.Due(request, Production, request.CreatedAt.AddHours(2)), f => f.Kind == FollowUpKind.Escalation);
        Assert.Equal(["group:platform"], escalation.Principals);
        Assert.Equal(request.CreatedAt.AddHours(2), escalation.DueAt);
    }

    [Fact]
    public void FollowUpPlanner_BreakGlassReviewWindow_OverdueOnlyAfterItAndUntilReviewed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
        var use = new BreakGlassUse("cr_x", new PersonRef("alice", "github:alice"), "INC-1", "database is down", "production", time.GetUtcNow(), time.GetUtcNow().AddHours(12), 2);

        time.Advance(TimeSpan.FromHours(11));
        var within = FollowUpPlanner.Overdue(use, 0, time.GetUtcNow(), ["group:platform"]);
        time.Advance(TimeSpan.FromHours(1));
        var due = FollowUpPlanner.Overdue(use, 1, time.GetUtcNow(), ["group:platform"]);
        time.Advance(TimeSpan.FromDays(1));
        var nextDay = FollowUpPlanner.Overdue(use, 1, time.GetUtcNow(), []);
        var reviewed = FollowUpPlanner.Overdue(use, 2, time.GetUtcNow(), []);

        Assert.Null(within);
        Assert.Equal(1, due?.Level);
        Assert.Equal(2, nextDay?.Level);
        Assert.Null(reviewed);
        Assert.Contains("Escalated to group:platform", FollowUpPlanner.Text(due!, Request(use.UsedAt)), StringComparison.Ordinal);
    }

    [Fact]
    public void BreakGlassRules_PersonInGroup_Allowed()
    {
        Assert.Null(BreakGlassRules.Refusal(Production, Person("alice"), ActorKind.Human, Ask()));
    }

    [Theory]
    [InlineData("carol", ActorKind.Human, "break-glass-not-in-group")]
    [InlineData("alice", ActorKind.Agent, "break-glass-agent")]
    [InlineData("ci-bot", ActorKind.Pipeline, "break-glass-not-a-person")]
    public void BreakGlassRules_OutsideGroupAgentOrBot_Refused(string who, ActorKind kind, string rule)
    {
        var refusal = BreakGlassRules.Refusal(Production, Person(who), kind, Ask());

        Assert.Equal(rule, refusal?.Rule);
    }

    [Fact]
    public void BreakGlassRules_TierWithoutBreakGlassOrNoIncident_Refused()
    {
        Assert.Equal("break-glass-not-allowed", BreakGlassRules.Refusal(Policy.FindTier("dev")!, Person("alice"), ActorKind.Human, Ask())?.Rule);
        Assert.Equal("break-glass-incident", BreakGlassRules.Refusal(Production, Person("alice"), ActorKind.Human, Ask() with { Incident = " " })?.Rule);
        Assert.Equal("break-glass-reason", BreakGlassRules.Refusal(Production, Person("alice"), ActorKind.Human, Ask() with { Reason = "urgent" })?.Rule);
    }

    [Fact]
    public void DelegationRules_SelfOrForSomeoneElse_Refused()
    {
        var now = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var alice = new PersonRef("alice", "github:alice");
        var bob = new PersonRef("bob", "github:bob");
        var carol = new PersonRef("carol", "github:carol");

        Assert.Equal("self-delegation", DelegationRules.Problem(alice, new PersonRef("ALICE", "email:alice"), now, now.AddDays(1), alice, false, now)?.Rule);
        Assert.Equal("not-delegator", DelegationRules.Problem(alice, carol, now, now.AddDays(1), carol, false, now)?.Rule);
        Assert.Null(DelegationRules.Problem(alice, carol, now, now.AddDays(1), bob, actorIsAdmin: true, now));
        Assert.Equal("bad-window", DelegationRules.Problem(alice, carol, now, now.AddDays(-1), alice, false, now)?.Rule);
        Assert.Equal("bad-window", DelegationRules.Problem(alice, carol, now, now.AddDays(91), alice, false, now)?.Rule);
        Assert.Null(DelegationRules.Problem(alice, carol, now, now.AddDays(7), alice, false, now));
    }

    [Fact]
    public void Delegation_ActiveAt_FromInclusiveUntilExclusiveAndNotRevoked()
    {
        var from = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var d = new Delegation("dl_1", new PersonRef("alice", "a"), new PersonRef("carol", "c"), from, from.AddDays(1), null, new PersonRef("alice", "a"), from);

        Assert.False(d.ActiveAt(from.AddTicks(-1)));
        Assert.True(d.ActiveAt(from));
        Assert.False(d.ActiveAt(from.AddDays(1)));
        Assert.False((d with { RevokedAt = from }).ActiveAt(from.AddHours(1)));
    }

    [Fact]
    public void ApprovalRules_DelegateOfEligiblePerson_CountsAsEligible()
    {
        var subject = Subject();
        var carol = ApprovalDesk.ApproverFor(Policy.Identities, "email:carol@example.com");
        var withDelegation = carol with { Delegators = [ApprovalDesk.ApproverFor(Policy.Identities, "alice")] };
        var now = subject.ExpiresAt.AddHours(-1);

        var alone = ApprovalRules.Evaluate(subject, carol, Verdict.Approve, "checked the plan", subject.PlanHash, now);
        var asDelegate = ApprovalRules.Evaluate(subject, withDelegation, Verdict.Approve, "checked the plan", subject.PlanHash, now);
        var afterDelegator = ApprovalRules.Evaluate(subject with { Decisions = [new PriorDecision("alice", Verdict.Approve)] }, withDelegation, Verdict.Approve, "checked the plan", subject.PlanHash, now);
        var escalated = ApprovalRules.Evaluate(subject with { EscalatedTo = ["group:platform"] }, carol, Verdict.Approve, "checked the plan", subject.PlanHash, now);

        Assert.Equal("ineligible-approver", alone.Rule);
        Assert.True(asDelegate.Accepted, asDelegate.Reason);
        Assert.Equal("delegator-already-decided", afterDelegator.Rule);
        Assert.True(escalated.Accepted, escalated.Reason);
    }

    [Fact]
    public void ApprovalRules_SelfDelegationToApproveOwnChange_Refused()
    {
        // Attack: the requester gets a delegation from an eligible approver and approves their own change.
        var subject = Subject() with { RequesterPersonId = "carol" };
        var carol = ApprovalDesk.ApproverFor(Policy.Identities, "email:carol@example.com") with { Delegators = [ApprovalDesk.ApproverFor(Policy.Identities, "alice")] };

        var outcome = ApprovalRules.Evaluate(subject, carol, Verdict.Approve, "checked the plan", subject.PlanHash, subject.ExpiresAt.AddHours(-1));

        Assert.Equal("self-approval", outcome.Rule);
    }

    private static ApprovalSubject Subject() =>
        new("p".PadRight(64, '0'), "dana", null, [], Production.Approvals, new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero), []);

    private static Approver Person(string who) => ApprovalDesk.ApproverFor(Policy.Identities, who);

    private static BreakGlassAsk Ask() => new("INC-7", "payments down, rolling back now");

    private static ChangeRequest Request(DateTimeOffset created) => new()
    {
        Id = "cr_flowtest00001",
        Stack = "prod",
        Project = "shop",
        Tier = "production",
        Requester = new PersonRef("dana", "github:dana"),
        ActorKind = ActorKind.Pipeline,
        CommitAuthors = [],
        PlanHash = "p".PadRight(64, '0'),
        StateFingerprint = new string('f', 64),
        PolicyPackHash = new string('e', 64),
        Score = 60,
        Decision = Decision.Review,
        RequiredApprovals = Production.Approvals,
        CreatedAt = created,
        ExpiresAt = created + Production.Approvals.ExpiresAfter,
        State = RequestState.Pending,
        StateChangedAt = created,
        Assessment = new Assessment
        {
            Tier = "production",
            Decision = Decision.Review,
            Score = 60,
            ReviewAt = 40,
            BlockAt = int.MaxValue,
            ActorKind = ActorKind.Pipeline,
            Findings = [],
        },
    };
}
