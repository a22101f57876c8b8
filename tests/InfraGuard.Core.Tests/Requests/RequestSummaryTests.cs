using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Tests.Risk;

namespace InfraGuard.Core.Tests.Requests;

public class RequestSummaryTests
{
    private static readonly PolicyPack Pack = PolicyPackLoader.LoadDefault();

    [Fact]
    public void Sentence_AgentDownsizesDatabaseAndCutsBackups_SaysWhoWhatWhereWhy()
    {
        var change = Some.RdsScaleDown() with
        {
            Name = "orders-db",
            Address = Some.Urn("aws:rds/instance:Instance", "orders-db"),
            Properties = [.. Some.RdsScaleDown().Properties, new PropertyChange("backupRetentionPeriod", PropertyChangeKind.Update, 14, 1, false)],
        };
        var request = Request(Some.Set(change), ActorKind.Agent, onBehalfOf: "alice");

        Assert.Equal(
            "An AI agent (cost-bot) acting for alice wants to downsize production database orders-db (db.r6g.2xlarge → db.t4g.medium) " +
            "and cut its backupRetentionPeriod from 14 to 1 in stack prod; it needs review: score 140, review at 40.",
            RequestSummary.Sentence(request));
    }

    [Fact]
    public void Sentence_PersonDeletesTwoResources_NamesBothAndTheVerb()
    {
        var request = Request(
            Some.Set(Some.Resource("aws:rds/instance:Instance", ChangeOp.Delete, "ledger"), Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Replace, "exports")),
            ActorKind.Human);

        var sentence = RequestSummary.Sentence(request);

        Assert.StartsWith("cost-bot wants to delete production database ledger", sentence, StringComparison.Ordinal);
        Assert.Contains(" in stack prod; ", sentence, StringComparison.Ordinal);
        Assert.DoesNotContain("acting for", sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Sentence_AgentExportsRestrictedTable_SaysWhoWhatKindCommandAndWhy_WithoutTheSecret()
    {
        var action = Core.Actions.ProposedAction.Command("data.export", "prod/orders/customers", ["pg_dump", "--table=customers", "--password=hunter2", "orders"]);
        var a = Core.Actions.ActionRisk.Assess(action, new Core.Actions.ActionContext(ActorKind.Agent, "alice"), Pack);
        var request = Request(Some.Set(), ActorKind.Agent, onBehalfOf: "alice") with
        {
            Assessment = a,
            Score = a.Score,
            Decision = a.Decision,
            Kind = "data.export",
            Action = action.Redacted() with { Phrase = "export data from", DataClass = "restricted" },
        };

        Assert.Equal(
            "An AI agent (cost-bot) acting for alice wants to export data from prod/orders/customers (restricted data) (data.export, tier production) " +
            "with `pg_dump --table=customers --password=[secret] orders`; it needs review: score 220, review at 40.",
            RequestSummary.Sentence(request));
    }

    private static ChangeRequest Request(ChangeSet changes, ActorKind actor, string? onBehalfOf = null)
    {
        var a = RiskEngine.Assess(changes, Pack, new AssessmentContext("prod", actor, null));
        return new ChangeRequest
        {
            Id = "cr_aaaaaaaaaaaa",
            Stack = "prod",
            Project = "shop",
            Tier = a.Tier,
            Requester = new PersonRef("cost-bot", "github:cost-bot[bot]"),
            ActorKind = actor,
            OnBehalfOf = onBehalfOf,
            CommitAuthors = [],
            PlanHash = new string('a', 64),
            StateFingerprint = new string('b', 64),
            PolicyPackHash = Pack.Hash,
            Score = a.Score,
            Decision = a.Decision,
            RequiredApprovals = a.Approvals ?? new ApprovalRequirement(1, [], TimeSpan.FromHours(4)),
            CreatedAt = DateTimeOffset.UnixEpoch,
            ExpiresAt = DateTimeOffset.UnixEpoch.AddHours(4),
            State = RequestState.Pending,
            StateChangedAt = DateTimeOffset.UnixEpoch,
            Assessment = a,
        };
    }
}
