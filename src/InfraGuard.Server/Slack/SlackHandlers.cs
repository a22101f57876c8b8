using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Identity;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.Web;
using InfraGuard.Store;

namespace InfraGuard.Server.Slack;

/// <summary>
/// What InfraGuard does with each Slack interaction, whichever transport brought it (HTTP or Socket Mode). Each method
/// returns the acknowledgement body (or null for an empty ack) within Slack's 3 seconds; slow work goes to
/// <see cref="SlackJobs"/>. Decisions go through the one <see cref="ApprovalDesk"/>.
/// </summary>
internal sealed class SlackHandlers(
    ChangeStore store,
    ApprovalDesk desk,
    SlackWebApi api,
    SlackIdentityResolver identities,
    ApprovalMessages messages,
    SlackJobs jobs,
    SlackSeenKeys seen,
    RequestChanges changes,
    ILogger<SlackHandlers> logger)
{
    /// <summary>How long views.open may take: the trigger id dies 3 s after the click.</summary>
    private static readonly TimeSpan ModalBudget = TimeSpan.FromSeconds(2.5);

    public async Task<JsonObject?> InteractionAsync(SlackInteraction interaction, CancellationToken ct) => interaction switch
    {
        SlackBlockAction { ActionId: ApprovalMessages.ApproveActionId or ApprovalMessages.RejectActionId } click => await OpenReasonAsync(click, ct).ConfigureAwait(false),
        SlackViewSubmission submission => await SubmitAsync(submission, ct).ConfigureAwait(false),
        _ => null,
    };

    public async Task<SlackMessage> CommandAsync(SlackSlashCommand command, CancellationToken ct)
    {
        var parsed = command.Parse();
        switch (parsed.Kind)
        {
            case InfraGuardCommandKind.Pending:
                return messages.PendingList(await store.ListAsync(new RequestQuery(State: RequestState.Pending, Limit: 50), ct).ConfigureAwait(false));
            case InfraGuardCommandKind.Show:
                var request = await store.GetAsync(parsed.Argument!, ct).ConfigureAwait(false);
                if (request is null)
                {
                    return ApprovalMessages.Notice($"Change request {parsed.Argument} does not exist. Try {command.Command} pending.");
                }

                var decisions = await store.GetDecisionsAsync(request.Id, ct).ConfigureAwait(false);
                return request.State == RequestState.Pending ? messages.Pending(request, null, decisions) : messages.Decided(request, request.State, null, decisions);
            default:
                return ApprovalMessages.Help(command.Command);
        }
    }

    /// <summary>An Events API event; one Slack retries (to this server or another on the database) is handled once.</summary>
    public async Task<JsonObject?> EventAsync(SlackEvent slackEvent, CancellationToken ct)
    {
        switch (slackEvent)
        {
            case SlackUrlVerification v:
                return new JsonObject { ["challenge"] = v.Challenge };
            case SlackEventCallback e when e.EventId is { } id:
                if (!await seen.FirstEventAsync(id, ct).ConfigureAwait(false))
                {
                    SlackLog.DuplicateEvent(logger, id);
                    return null;
                }

                if (e.EventType == "app_mention" && Str(e.Event, "channel") is { } channel)
                {
                    jobs.Enqueue(new ReplyJob(channel, Str(e.Event, "thread_ts") ?? Str(e.Event, "ts"), ApprovalMessages.Help()));
                }

                return null;
            default:
                return null;
        }
    }

    private async Task<JsonObject?> OpenReasonAsync(SlackBlockAction click, CancellationToken ct)
    {
        var id = click.Value ?? "";
        var verdict = click.ActionId == ApprovalMessages.ApproveActionId ? Verdict.Approve : Verdict.Reject;
        var request = id.Length == 0 ? null : await store.GetAsync(id, ct).ConfigureAwait(false);
        if (request is null || request.State != RequestState.Pending)
        {
            Tell(click.ChannelId, click.UserId, request is null
                ? $"Change request {id} does not exist any more."
                : $"Change request {id} is already {request.State.ToString().ToLowerInvariant()}; there is nothing left to decide.");
            if (request is not null)
            {
                changes.Changed(id); // The message the person clicked is behind: bring it up to date.
            }

            return null;
        }

        if (click.TriggerId is null)
        {
            return null;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(ModalBudget);
        try
        {
            await api.OpenViewAsync(click.TriggerId, messages.ReasonModal(request, verdict), budget.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SlackApiException or HttpRequestException or OperationCanceledException)
        {
            SlackLog.ModalFailed(logger, id, e is SlackApiException s ? s.Error : e.GetType().Name);
            Tell(click.ChannelId, click.UserId, "Slack took too long to open the reason dialog. Click the button again.");
        }

        return null;
    }

    private async Task<JsonObject?> SubmitAsync(SlackViewSubmission submission, CancellationToken ct)
    {
        if (ApprovalMessages.ReadReasonModal(submission) is not { } reason)
        {
            return null;
        }

        SlackIdentity who;
        try
        {
            who = await identities.ResolveAsync(submission.UserId, ct).ConfigureAwait(false);
        }
        catch (SlackApiException e)
        {
            return ApprovalMessages.ReasonErrors($"InfraGuard could not look you up in Slack ({e.Error}); try again, or decide with 'infraguard approve'.");
        }

        var approver = who.Approver;
        var outcome = await desk.DecideAsync(new DecisionAttempt(reason.RequestId, approver, SlackApprovalChannel.Decisions, reason.Verdict, reason.Reason), ct).ConfigureAwait(false);
        if (outcome.Refusal is { } text)
        {
            SlackLog.Decision(logger, reason.Verdict, reason.RequestId, approver.RawIdentity, outcome.Error!.GetType().Name);
            var posted = await store.GetPostAsync(SlackApprovalChannel.ChannelName, reason.RequestId, ct).ConfigureAwait(false);
            Tell(posted?.Address.Conversation, submission.UserId, text, posted?.Address.MessageId);
            return ApprovalMessages.ReasonErrors(text);
        }

        SlackLog.Decision(logger, reason.Verdict, reason.RequestId, approver.RawIdentity, outcome.Request!.State.ToString());
        return null;
    }

    private static string? Str(System.Text.Json.JsonElement e, string name) =>
        e.ValueKind == System.Text.Json.JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;

    private void Tell(string? channel, string user, string text, string? threadTs = null)
    {
        if (channel is not null)
        {
            jobs.Enqueue(new EphemeralJob(new ChannelAddress(channel, threadTs ?? string.Empty), user, text));
        }
    }
}
