using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Store.Tests;

/// <summary>Readable test data (Serilog's Some.* style).</summary>
internal static class Some
{
    public static Assessment Assessment(int approvals = 1) => new()
    {
        Tier = "production",
        Decision = Decision.Review,
        Score = 160,
        ReviewAt = 40,
        BlockAt = 400,
        ActorKind = ActorKind.Agent,
        Approvals = new ApprovalRequirement(approvals, ["group:sre-leads"], TimeSpan.FromHours(4)),
        Findings =
        [
            new Finding("db-scale-down", "urn:pulumi:prod::shop::aws:rds/instance:Instance::orders", "aws:rds/instance:Instance", ChangeOp.Update,
                "instanceClass", "db.r6g.2xlarge", "db.t4g.medium", 120, "Scaling a production database down cuts capacity"),
        ],
        Notes = ["scaled by agent weight 2.0"],
    };

    public static NewChangeRequest Request(string runId = "run-1", string planHash = "ab12", int approvals = 1) => new()
    {
        Stack = "prod",
        Project = "shop",
        Requester = new PersonRef("cost-bot", "github:cost-optimiser[bot]"),
        ActorKind = ActorKind.Agent,
        OnBehalfOf = "dana",
        CommitAuthors = ["dana@example.com"],
        CiRunId = runId,
        CiRunUrl = "https://ci.example/run/" + runId,
        PlanHash = planHash.PadRight(64, '0'),
        StateFingerprint = new string('f', 64),
        PolicyPackHash = new string('e', 64),
        Assessment = Assessment(approvals),
        Artifacts = [(ArtifactKind.SavedPlan, "{\"plan\":\"saved\"}"u8.ToArray()), (ArtifactKind.EngineOutput, [.. Enumerable.Repeat((byte)'x', 10_000)])],
    };

    public static DecisionInput Approve(string person) => new(new PersonRef(person, $"slack:U{person.ToUpperInvariant()}"), DecisionChannel.Of("Slack"), Verdict.Approve, "checked the plan");

    public static DecisionInput Reject(string person) => new(new PersonRef(person, $"slack:U{person.ToUpperInvariant()}"), DecisionChannel.Of("Slack"), Verdict.Reject, "not at 2 a.m.");

    public static PersonRef Runner { get; } = new("ci", "github-actions");
}
