using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Teams.Cards;

namespace InfraGuard.Teams.Tests.Cards;

/// <summary>The Adaptive Cards InfraGuard posts and answers with.</summary>
public sealed class CardsTests
{
    private static readonly ApprovalCards Cards = new(new Uri("https://infraguard.example.com"));

    internal static ChangeRequest Request(string stack = "prod", RequestState state = RequestState.Pending) => new()
    {
        Id = "cr_test0000001",
        Stack = stack,
        Project = "shop",
        Tier = "production",
        Requester = new PersonRef("carol", "github:carol-example"),
        ActorKind = ActorKind.Agent,
        OnBehalfOf = "carol",
        CommitAuthors = [],
        PlanHash = new string('a', 64),
        StateFingerprint = new string('f', 64),
        PolicyPackHash = new string('b', 64),
        Score = 160,
        Decision = Decision.Review,
        RequiredApprovals = new ApprovalRequirement(1, ["group:sre-leads"], TimeSpan.FromHours(4)),
        CreatedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(2026, 11, 25, 6, 0, 0, TimeSpan.Zero),
        State = state,
        StateChangedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
        Assessment = new Assessment
        {
            Tier = "production",
            Decision = Decision.Review,
            Score = 160,
            ReviewAt = 40,
            BlockAt = 400,
            ActorKind = ActorKind.Agent,
            Approvals = new ApprovalRequirement(1, ["group:sre-leads"], TimeSpan.FromHours(4)),
            Findings = [new Finding("db-scale-down", "aws:rds/instance:Instance::orders-db", "aws:rds/instance:Instance", ChangeOp.Update, "instanceClass", "db.r6g.2xlarge", "db.t4g.medium", 60, "Database instance size goes down")],
        },
    };

    internal static JsonObject CardActivity() => ApprovalCards.CardActivity(Cards.Pending(Request(), []), "InfraGuard");

    private static IEnumerable<JsonObject> All(JsonNode node, string type) =>
        node.AsObject().SelectMany(p => p.Value switch
        {
            JsonObject o => All(o, type),
            JsonArray a => a.OfType<JsonObject>().SelectMany(o => All(o, type)),
            _ => [],
        }).Concat(node["type"]?.GetValueKind() == JsonValueKind.String && node["type"]!.GetValue<string>() == type ? [node.AsObject()] : []);

    /// <summary>Every string in the card, as Teams would read it (markdown escapes kept).</summary>
    private static string Texts(JsonNode node) => node switch
    {
        JsonObject o => string.Join("\n", o.Select(p => p.Value is null ? "" : Texts(p.Value))),
        JsonArray a => string.Join("\n", a.Select(e => e is null ? "" : Texts(e))),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => "",
    };

    [Fact]
    public void Pending_ApproveRejectWithRequestAndPlan_ReasonInput_Facts_Link()
    {
        var card = Cards.Pending(Request(), []);
        var text = Texts(card);

        Assert.Equal("1.5", card["version"]!.GetValue<string>());
        var executes = All(card, "Action.Execute").ToList();
        Assert.Equal([ApprovalCards.ApproveVerb, ApprovalCards.RejectVerb], executes.Select(e => e["verb"]!.GetValue<string>()));
        Assert.All(executes, e => Assert.Equal("cr_test0000001", e["data"]!["requestId"]!.GetValue<string>()));
        Assert.All(executes, e => Assert.Equal(new string('a', 64), e["data"]!["planHash"]!.GetValue<string>()));
        Assert.Equal(ApprovalCards.ReasonInputId, Assert.Single(All(card, "Input.Text"))["id"]!.GetValue<string>());
        Assert.Equal("https://infraguard.example.com/requests/cr_test0000001", Assert.Single(All(card, "Action.OpenUrl"))["url"]!.GetValue<string>());
        Assert.Contains("2026\\-11\\-25 06:00 UTC", text, StringComparison.Ordinal);       // expiry
        Assert.Contains("db\\-scale\\-down", text, StringComparison.Ordinal);               // the finding
        Assert.Contains(ApprovalCards.Escape(RequestSummary.Sentence(Request())), text, StringComparison.Ordinal); // the summary sentence leads
    }

    [Fact]
    public void Pending_EveryElementTypeIsInTheAdaptiveCards15Schema()
    {
        using var schema = JsonDocument.Parse(TeamsStandIn.Fixture("cards", "adaptive-card-1.5.0.schema.json"));
        var defined = schema.RootElement.GetProperty("definitions").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var types = new List<string>();
        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    if (o["type"] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                    {
                        types.Add(v.GetValue<string>());
                    }

                    foreach (var p in o)
                    {
                        Walk(p.Value);
                    }

                    break;
                case JsonArray a:
                    foreach (var e in a)
                    {
                        Walk(e);
                    }

                    break;
            }
        }

        Walk(Cards.Pending(Request(), [], refusal: "no"));
        Walk(Cards.Decided(Request(state: RequestState.Approved), []));

        Assert.Contains("Action.Execute", types);
        Assert.All(types, t => Assert.Contains(t, defined));
    }

    [Fact]
    public void Decided_NoExecuteNoInput_ShowsDecisionAndReason()
    {
        var decision = new RequestDecision("cr_test0000001", new PersonRef("bob", "teams:b"), DecisionChannel.Of("Teams"), Verdict.Approve, "Checked the snapshot.", DateTimeOffset.UnixEpoch);

        var card = Cards.Decided(Request(state: RequestState.Approved), [decision]);

        Assert.Empty(All(card, "Action.Execute"));
        Assert.Empty(All(card, "Input.Text"));
        Assert.Contains("Approved by bob: Checked the snapshot.", Texts(card), StringComparison.Ordinal);
        Assert.Contains("approved", card["body"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Pending_WithRefusal_ShowsItAndKeepsActions()
    {
        var card = Cards.Pending(Request(), [], refusal: "You requested this change.");

        Assert.Contains("Not recorded: You requested this change.", Texts(card), StringComparison.Ordinal);
        Assert.Equal(2, All(card, "Action.Execute").Count());
    }

    [Fact]
    public void Pending_MarkdownInStack_Escaped()
    {
        var card = Cards.Pending(Request(stack: "prod [click](https://evil.example)"), []);

        Assert.DoesNotContain("[click](https", Texts(card), StringComparison.Ordinal);
        Assert.Contains("\\[click\\]\\(https", Texts(card), StringComparison.Ordinal);
    }

    [Fact]
    public void InvokeResponse_Shape_StatusTypeValue()
    {
        var card = Cards.Decided(Request(state: RequestState.Rejected), []);

        var response = ApprovalCards.InvokeResponse(card);

        Assert.Equal(200, response["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", response["type"]!.GetValue<string>());
        Assert.Same(card, response["value"]);
    }
}
