using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Slack.Tests;

/// <summary>Readable test data.</summary>
internal static class Some
{
    public static readonly DateTimeOffset Now = new(2026, 8, 3, 9, 30, 0, TimeSpan.Zero);

    public const string PlanHash = "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4";

    public static string Urn(int i) => $"urn:pulumi:prod::shop::aws:rds/instance:Instance::orders-db-{i}";

    /// <summary>A change set with <paramref name="resources"/> changes, each with three property changes (values already redacted).</summary>
    public static ChangeSet Changes(int resources)
    {
        var ops = new[] { ChangeOp.Update, ChangeOp.Replace, ChangeOp.Delete, ChangeOp.Create };
        var changes = Enumerable.Range(1, resources).Select(i => new ResourceChange
        {
            Address = Urn(i),
            Name = $"orders-db-{i}",
            Type = "aws:rds/instance:Instance",
            Op = ops[i % ops.Length],
            EngineOp = "update",
            Properties =
            [
                new PropertyChange("instanceClass", PropertyChangeKind.Update, JsonValue.Create("db.r6g.large"), JsonValue.Create("db.r6g.xlarge"), false),
                new PropertyChange("password", PropertyChangeKind.Update, JsonValue.Create(Redaction.SecretMarker), JsonValue.Create(Redaction.SecretMarker), false),
                new PropertyChange("tags[\"owner\"]", PropertyChangeKind.Add, null, JsonValue.Create("team-orders <ops@example.com>"), false),
            ],
        }).ToList();
        return new ChangeSet
        {
            Engine = EngineKind.Pulumi,
            Stack = "prod",
            Changes = changes,
            Counts = changes.GroupBy(c => c.Op).ToDictionary(g => g.Key, g => g.Count()),
            Complete = true,
        };
    }

    public static ChangeRequest Request(int findings = 3, string requesterRaw = "github:alice", string stack = "prod")
    {
        var list = Enumerable.Range(1, findings).Select(i => new Finding(
            $"rule-{i}",
            Urn(i),
            "aws:rds/instance:Instance",
            i % 2 == 0 ? ChangeOp.Delete : ChangeOp.Replace,
            "instanceClass",
            "db.r6g.large",
            "db.r6g.xlarge",
            100 - i,
            $"Replacing a stateful database <{i}> loses data & connections")).ToList();
        var assessment = new Assessment
        {
            Tier = "critical",
            Decision = Decision.Review,
            Score = list.Sum(f => f.Points),
            ReviewAt = 50,
            BlockAt = 1000,
            Findings = list,
            Approvals = new ApprovalRequirement(2, ["group:sre-leads"], TimeSpan.FromHours(1)),
            ActorKind = ActorKind.Pipeline,
        };
        return new ChangeRequest
        {
            Id = "cr_ab12cd34ef56",
            Stack = stack,
            Project = "shop",
            Tier = assessment.Tier,
            Requester = new PersonRef("alice", requesterRaw),
            ActorKind = ActorKind.Pipeline,
            CommitAuthors = ["alice"],
            CiRunId = "run-4711",
            CiRunUrl = "https://github.com/acme/shop/actions/runs/4711",
            PlanHash = PlanHash,
            StateFingerprint = new string('a', 64),
            PolicyPackHash = new string('b', 64),
            Score = assessment.Score,
            Decision = assessment.Decision,
            RequiredApprovals = assessment.Approvals,
            CreatedAt = Now,
            ExpiresAt = Now.AddHours(1),
            State = RequestState.Pending,
            StateChangedAt = Now,
            Assessment = assessment,
        };
    }
}

internal static class MessageText
{
    /// <summary>Every text and url value in a message, joined by newlines (unescaped, unlike ToJsonString).</summary>
    public static string AllText(this InfraGuard.Slack.Messages.SlackMessage message) =>
        message.Text + "\n" + string.Join('\n', Collect(message.Blocks));

    private static IEnumerable<string> Collect(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(kv => kv.Value is JsonValue v && v.TryGetValue<string>(out var s) && kv.Key is "text" or "url" or "value" ? [s] : Collect(kv.Value)),
        JsonArray a => a.SelectMany(Collect),
        _ => [],
    };
}
