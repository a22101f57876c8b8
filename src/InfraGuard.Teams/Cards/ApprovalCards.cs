using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Teams.Activities;

namespace InfraGuard.Teams.Cards;

/// <summary>What a click on InfraGuard's card asked for: a verdict on a request, with the typed reason.</summary>
/// <param name="Verdict">Approve or reject (from the <c>verb</c>).</param>
/// <param name="RequestId">The request the card is about (from the action's <c>data</c>).</param>
/// <param name="Reason">The reason typed into the card (the <c>reason</c> input, merged into <c>data</c> by Teams).</param>
/// <param name="PlanHash">The plan the card showed, so the decision binds to it.</param>
public sealed record CardDecision(Verdict Verdict, string RequestId, string? Reason, string? PlanHash);

/// <summary>
/// InfraGuard's Adaptive Cards (v1.5, Universal Actions): the pending card with Approve / Reject
/// (<c>Action.Execute</c> verbs carrying the request id and plan hash) and a required reason (<c>Input.Text</c>),
/// the decided card without actions, and the refusal card; plus reading the <c>adaptiveCard/action</c> invoke and
/// writing its response. Text from requests (stack, resources, reasons) is escaped so it cannot add links or markup.
/// </summary>
public sealed class ApprovalCards(Uri webBaseUrl)
{
    public const string ApproveVerb = "approve";
    public const string RejectVerb = "reject";
    public const string ReasonInputId = "reason";
    public const string CardContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>Findings shown on a card; the rest are on the web page (Teams messages are limited to about 28 KB).</summary>
    public const int MaxFindings = 12;

    /// <summary>The request's web page.</summary>
    public Uri PageUrl(string requestId) => new(new Uri(webBaseUrl.AbsoluteUri.TrimEnd('/') + "/"), "requests/" + Uri.EscapeDataString(requestId));

    /// <summary>The card while decisions are pending; <paramref name="refusal"/> shows why the viewer's decision was refused.</summary>
    public JsonObject Pending(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, string? refusal = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var body = Summary(request, "needs approval", "Warning");
        if (decisions.Count > 0)
        {
            body.Add(Text(DecisionLines(decisions, request.RequiredApprovals.Count), wrap: true));
        }

        if (refusal is { Length: > 0 })
        {
            body.Add(new JsonObject { ["type"] = "TextBlock", ["id"] = "refusal", ["text"] = "Not recorded: " + Escape(refusal), ["wrap"] = true, ["color"] = "Attention", ["weight"] = "Bolder" });
        }

        body.Add(new JsonObject
        {
            ["type"] = "Input.Text",
            ["id"] = ReasonInputId,
            ["label"] = "Reason (kept in the audit log)",
            ["placeholder"] = "Why approve or reject this change?",
            ["isMultiline"] = true,
            ["isRequired"] = true,
            ["errorMessage"] = "A reason is required.",
            ["maxLength"] = 1000,
        });
        var data = new JsonObject { ["requestId"] = request.Id, ["planHash"] = request.PlanHash };
        return Card(body, new JsonArray(
            Execute(ApproveVerb, "Approve", "positive", data),
            Execute(RejectVerb, "Reject", "destructive", data),
            OpenUrl(request.Id)));
    }

    /// <summary>The card once decided (or expired, superseded, …): who decided and why, no actions but the web page.</summary>
    public JsonObject Decided(ChangeRequest request, IReadOnlyList<RequestDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var word = Word(request.State);
        var body = Summary(request, word, request.State == RequestState.Approved ? "Good" : "Attention");
        body.Add(Text(decisions.Count > 0 ? DecisionLines(decisions, request.RequiredApprovals.Count) : $"No decision: the request was {word}.", wrap: true, id: "decision"));
        return Card(body, new JsonArray(OpenUrl(request.Id)));
    }

    /// <summary>A card that only says why nothing was recorded (the request is gone, or the click was not InfraGuard's).</summary>
    public static JsonObject Refusal(string text) =>
        Card(new JsonArray(new JsonObject { ["type"] = "TextBlock", ["id"] = "refusal", ["text"] = "Not recorded: " + Escape(text), ["wrap"] = true, ["color"] = "Attention" }), new JsonArray());

    /// <summary>The thread reply saying the request was decided, for the requester.</summary>
    public static string DecidedText(ChangeRequest request, IReadOnlyList<RequestDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var approved = request.State == RequestState.Approved;
        var by = string.Join(", ", decisions.Where(d => d.Verdict == (approved ? Verdict.Approve : Verdict.Reject)).Select(d => Escape(d.Approver.PersonId)));
        return $"{Escape(request.Requester.PersonId)}: your change to **{Escape(request.Stack)}** was **{(approved ? "approved" : "rejected")}** by {by}. "
            + (approved ? "The waiting run will apply exactly this plan." : "The run stops without applying.");
    }

    /// <summary>The thread reply saying what the apply did.</summary>
    public string OutcomeText(ChangeRequest request, ApplyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(outcome);
        var counts = string.Join(", ", outcome.Counts.Where(c => c.Value > 0).OrderBy(c => c.Key).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Value} {c.Key.ToString().ToLowerInvariant()}")));
        return outcome.Succeeded
            ? $"Applied plan `{Short(request.PlanHash)}` to **{Escape(request.Stack)}**{(counts.Length > 0 ? ": " + counts : "")}."
            : string.Create(CultureInfo.InvariantCulture, $"Apply of plan `{Short(request.PlanHash)}` to **{Escape(request.Stack)}** failed (exit code {outcome.ExitCode}){(counts.Length > 0 ? "; done before the failure: " + counts : "")}. Diagnostics: [request page]({PageUrl(request.Id)}).");
    }

    /// <summary>A message activity carrying <paramref name="card"/>.</summary>
    public static JsonObject CardActivity(JsonObject card, string summary) => new()
    {
        ["type"] = "message",
        ["summary"] = summary,
        ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = CardContentType, ["content"] = card }),
    };

    /// <summary>A plain message activity (markdown text).</summary>
    public static JsonObject TextActivity(string text) => new() { ["type"] = "message", ["textFormat"] = "markdown", ["text"] = text };

    /// <summary>The invoke response that replaces the clicked card: <c>{statusCode: 200, type: adaptive card, value: card}</c>.</summary>
    public static JsonObject InvokeResponse(JsonObject card) => new() { ["statusCode"] = 200, ["type"] = CardContentType, ["value"] = card };

    /// <summary>The invoke response for an action that is not InfraGuard's (<c>400</c>, <c>application/vnd.microsoft.error</c>).</summary>
    public static JsonObject InvokeError(string message) => new()
    {
        ["statusCode"] = 400,
        ["type"] = "application/vnd.microsoft.error",
        ["value"] = new JsonObject { ["code"] = "BadRequest", ["message"] = message },
    };

    /// <summary>Reads an <c>adaptiveCard/action</c> invoke from InfraGuard's card; null when it is not one (no approve/reject verb or no request id).</summary>
    public static CardDecision? ReadAction(TeamsActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (!activity.IsCardAction || activity.Value.ValueKind != JsonValueKind.Object
            || !activity.Value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object
            || TeamsActivityParser.Str(action, "type") != "Action.Execute")
        {
            return null;
        }

        Verdict? verdict = TeamsActivityParser.Str(action, "verb") switch
        {
            ApproveVerb => Verdict.Approve,
            RejectVerb => Verdict.Reject,
            _ => null,
        };
        if (verdict is null || !action.TryGetProperty("data", out var data) || TeamsActivityParser.Str(data, "requestId") is not { Length: > 0 } id)
        {
            return null;
        }

        return new CardDecision(verdict.Value, id, TeamsActivityParser.Str(data, ReasonInputId), TeamsActivityParser.Str(data, "planHash"));
    }

    /// <summary>
    /// Escapes Adaptive Card markdown so request text (stack names, resource addresses, reasons) shows as typed and
    /// cannot make links, emphasis or lists.
    /// </summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '_' or '[' or ']' or '(' or ')' or '`' or '~' or '#' or '>' or '<' or '-' or '+' or '!' or '|')
            {
                sb.Append('\\');
            }

            sb.Append(c is '\r' or '\n' ? ' ' : c);
        }

        return sb.ToString();
    }

    private static JsonArray Summary(ChangeRequest request, string state, string color)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["id"] = "title", ["text"] = $"InfraGuard: {Escape(request.Stack)} ({Escape(request.Tier)}) {state}", ["weight"] = "Bolder", ["size"] = "Medium", ["color"] = color, ["wrap"] = true },
            Text(Escape(RequestSummary.Sentence(request)), wrap: true, id: "summary"),
            new JsonObject
            {
                ["type"] = "FactSet",
                ["facts"] = new JsonArray(
                    Fact("Request", request.Id),
                    Fact("Requested by", Requester(request)),
                    Fact("Risk score", request.Score.ToString(CultureInfo.InvariantCulture)),
                    Fact("Needs", Needs(request)),
                    Fact("Plan hash", request.PlanHash),
                    Fact("Expires", request.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))),
            },
        };
        var findings = request.Assessment.Findings;
        if (findings.Count > 0)
        {
            var lines = findings.Take(MaxFindings).Select(f =>
                $"- **{Escape(f.RuleId)}** +{f.Points.ToString(CultureInfo.InvariantCulture)}: {f.Op.ToString().ToLowerInvariant()} {Escape(f.Address)}: {Escape(f.Reason)}"
                + (f.Path is null ? "" : $" ({Escape(f.Path)}: {Escape(f.Before ?? "-")} → {Escape(f.After ?? "-")})"));
            var more = findings.Count > MaxFindings ? $"\n\n{(findings.Count - MaxFindings).ToString(CultureInfo.InvariantCulture)} more finding(s) on the web page." : "";
            body.Add(Text(string.Join("\n", lines) + more, wrap: true, id: "findings"));
        }

        return body;
    }

    /// <summary>One sentence: who (and for whom), what, where, and why it needs review.</summary>
    private static string Requester(ChangeRequest request) =>
        request.OnBehalfOf is { Length: > 0 } principal
            ? $"{request.Requester.PersonId} ({request.ActorKind.ToString().ToLowerInvariant()} acting for {principal})"
            : $"{request.Requester.PersonId} ({request.ActorKind.ToString().ToLowerInvariant()})";

    private static string Needs(ChangeRequest request)
    {
        var r = request.RequiredApprovals;
        var count = r.Count.ToString(CultureInfo.InvariantCulture);
        return r.From.Count == 0 ? $"{count} independent approval(s)" : $"{count} approval(s) from {string.Join(", ", r.From)}";
    }

    private static string DecisionLines(IReadOnlyList<RequestDecision> decisions, int required) =>
        string.Join("\n\n", decisions.Select(d => $"{(d.Verdict == Verdict.Approve ? "✅ Approved" : "❌ Rejected")} by {Escape(d.Approver.PersonId)}: {Escape(Fit(d.Reason, 500))}"))
        + (decisions.Count(d => d.Verdict == Verdict.Approve) is var n && n > 0 && required > 1 ? string.Create(CultureInfo.InvariantCulture, $"\n\n{n} of {required} approvals") : "");

    private static string Word(RequestState state) => state switch
    {
        RequestState.Approved => "approved",
        RequestState.Rejected => "rejected",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static JsonObject Card(JsonArray body, JsonArray actions) => new()
    {
        ["type"] = "AdaptiveCard",
        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
        ["version"] = "1.5",
        ["msteams"] = new JsonObject { ["width"] = "Full" },
        ["body"] = body,
        ["actions"] = actions,
    };

    private static JsonObject Execute(string verb, string title, string style, JsonObject data) => new()
    {
        ["type"] = "Action.Execute",
        ["verb"] = verb,
        ["title"] = title,
        ["style"] = style,
        ["associatedInputs"] = "auto",
        ["data"] = data.DeepClone(),
    };

    private JsonObject OpenUrl(string requestId) => new() { ["type"] = "Action.OpenUrl", ["title"] = "Open in InfraGuard", ["url"] = PageUrl(requestId).AbsoluteUri };

    private static JsonObject Text(string text, bool wrap, string? id = null)
    {
        var block = new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = wrap };
        if (id is not null)
        {
            block["id"] = id;
        }

        return block;
    }

    /// <summary>Fact values are shown as text; escaped like everything else.</summary>
    private static JsonObject Fact(string title, string value) => new() { ["title"] = title, ["value"] = Escape(value) };

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string Fit(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
