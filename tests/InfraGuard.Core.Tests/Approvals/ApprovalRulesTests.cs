using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Tests.Approvals;

public class ApprovalRulesTests
{
    private const string Plan = "9f2c1a7b3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 2, 10, 0, TimeSpan.Zero);

    private static ApprovalSubject Subject(int count = 1, IReadOnlyList<PriorDecision>? decisions = null) => new(
        Plan,
        RequesterPersonId: "agent-runner",
        OnBehalfOfPersonId: "dana",
        CommitAuthorPersonIds: ["erin"],
        new ApprovalRequirement(count, ["group:sre-leads"], TimeSpan.FromHours(4)),
        ExpiresAt: Now.AddHours(1),
        decisions ?? []);

    private static Approver Person(string id, params string[] groups) => new(id, "slack:U" + id.ToUpperInvariant(), new HashSet<string>(groups));

    [Fact]
    public void Evaluate_IndependentEligibleApprover_Approves()
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person("sam", "sre-leads"), Verdict.Approve, "checked with on-call, safe", Plan, Now);

        Assert.True(outcome.Accepted);
        Assert.Equal(ApprovalStanding.Approved, outcome.Standing);
        Assert.Equal(1, outcome.Approvals);
    }

    [Theory]
    [InlineData("agent-runner", "You requested this change")]
    [InlineData("dana", "acts on your behalf")]
    [InlineData("erin", "authored a commit")]
    [InlineData("AGENT-RUNNER", "You requested this change")]
    public void Evaluate_NotIndependent_RefusedWithReason(string who, string expected)
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person(who, "sre-leads"), Verdict.Approve, "looks fine to me", Plan, Now);

        Assert.False(outcome.Accepted);
        Assert.Contains(expected, outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NotInEligibleGroup_Refused()
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person("pat", "developers"), Verdict.Approve, "looks fine to me", Plan, Now);

        Assert.False(outcome.Accepted);
        Assert.Contains("not eligible", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("group:sre-leads", outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("ok")]
    public void Evaluate_MissingOrShortReason_Refused(string? reason)
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person("sam", "sre-leads"), Verdict.Approve, reason, Plan, Now);

        Assert.False(outcome.Accepted);
        Assert.Contains("reason", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_AfterExpiry_Refused()
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person("sam", "sre-leads"), Verdict.Approve, "checked with on-call", Plan, Now.AddHours(1));

        Assert.False(outcome.Accepted);
        Assert.Contains("expired", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_OtherPlanHash_Refused()
    {
        var outcome = ApprovalRules.Evaluate(Subject(), Person("sam", "sre-leads"), Verdict.Approve, "checked with on-call", new string('0', 64), Now);

        Assert.False(outcome.Accepted);
        Assert.Contains("plan 000000000000", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BotOrGuest_Refused()
    {
        var bot = Person("deploy-bot", "sre-leads") with { IsBot = true };
        var guest = Person("contractor", "sre-leads") with { IsGuest = true };

        Assert.Contains("Bots", ApprovalRules.Evaluate(Subject(), bot, Verdict.Approve, "automated approval", Plan, Now).Reason, StringComparison.Ordinal);
        Assert.Contains("Guest", ApprovalRules.Evaluate(Subject(), guest, Verdict.Approve, "looks fine to me", Plan, Now).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TwoOfThree_PendingThenApproved()
    {
        var first = ApprovalRules.Evaluate(Subject(count: 2), Person("sam", "sre-leads"), Verdict.Approve, "checked with on-call", Plan, Now);
        var second = ApprovalRules.Evaluate(
            Subject(count: 2, [new PriorDecision("sam", Verdict.Approve)]), Person("kim", "sre-leads"), Verdict.Approve, "agree, capacity is fine", Plan, Now);

        Assert.Equal(ApprovalStanding.Pending, first.Standing);
        Assert.Equal(ApprovalStanding.Approved, second.Standing);
        Assert.Equal(2, second.Approvals);
    }

    [Fact]
    public void Evaluate_SamePersonTwice_Refused()
    {
        var outcome = ApprovalRules.Evaluate(
            Subject(count: 2, [new PriorDecision("sam", Verdict.Approve)]), Person("sam", "sre-leads"), Verdict.Approve, "approving again", Plan, Now);

        Assert.False(outcome.Accepted);
        Assert.Contains("already decided", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_EligibleRejectionAfterOneApproval_EndsRequest()
    {
        var outcome = ApprovalRules.Evaluate(
            Subject(count: 2, [new PriorDecision("sam", Verdict.Approve)]), Person("kim", "sre-leads"), Verdict.Reject, "this drops capacity below peak", Plan, Now);

        Assert.True(outcome.Accepted);
        Assert.Equal(ApprovalStanding.Rejected, outcome.Standing);
    }

    [Fact]
    public void IsEligible_PersonPrincipalOrEmptyList_Matches()
    {
        Assert.True(ApprovalRules.IsEligible(Person("sam"), ["person:sam"]));
        Assert.True(ApprovalRules.IsEligible(Person("sam"), []));
        Assert.False(ApprovalRules.IsEligible(Person("sam"), ["person:kim", "group:dba"]));
    }
}
