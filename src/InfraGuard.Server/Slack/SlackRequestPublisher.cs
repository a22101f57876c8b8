using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Web;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Brings a request's Slack message up to date from the store, idempotently: posts it (parent, details in the thread,
/// the findings file when long) to the routed channel when it was never posted, updates the parent and tells the
/// requester in the thread when the state moved, and replies the apply outcome once. Where it was posted is kept in
/// the store, so a restarted server carries on.
/// </summary>
internal sealed class SlackRequestPublisher(ChangeStore store, SlackWebApi api, ApprovalMessages messages, IOptions<SlackWireOptions> options, ILogger<SlackRequestPublisher> logger)
{
    public async Task SyncAsync(string requestId, bool force, CancellationToken ct)
    {
        var request = await store.GetAsync(requestId, ct).ConfigureAwait(false);
        if (request is null)
        {
            return;
        }

        var posted = await store.GetSlackMessageAsync(requestId, ct).ConfigureAwait(false);
        if (posted is null)
        {
            if (request.State != RequestState.Pending)
            {
                return; // Nothing to ask anyone about.
            }

            var channel = options.Value.ChannelFor(request.Stack, request.Tier);
            if (channel is null)
            {
                SlackLog.NoChannel(logger, request.Stack, request.Tier, request.Id);
                return;
            }

            var parent = await new ApprovalPublisher(api).PublishAsync(channel, messages.Compose(request, null, FindingsFile(request)), ct).ConfigureAwait(false);
            posted = new SlackMessageRef(request.Id, parent.Channel, parent.Ts, RequestState.Pending, false);
            await store.SaveSlackMessageAsync(posted, ct).ConfigureAwait(false);
            SlackLog.Posted(logger, request.Id, parent.Channel, parent.Ts);
        }

        if (force || posted.PostedState != request.State)
        {
            var decisions = await store.GetDecisionsAsync(requestId, ct).ConfigureAwait(false);
            var message = request.State == RequestState.Pending
                ? messages.Pending(request, null, decisions)
                : messages.Decided(request, request.State, null, decisions);
            await api.UpdateMessageAsync(posted.Channel, posted.Ts, message, ct).ConfigureAwait(false);
            if (posted.PostedState == RequestState.Pending && request.State is RequestState.Approved or RequestState.Rejected)
            {
                await api.PostMessageAsync(posted.Channel, TellRequester(request, decisions), posted.Ts, ct).ConfigureAwait(false);
            }

            posted = posted with { PostedState = request.State };
            await store.SaveSlackMessageAsync(posted, ct).ConfigureAwait(false);
        }

        if (!posted.OutcomePosted && await store.GetApplyOutcomeAsync(requestId, ct).ConfigureAwait(false) is { } outcome)
        {
            await api.PostMessageAsync(posted.Channel, messages.ApplyResult(request, outcome), posted.Ts, ct).ConfigureAwait(false);
            await store.SaveSlackMessageAsync(posted with { OutcomePosted = true }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The thread reply for the requester: mentions them when they are a Slack user.</summary>
    internal static SlackMessage TellRequester(ChangeRequest request, IReadOnlyList<RequestDecision> decisions)
    {
        var who = request.Requester.RawIdentity.StartsWith("slack:", StringComparison.Ordinal)
            ? Mrkdwn.User(request.Requester.RawIdentity["slack:".Length..])
            : Mrkdwn.Escape(request.Requester.PersonId);
        var word = request.State == RequestState.Approved ? "approved" : "rejected";
        var by = string.Join(", ", decisions.Where(d => d.Verdict == (request.State == RequestState.Approved ? Verdict.Approve : Verdict.Reject)).Select(d => Mrkdwn.Escape(d.Approver.PersonId)));
        var next = request.State == RequestState.Approved ? "The waiting run will apply exactly this plan." : "The run stops without applying.";
        var text = $"{who}: your change to *{Mrkdwn.Escape(request.Stack)}* was *{word}* by {by}. {next}";
        return new SlackMessage(
            Mrkdwn.Fit($"Your change to {request.Stack} was {word}", 3000),
            new JsonArray(new JsonObject { ["type"] = "section", ["block_id"] = "t_requester", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = Mrkdwn.Fit(text, 3000) } }));
    }

    /// <summary>Every finding as plain text (before/after were redacted by Core), for the thread file when there are many.</summary>
    internal static string FindingsFile(ChangeRequest request)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"InfraGuard request {request.Id}: stack {request.Stack} ({request.Tier}), plan {request.PlanHash}, score {request.Score}\n");
        text.Append("Values are redacted by InfraGuard.\n\n");
        foreach (var group in request.Assessment.Findings.GroupBy(f => f.Address, StringComparer.Ordinal))
        {
            var first = group.First();
            text.Append(CultureInfo.InvariantCulture, $"{first.Op.ToString().ToLowerInvariant()} {group.Key} ({first.Type})\n");
            foreach (var f in group)
            {
                text.Append(CultureInfo.InvariantCulture, $"    [{f.RuleId}] +{f.Points}: {f.Reason}{(f.Path is null ? "" : $" ({f.Path}: {f.Before ?? "-"} -> {f.After ?? "-"})")}\n");
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
