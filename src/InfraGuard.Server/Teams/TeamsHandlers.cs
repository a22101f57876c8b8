using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;
using InfraGuard.Teams.Activities;
using InfraGuard.Teams.Cards;
using InfraGuard.Teams.Connector;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Teams;

/// <summary>
/// What InfraGuard does with an authenticated Teams activity. A click on the card (<c>adaptiveCard/action</c>) is
/// decided through the one <see cref="ApprovalDesk"/> as <c>teams:&lt;aadObjectId&gt;</c>, with the member's UPN / e-mail
/// from the Connector as verified aliases; guests and people of other tenants are never eligible. The answer is the
/// card the clicker then sees: the decided card once decided, else the pending card (with the refusal when refused).
/// Every other channel's message, and Teams' own card for everyone else, is brought up to date by the channel workers.
/// </summary>
internal sealed class TeamsHandlers(
    ChangeStore store,
    ApprovalDesk desk,
    PolicyPack pack,
    BotConnectorClient connector,
    ApprovalCards cards,
    RequestChanges changes,
    IOptions<TeamsOptions> options,
    TimeProvider time,
    ILogger<TeamsHandlers> logger)
{
    private readonly ConcurrentDictionary<string, (TeamsMember? Member, DateTimeOffset Until)> _members = new(StringComparer.Ordinal);

    /// <summary>The invoke response body for a card action.</summary>
    public async Task<JsonObject> CardActionAsync(TeamsActivity activity, CancellationToken ct)
    {
        if (ApprovalCards.ReadAction(activity) is not { } action)
        {
            return ApprovalCards.InvokeError("This is not an InfraGuard Approve or Reject action.");
        }

        if (!options.Value.Allows(activity.TenantId))
        {
            TeamsLog.TenantRefused(logger, activity.TenantId ?? "(none)");
            return Answer(ApprovalCards.Refusal($"This Microsoft Teams tenant ({activity.TenantId ?? "unknown"}) is not allowed to decide on InfraGuard requests."));
        }

        var snapshot = await ChannelSync.SnapshotAsync(store, action.RequestId, ct).ConfigureAwait(false);
        if (snapshot is null)
        {
            return Answer(ApprovalCards.Refusal($"Change request {action.RequestId} does not exist any more."));
        }

        if (snapshot.Request.State != RequestState.Pending)
        {
            changes.Changed(action.RequestId); // The card the person clicked is behind: bring it up to date for everyone.
            return Answer(cards.Decided(snapshot.Request, snapshot.Decisions));
        }

        var (approver, refusal) = await ApproverAsync(activity, ct).ConfigureAwait(false);
        if (approver is null)
        {
            TeamsLog.Decision(logger, action.Verdict, action.RequestId, "teams:" + (activity.From.AadObjectId ?? activity.From.Id), "refused before the desk");
            return Answer(cards.Pending(snapshot.Request, snapshot.Decisions, refusal));
        }

        var outcome = await desk.DecideAsync(new DecisionAttempt(action.RequestId, approver, TeamsApprovalChannel.Decisions, action.Verdict, action.Reason, action.PlanHash), ct).ConfigureAwait(false);
        TeamsLog.Decision(logger, action.Verdict, action.RequestId, approver.RawIdentity, outcome.Recorded ? outcome.Request!.State.ToString() : outcome.Error!.GetType().Name);
        var now = await ChannelSync.SnapshotAsync(store, action.RequestId, ct).ConfigureAwait(false) ?? snapshot;
        return now.Request.State == RequestState.Pending
            ? Answer(cards.Pending(now.Request, now.Decisions, outcome.Refusal))
            : Answer(cards.Decided(now.Request, now.Decisions));
    }

    /// <summary>
    /// The clicker as an approver, or why they cannot decide at all: the Connector's member record must exist, be a
    /// plain user (not a guest or anonymous) and belong to the activity's tenant, which must be allowed.
    /// </summary>
    private async Task<(Approver? Approver, string? Refusal)> ApproverAsync(TeamsActivity activity, CancellationToken ct)
    {
        if (activity.From.AadObjectId is not { Length: > 0 } aad)
        {
            return (null, "Teams did not say who you are (no Entra object id); sign in with your organisation's account, or decide on the web page.");
        }

        TeamsMember? member;
        try
        {
            member = await MemberAsync(activity, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TeamsConnectorException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            TeamsLog.LookupFailed(logger, activity.From.Id, e.Message);
            return (null, "InfraGuard could not look you up in Teams just now; try again, or decide on the web page.");
        }

        if (member is null || (member.AadObjectId is { } memberAad && !string.Equals(memberAad, aad, StringComparison.OrdinalIgnoreCase)))
        {
            return (null, "Teams does not list you as a member of this team, so InfraGuard cannot tell who you are.");
        }

        var tenant = member.TenantId ?? activity.TenantId;
        if (!string.Equals(tenant, activity.TenantId, StringComparison.OrdinalIgnoreCase) || !options.Value.Allows(tenant))
        {
            return (null, $"Your account belongs to another Microsoft Entra tenant ({tenant}); only people of the allowed tenants may decide on InfraGuard requests.");
        }

        string[] aliases = [.. new[] { member.Email, member.UserPrincipalName }.Where(a => a is { Length: > 0 }).Select(a => "email:" + a).Distinct(StringComparer.OrdinalIgnoreCase)];
        return (ApprovalDesk.ApproverFor(pack.Identities, "teams:" + aad, isGuest: member.IsGuest, verifiedAliases: aliases), null);
    }

    /// <summary>The member record, cached for <see cref="TeamsOptions.MemberCacheSeconds"/>; the team's roster when the activity names a team.</summary>
    private async Task<TeamsMember?> MemberAsync(TeamsActivity activity, CancellationToken ct)
    {
        var conversation = activity.TeamsTeamId ?? activity.ConversationId;
        var key = $"{activity.ServiceUrl}\n{conversation}\n{activity.From.Id}";
        var now = time.GetUtcNow();
        if (_members.TryGetValue(key, out var hit) && now < hit.Until)
        {
            return hit.Member;
        }

        var member = await connector.GetMemberAsync(activity.ServiceUrl, conversation, activity.From.Id, ct).ConfigureAwait(false);
        _members[key] = (member, now + TimeSpan.FromSeconds(options.Value.MemberCacheSeconds));
        return member;
    }

    private static JsonObject Answer(JsonObject card) => ApprovalCards.InvokeResponse(card);
}
