using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Slack as an approval channel: a request is posted to the channel routed for its stack and tier (parent message,
/// details in the thread, the findings file when long), the parent is updated as decisions arrive, the requester is told
/// in the thread, and the apply outcome is replied there. <see cref="ChannelSync"/> decides when; this only talks to Slack.
/// </summary>
internal sealed class SlackApprovalChannel(SlackWebApi api, ApprovalMessages messages, IOptions<SlackWireOptions> options, ILogger<SlackApprovalChannel> logger) : IApprovalChannel
{
    public const string ChannelName = "Slack";

    /// <summary>Slack decisions, as recorded.</summary>
    public static DecisionChannel Decisions { get; } = DecisionChannel.Of(ChannelName);

    public string Name => ChannelName;

    public async Task<ChannelAddress?> AnnounceAsync(RequestSnapshot snapshot, CancellationToken cancellationToken)
    {
        var request = snapshot.Request;
        var channel = options.Value.ChannelFor(request.Stack, request.Tier);
        if (channel is null)
        {
            SlackLog.NoChannel(logger, request.Stack, request.Tier, request.Id);
            return null;
        }

        var parent = await new ApprovalPublisher(api).PublishAsync(channel, messages.Compose(request, null, FindingsFile(request)), cancellationToken).ConfigureAwait(false);
        SlackLog.Posted(logger, request.Id, parent.Channel, parent.Ts);
        return new ChannelAddress(parent.Channel, parent.Ts);
    }

    public async Task UpdateAsync(ChannelAddress address, RequestSnapshot snapshot, RequestState shown, CancellationToken cancellationToken)
    {
        var (request, decisions, _) = snapshot;
        var message = request.State == RequestState.Pending
            ? messages.Pending(request, null, decisions)
            : messages.Decided(request, request.State, null, decisions);
        await api.UpdateMessageAsync(address.Conversation, address.MessageId, message, cancellationToken).ConfigureAwait(false);
        if (shown == RequestState.Pending && request.State is RequestState.Approved or RequestState.Rejected)
        {
            await api.PostMessageAsync(address.Conversation, TellRequester(request, decisions), address.MessageId, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task PostOutcomeAsync(ChannelAddress address, RequestSnapshot snapshot, CancellationToken cancellationToken) =>
        api.PostMessageAsync(address.Conversation, messages.ApplyResult(snapshot.Request, snapshot.Outcome!), address.MessageId, cancellationToken);

    public async Task NoticeAsync(ChannelAddress? address, RequestSnapshot snapshot, string text, CancellationToken cancellationToken)
    {
        var conversation = address?.Conversation ?? options.Value.ChannelFor(snapshot.Request.Stack, snapshot.Request.Tier);
        if (conversation is null)
        {
            SlackLog.NoChannel(logger, snapshot.Request.Stack, snapshot.Request.Tier, snapshot.Request.Id);
            return;
        }

        await api.PostMessageAsync(conversation, ApprovalMessages.Notice(text), address?.MessageId, cancellationToken).ConfigureAwait(false);
    }

    public async Task TellAsync(ChannelAddress? address, string user, string text, CancellationToken cancellationToken)
    {
        if (address is not null)
        {
            await api.PostEphemeralAsync(address.Conversation, user, ApprovalMessages.Notice(text), address.MessageId.Length > 0 ? address.MessageId : null, cancellationToken).ConfigureAwait(false);
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
