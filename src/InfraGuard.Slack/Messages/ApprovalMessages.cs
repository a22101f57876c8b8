using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core;
using InfraGuard.Slack.Payloads;

namespace InfraGuard.Slack.Messages;

/// <summary>Everything to post for a new request: the parent message, thread replies with details, and the diff file when long.</summary>
public sealed record ApprovalPost(SlackMessage Parent, IReadOnlyList<SlackMessage> Replies, SlackFile? DiffFile);

/// <summary>What a reason modal carried back: which request, which verdict, and the typed reason.</summary>
public sealed record ReasonSubmission(string RequestId, Verdict Verdict, string? Reason);

/// <summary>
/// Builds InfraGuard's Block Kit messages and modals. Every text is mrkdwn-escaped and cut to Slack's limits; every
/// message is checked against <see cref="BlockKitLimits"/> before it is returned. Values shown are only those already
/// redacted by Core (findings' before/after, changed property paths); the full diff goes to a file.
/// </summary>
public sealed class ApprovalMessages
{
    /// <summary><c>action_id</c> of the Approve button; its <c>value</c> is the request id.</summary>
    public const string ApproveActionId = "infraguard_approve";

    /// <summary><c>action_id</c> of the Reject button; its <c>value</c> is the request id.</summary>
    public const string RejectActionId = "infraguard_reject";

    /// <summary><c>action_id</c> of the link button to the web page (Slack still sends a click; ack and ignore).</summary>
    public const string OpenActionId = "infraguard_open";

    /// <summary><c>callback_id</c> of the reason modal.</summary>
    public const string ReasonCallbackId = "infraguard_reason";

    /// <summary><c>block_id</c> of the reason input (the key for <c>response_action: errors</c>).</summary>
    public const string ReasonBlockId = "infraguard_reason";

    /// <summary><c>action_id</c> of the reason input.</summary>
    public const string ReasonActionId = "reason";

    private const int MessageBudget = BlockKitLimits.MessageTotalText - 1000;
    private const int DetailBlocksPerMessage = BlockKitLimits.MessageBlocks - 5;
    private const int SectionBudget = BlockKitLimits.SectionText - 100;

    private readonly ApprovalMessageOptions _options;

    /// <summary>Creates the builder.</summary>
    public ApprovalMessages(ApprovalMessageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>The request's web page.</summary>
    public Uri PageUrl(string requestId) =>
        new(new Uri(_options.WebBaseUrl.AbsoluteUri.TrimEnd('/') + "/"), "requests/" + Uri.EscapeDataString(requestId));

    /// <summary>The parent message, the detail replies and (when long) the diff file for a new request.</summary>
    /// <param name="request">The stored request.</param>
    /// <param name="changes">The redacted change set, for counts, per-resource details and the diff; null to use findings only.</param>
    /// <param name="redactedDiff">A diff text rendered elsewhere; null to render one from <paramref name="changes"/>.</param>
    public ApprovalPost Compose(ChangeRequest request, ChangeSet? changes, string? redactedDiff = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var parent = Pending(request, changes?.Counts, []);
        var (replies, omitted) = Details(request, changes);
        var diff = redactedDiff ?? (changes is null ? null : RenderDiff(request, changes));
        SlackFile? file = null;
        if (diff is not null && (omitted > 0 || diff.Length > _options.DiffFileThreshold))
        {
            file = new SlackFile(
                $"infraguard-{request.Id}-{Short(request.PlanHash)}.diff.txt",
                $"Plan {Short(request.PlanHash)} for {request.Stack} (redacted)",
                diff,
                omitted > 0 ? $"Full redacted diff ({omitted} more resources than shown above)." : "Full redacted diff.");
        }

        return new ApprovalPost(parent, replies, file);
    }

    /// <summary>The parent message while decisions are pending (with Approve / Reject buttons), listing decisions so far.</summary>
    public SlackMessage Pending(ChangeRequest request, IReadOnlyDictionary<ChangeOp, int>? counts, IReadOnlyList<RequestDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var blocks = Summary(request, counts, "p", Names.Of(request.Decision));
        if (decisions.Count > 0)
        {
            blocks.Add(Blocks.Section("p_decisions", DecisionLines(decisions, request.RequiredApprovals.Count)));
        }

        var reject = Blocks.Confirm(
            "Reject this change?",
            $"The run for {Mrkdwn.Escape(request.Stack)} will stop and not apply. You will be asked for a reason.",
            "Reject",
            "Cancel");
        blocks.Add(Blocks.Actions(
            "p_actions",
            Blocks.Button(ApproveActionId, "Approve", request.Id, "primary"),
            Blocks.Button(RejectActionId, "Reject", request.Id, "danger", confirm: reject),
            Blocks.Button(OpenActionId, "Open in InfraGuard", url: PageUrl(request.Id))));
        blocks.Add(Blocks.Context("p_footer", $"Request {Mrkdwn.Code(request.Id)} · details and the full redacted diff are in the thread · you will be asked for a reason"));
        return Checked(Fallback(request, Names.Of(request.Decision)), blocks);
    }

    /// <summary>The parent message once decided (buttons gone; who decided and why).</summary>
    public SlackMessage Decided(ChangeRequest request, RequestState state, IReadOnlyDictionary<ChangeOp, int>? counts, IReadOnlyList<RequestDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var word = state switch
        {
            RequestState.Approved => "approved",
            RequestState.Rejected => "rejected",
            RequestState.Expired => "expired",
            RequestState.Superseded => "superseded",
            RequestState.Cancelled => "cancelled",
            _ => state.ToString().ToLowerInvariant(),
        };
        var blocks = Summary(request, counts, "d", word);
        var lines = decisions.Count > 0 ? DecisionLines(decisions, request.RequiredApprovals.Count) : $"No decision: the request was {word}.";
        blocks.Add(Blocks.Section("d_decisions", lines));
        blocks.Add(Blocks.Context("d_footer", $"Request {Mrkdwn.Code(request.Id)} · {Mrkdwn.Link(PageUrl(request.Id), "open in InfraGuard")}"));
        return Checked(Fallback(request, word), blocks);
    }

    /// <summary>The thread reply saying what the apply did.</summary>
    public SlackMessage ApplyResult(ChangeRequest request, ApplyOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(outcome);
        var counts = CountsText(outcome.Counts);
        var text = outcome.Succeeded
            ? $":white_check_mark: Applied plan {Mrkdwn.Code(Short(request.PlanHash))} to *{Mrkdwn.Escape(request.Stack)}*{(counts.Length > 0 ? ": " + counts : "")}."
            : $":x: Apply of plan {Mrkdwn.Code(Short(request.PlanHash))} to *{Mrkdwn.Escape(request.Stack)}* failed (exit code {outcome.ExitCode.ToString(CultureInfo.InvariantCulture)}){(counts.Length > 0 ? "; done before the failure: " + counts : "")}. Diagnostics: {Mrkdwn.Link(PageUrl(request.Id), "request page")}.";
        return Checked(
            outcome.Succeeded ? $"Applied {request.Stack}" : $"Apply failed for {request.Stack}",
            [Blocks.Section("a_result", text)]);
    }

    /// <summary>The modal asking for a reason (required, multi-line); <c>private_metadata</c> carries request id and verdict.</summary>
    public JsonObject ReasonModal(ChangeRequest request, Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(request);
        var verb = verdict == Verdict.Approve ? "Approve" : "Reject";
        var metadata = new JsonObject { ["request_id"] = request.Id, ["verdict"] = verdict == Verdict.Approve ? "approve" : "reject" };
        var view = new JsonObject
        {
            ["type"] = "modal",
            ["callback_id"] = ReasonCallbackId,
            ["private_metadata"] = metadata.ToJsonString(),
            ["title"] = Blocks.Plain(verb + " change"),
            ["submit"] = Blocks.Plain(verb),
            ["close"] = Blocks.Plain("Cancel"),
            ["blocks"] = new JsonArray(
                Blocks.Section("r_what", $"You are about to *{verb.ToLowerInvariant()}* plan {Mrkdwn.Code(Short(request.PlanHash))} for *{Mrkdwn.Escape(request.Stack)}* ({Mrkdwn.Escape(request.Tier)}, score {request.Score.ToString(CultureInfo.InvariantCulture)}). {Mrkdwn.Link(PageUrl(request.Id), "Review it first")}."),
                new JsonObject
                {
                    ["type"] = "input",
                    ["block_id"] = ReasonBlockId,
                    ["optional"] = false,
                    ["label"] = Blocks.Plain("Reason"),
                    ["hint"] = Blocks.Plain($"Why is this change safe (or not)? At least {ApprovalRules.MinimumReasonLength} characters; recorded in the audit log."),
                    ["element"] = new JsonObject
                    {
                        ["type"] = "plain_text_input",
                        ["action_id"] = ReasonActionId,
                        ["multiline"] = true,
                        ["min_length"] = ApprovalRules.MinimumReasonLength,
                        ["max_length"] = 2000,
                    },
                }),
        };
        var problems = BlockKitLimits.CheckModal(view);
        return problems.Count == 0 ? view : throw new InvalidOperationException("Reason modal breaks Block Kit limits: " + string.Join("; ", problems));
    }

    /// <summary>Reads a reason-modal submission; null when the submission is not InfraGuard's reason modal.</summary>
    public static ReasonSubmission? ReadReasonModal(SlackViewSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (submission.CallbackId != ReasonCallbackId)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(submission.PrivateMetadata);
            var id = SlackPayloadParser.Str(doc.RootElement, "request_id");
            Verdict? verdict = SlackPayloadParser.Str(doc.RootElement, "verdict") switch
            {
                "approve" => Verdict.Approve,
                "reject" => Verdict.Reject,
                _ => null,
            };
            return id is null || verdict is null ? null : new ReasonSubmission(id, verdict.Value, submission.Value(ReasonBlockId, ReasonActionId));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The <c>view_submission</c> ack body that shows <paramref name="message"/> under the reason input and keeps the modal open.</summary>
    public static JsonObject ReasonErrors(string message) => new()
    {
        ["response_action"] = "errors",
        ["errors"] = new JsonObject { [ReasonBlockId] = Mrkdwn.Fit(message ?? "", BlockKitLimits.FieldText) },
    };

    /// <summary>A short notice, e.g. an ephemeral refusal ("You requested this change…").</summary>
    public static SlackMessage Notice(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Checked(Mrkdwn.Fit(text, BlockKitLimits.FallbackText), [Blocks.Section("n_text", Mrkdwn.Escape(text))]);
    }

    /// <summary>The reply to <c>/infraguard pending</c>.</summary>
    public SlackMessage PendingList(IReadOnlyList<ChangeRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0)
        {
            return Checked("No change requests are waiting for a decision.", [Blocks.Section("l_none", "No change requests are waiting for a decision.")]);
        }

        var lines = requests.Select(r =>
            $"• {Mrkdwn.Link(PageUrl(r.Id), r.Id)} *{Mrkdwn.Escape(r.Stack)}* · {Mrkdwn.Escape(r.Tier)} · score {r.Score.ToString(CultureInfo.InvariantCulture)} · by {Who(r.Requester)} · expires {Date(r.ExpiresAt)}");
        var shown = new List<string>();
        var chars = 0;
        foreach (var line in lines)
        {
            if (chars + line.Length + 1 > MessageBudget)
            {
                break;
            }

            shown.Add(line);
            chars += line.Length + 1;
        }

        if (shown.Count < requests.Count)
        {
            shown.Add($"…and {(requests.Count - shown.Count).ToString(CultureInfo.InvariantCulture)} more: {Mrkdwn.Link(new Uri(PageUrl("x"), "."), "see all in InfraGuard")}");
        }

        var blocks = new List<JsonObject> { Blocks.Header("l_head", $"{requests.Count.ToString(CultureInfo.InvariantCulture)} change request(s) waiting") };
        blocks.AddRange(Pack(shown, "l"));
        return Checked($"{requests.Count.ToString(CultureInfo.InvariantCulture)} change request(s) waiting", blocks);
    }

    /// <summary>The reply to <c>/infraguard help</c> or an unknown sub-command.</summary>
    public static SlackMessage Help(string command = "/infraguard") => Checked(
        $"{command} pending | show ID | help",
        [Blocks.Section("h_text", $"*{Mrkdwn.Escape(command)} pending* — change requests waiting for a decision\n*{Mrkdwn.Escape(command)} show ID* — one request, with Approve / Reject buttons\n*{Mrkdwn.Escape(command)} help* — this text")]);

    /// <summary>Thread replies with one line per resource (op, name, type, changed paths, its findings), chunked to Block Kit limits.</summary>
    /// <returns>The replies, and how many resources did not fit in <see cref="ApprovalMessageOptions.MaxDetailReplies"/> replies.</returns>
    public (IReadOnlyList<SlackMessage> Replies, int Omitted) Details(ChangeRequest request, ChangeSet? changes)
    {
        ArgumentNullException.ThrowIfNull(request);
        var findingsByAddress = request.Assessment.Findings.ToLookup(f => f.Address, StringComparer.Ordinal);
        var resources = changes is not null
            ? changes.Changes.Select(c => (c.Address, c.Name, c.Type, c.Op, Paths: c.Properties.Select(p => p.Path).ToList())).ToList()
            : request.Assessment.Findings.Where(f => f.Address.Length > 0).DistinctBy(f => f.Address)
                .Select(f => (f.Address, Name: ShortName(f.Address), f.Type, f.Op, Paths: new List<string>())).ToList();
        var lines = resources.Select(r => ResourceLine(r.Name, r.Type, r.Op, r.Paths, findingsByAddress[r.Address])).ToList();

        var replies = new List<SlackMessage>();
        var index = 0;
        while (index < lines.Count && replies.Count < _options.MaxDetailReplies)
        {
            var blocks = new List<JsonObject>();
            var start = index;
            var chars = 0;
            var section = new StringBuilder();
            while (index < lines.Count && blocks.Count < DetailBlocksPerMessage)
            {
                var line = lines[index];
                if (chars + line.Length + 1 > MessageBudget)
                {
                    break;
                }

                if (section.Length + line.Length + 1 > SectionBudget)
                {
                    blocks.Add(Blocks.Section($"r{replies.Count}_{blocks.Count}", section.ToString()));
                    section.Clear();
                    continue;
                }

                section.Append(line).Append('\n');
                chars += line.Length + 1;
                index++;
            }

            if (section.Length > 0)
            {
                blocks.Add(Blocks.Section($"r{replies.Count}_{blocks.Count}", section.ToString()));
            }

            var title = $"Resources {(start + 1).ToString(CultureInfo.InvariantCulture)}–{index.ToString(CultureInfo.InvariantCulture)} of {lines.Count.ToString(CultureInfo.InvariantCulture)}";
            blocks.Insert(0, Blocks.Context($"r{replies.Count}_title", $"*{title}* · plan {Mrkdwn.Code(Short(request.PlanHash))}"));
            replies.Add(Checked($"{title} for {request.Stack}", blocks));
        }

        return (replies, lines.Count - index);
    }

    /// <summary>A plain-text diff of every changed property, from the redacted change set (secrets are already <c>[secret]</c>).</summary>
    public static string RenderDiff(ChangeRequest request, ChangeSet changes)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(changes);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"InfraGuard request {request.Id}: stack {request.Stack}, plan {request.PlanHash}\n");
        text.Append("Values are redacted by InfraGuard: secrets show as ").Append(Redaction.SecretMarker).Append(", values known only after apply as ").Append(Redaction.UnknownMarker).Append(".\n\n");
        foreach (var change in changes.Changes)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Op(change.Op)} {change.Address} ({change.Type})\n");
            foreach (var p in change.Properties)
            {
                text.Append(CultureInfo.InvariantCulture, $"    {p.Path}: {Value(p.Before)} -> {Value(p.After)}{(p.ForcesReplace ? "  [forces replacement]" : "")}\n");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private List<JsonObject> Summary(ChangeRequest request, IReadOnlyDictionary<ChangeOp, int>? counts, string prefix, string state)
    {
        var blocks = new List<JsonObject>
        {
            Blocks.Header(prefix + "_head", $"{request.Stack} · {request.Tier} · {state} · score {request.Score.ToString(CultureInfo.InvariantCulture)}"),
            Blocks.Section(prefix + "_summary", Mrkdwn.Fit(Mrkdwn.Escape(RequestSummary.Sentence(request)), 3000)),
        };
        if (request.Action is { } action)
        {
            var line = Mrkdwn.Escape(action.Display()).Replace("`", "'", StringComparison.Ordinal);
            blocks.Add(Blocks.Section(prefix + "_action", Mrkdwn.Fit($"*Action* {Mrkdwn.Code(action.Kind)}{(action.Target is null ? "" : " on " + Mrkdwn.Escape(action.Target))}, exactly this (secrets redacted):\n```{line}```", 3000)));
        }


        var who = $"*Requested by* {Who(request.Requester)} ({Names.Of(request.ActorKind)}{(request.OnBehalfOf is { } b ? " on behalf of " + Mrkdwn.Escape(b) : "")})";
        var ci = request.CiRunUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var ciUri)
            ? $"*CI run* {Mrkdwn.Link(ciUri, request.CiRunId ?? "open")}"
            : request.CiRunId is { } run ? $"*CI run* {Mrkdwn.Escape(run)}" : "*CI run* none";
        blocks.Add(Blocks.Section(prefix + "_who", $"{who}\n{ci}\n*Plan* {Mrkdwn.Code(Short(request.PlanHash))} · *Expires* {Date(request.ExpiresAt)} · *Needs* {Needs(request.RequiredApprovals)}"));

        var opCounts = counts ?? request.Assessment.Findings.Where(f => f.Address.Length > 0).DistinctBy(f => f.Address).GroupBy(f => f.Op).ToDictionary(g => g.Key, g => g.Count());
        var fields = opCounts.Where(kv => kv.Key is not ChangeOp.Same and not ChangeOp.Refresh && kv.Value > 0)
            .OrderBy(kv => kv.Key)
            .Select(kv => $"*{Op(kv.Key)}*\n{kv.Value.ToString(CultureInfo.InvariantCulture)}")
            .ToList();
        if (fields.Count > 0)
        {
            blocks.Add(Blocks.Fields(prefix + "_counts", fields));
        }

        var top = request.Assessment.Findings.Take(_options.TopFindings).Select(FindingLine).ToList();
        var more = request.Assessment.Findings.Count - top.Count;
        if (top.Count > 0)
        {
            blocks.Add(Blocks.Section(prefix + "_findings", "*Top findings*\n" + string.Join('\n', top) + (more > 0 ? $"\n…and {more.ToString(CultureInfo.InvariantCulture)} more in the thread" : "")));
        }

        if (request.Assessment.Notes.Count > 0)
        {
            blocks.Add(Blocks.Context(prefix + "_notes", string.Join(" · ", request.Assessment.Notes.Select(Mrkdwn.Escape))));
        }

        return blocks;
    }

    private static string FindingLine(Finding f)
    {
        var where = f.Address.Length > 0 ? $" {Mrkdwn.Code(ShortName(f.Address))} ({Mrkdwn.Escape(f.Type)})" : "";
        var values = f.Path is null ? "" : $" · {Mrkdwn.Code(f.Path)}" + (f.Before is null && f.After is null ? "" : $": {Mrkdwn.Code(f.Before ?? "∅")} → {Mrkdwn.Code(f.After ?? "∅")}");
        var block = f.Blocking ? " :no_entry:" : "";
        return Mrkdwn.Fit($"• *+{f.Points.ToString(CultureInfo.InvariantCulture)}*{block} {Op(f.Op)}{where} — {Mrkdwn.Escape(f.Reason)}{values}", 500);
    }

    private static string ResourceLine(string name, string type, ChangeOp op, List<string> paths, IEnumerable<Finding> findings)
    {
        var line = new StringBuilder($"*{Op(op)}* {Mrkdwn.Code(name)} ({Mrkdwn.Escape(type)})");
        if (paths.Count > 0)
        {
            line.Append(" · changes ").AppendJoin(", ", paths.Take(8).Select(Mrkdwn.Code));
            if (paths.Count > 8)
            {
                line.Append(CultureInfo.InvariantCulture, $" +{paths.Count - 8} more");
            }
        }

        foreach (var f in findings.Take(3))
        {
            line.Append(CultureInfo.InvariantCulture, $"\n    ↳ +{f.Points} {Mrkdwn.Escape(f.Reason)}");
        }

        return Mrkdwn.Fit(line.ToString(), 700);
    }

    private static string DecisionLines(IReadOnlyList<RequestDecision> decisions, int required) =>
        string.Join('\n', decisions.Select(d =>
            $"{(d.Verdict == Verdict.Approve ? ":white_check_mark: Approved" : ":x: Rejected")} by {Who(d.Approver)} — {Mrkdwn.Escape(Mrkdwn.Fit(d.Reason, 500))}"))
        + (decisions.Count(d => d.Verdict == Verdict.Approve) is var n && n > 0 && required > 1 ? $"\n{n.ToString(CultureInfo.InvariantCulture)} of {required.ToString(CultureInfo.InvariantCulture)} approvals" : "");

    private static IEnumerable<JsonObject> Pack(IEnumerable<string> lines, string prefix)
    {
        var section = new StringBuilder();
        var n = 0;
        foreach (var line in lines)
        {
            if (section.Length + line.Length + 1 > SectionBudget && section.Length > 0)
            {
                yield return Blocks.Section($"{prefix}_{n++}", section.ToString());
                section.Clear();
            }

            section.Append(line).Append('\n');
        }

        if (section.Length > 0)
        {
            yield return Blocks.Section($"{prefix}_{n}", section.ToString());
        }
    }

    private static SlackMessage Checked(string fallback, List<JsonObject> blocks)
    {
        var message = new SlackMessage(Mrkdwn.Fit(fallback, BlockKitLimits.FallbackText), new JsonArray(blocks.Cast<JsonNode>().ToArray()));
        var problems = BlockKitLimits.CheckMessage(message.ToJson());
        return problems.Count == 0 ? message : throw new InvalidOperationException("Message breaks Block Kit limits: " + string.Join("; ", problems));
    }

    private static string Fallback(ChangeRequest r, string state) =>
        $"InfraGuard ({state}): {RequestSummary.Sentence(r)} Plan {Short(r.PlanHash)}.";

    private static string Who(PersonRef person) =>
        person.RawIdentity.StartsWith("slack:", StringComparison.OrdinalIgnoreCase)
            ? Mrkdwn.User(person.RawIdentity["slack:".Length..])
            : Mrkdwn.Escape(person.PersonId);

    private static string Needs(ApprovalRequirement r) =>
        $"{Math.Max(1, r.Count).ToString(CultureInfo.InvariantCulture)} approval(s){(r.From.Count > 0 ? " from " + Mrkdwn.Escape(string.Join(", ", r.From)) : "")}";

    private static string Date(DateTimeOffset at) =>
        $"<!date^{at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}^{{date_short_pretty}} {{time}}|{at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC>";

    private static string Op(ChangeOp op) => op.ToString().ToLowerInvariant();

    private static string CountsText(IReadOnlyDictionary<ChangeOp, int> counts) =>
        string.Join(", ", counts.Where(kv => kv.Key is not ChangeOp.Same and not ChangeOp.Refresh && kv.Value > 0).OrderBy(kv => kv.Key)
            .Select(kv => $"{kv.Value.ToString(CultureInfo.InvariantCulture)} {Op(kv.Key)}"));

    private static string Value(JsonNode? node) => node is null ? "(absent)" : node.ToJsonString();

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string ShortName(string address)
    {
        var i = address.LastIndexOf("::", StringComparison.Ordinal);
        return i >= 0 ? address[(i + 2)..] : address;
    }
}
