using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>Everything a channel shows about a request: the request, the decisions so far and the apply outcome.</summary>
public sealed record RequestSnapshot(ChangeRequest Request, IReadOnlyList<RequestDecision> Decisions, ApplyOutcome? Outcome);

/// <summary>Where a channel posted a request: the conversation (Slack channel, Teams conversation) and the message in it.</summary>
/// <param name="Conversation">The channel's conversation id (a Slack channel id; a Teams conversation id).</param>
/// <param name="MessageId">The posted message's id (a Slack <c>ts</c>; a Teams activity id).</param>
/// <param name="ServiceUrl">Where the channel's API for this conversation lives, when it varies (Teams' <c>serviceUrl</c>).</param>
public sealed record ChannelAddress(string Conversation, string MessageId, string? ServiceUrl = null);

/// <summary>
/// A chat channel that asks people to decide (Slack, Microsoft Teams). It only talks: every decision made in it goes
/// through <see cref="ApprovalDesk"/>, and <see cref="ChannelSync"/> decides when each method is called, from the store.
/// Implementations must be safe to call again after a crash (the store records what was shown only after a call returns).
/// </summary>
public interface IApprovalChannel
{
    /// <summary>The channel's name (<c>Slack</c>, <c>Teams</c>): the key of its rows in the store, and its <see cref="DecisionChannel"/>.</summary>
    string Name { get; }

    /// <summary>Posts a new pending request where its tier and stack are routed; null when nothing is routed there.</summary>
    Task<ChannelAddress?> AnnounceAsync(RequestSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>
    /// Brings the posted message up to date (decisions so far; no buttons once decided). <paramref name="shown"/> is the
    /// state the message showed before: a channel tells the requester in the thread when it moved from pending to a decision.
    /// </summary>
    Task UpdateAsync(ChannelAddress address, RequestSnapshot snapshot, RequestState shown, CancellationToken cancellationToken);

    /// <summary>Posts the apply outcome in the request's thread.</summary>
    Task PostOutcomeAsync(ChannelAddress address, RequestSnapshot snapshot, CancellationToken cancellationToken);

    /// <summary>
    /// Posts a notice everyone in the conversation sees (a reminder, an escalation, a break-glass alarm): in the request's
    /// thread when it was posted (<paramref name="address"/>), else top-level where its tier and stack are routed.
    /// </summary>
    Task NoticeAsync(ChannelAddress? address, RequestSnapshot snapshot, string text, CancellationToken cancellationToken);

    /// <summary>Tells one person, privately, why their decision was refused (<paramref name="user"/> is the channel's own user id).</summary>
    Task TellAsync(ChannelAddress? address, string user, string text, CancellationToken cancellationToken);
}

/// <summary>What a channel's message shows of a request, as last brought up to date.</summary>
/// <param name="Channel">The channel's <see cref="IApprovalChannel.Name"/>.</param>
/// <param name="RequestId">The change request.</param>
/// <param name="Address">Where it was posted.</param>
/// <param name="ShownState">The state the message shows.</param>
/// <param name="ShownDecisions">How many decisions the message shows.</param>
/// <param name="OutcomePosted">True once the apply outcome was posted.</param>
public sealed record ChannelPost(string Channel, string RequestId, ChannelAddress Address, RequestState ShownState, int ShownDecisions, bool OutcomePosted);

/// <summary>The store's record of channel messages (the <c>channel_message</c> table). Delivery metadata only: not audited.</summary>
public interface IChannelPosts
{
    /// <summary>The post of <paramref name="requestId"/> in <paramref name="channel"/>, or null when it was never posted.</summary>
    Task<ChannelPost?> GetPostAsync(string channel, string requestId, CancellationToken cancellationToken = default);

    /// <summary>Records (or replaces) what <paramref name="post"/> shows.</summary>
    Task SavePostAsync(ChannelPost post, CancellationToken cancellationToken = default);

    /// <summary>
    /// Requests whose message in <paramref name="channel"/> is behind the store, oldest first: pending and never posted,
    /// or posted showing another state, fewer decisions, or no outcome when there is one. The durable outbox: whatever
    /// happened while a channel was down or a server was stopped is found here.
    /// </summary>
    Task<IReadOnlyList<string>> ListBehindAsync(string channel, int limit = 500, CancellationToken cancellationToken = default);
}

/// <summary>
/// Brings one channel's message of one request up to date from the store, idempotently: announces a pending request
/// that was never posted, updates the message when the state or the decisions moved, and posts the outcome once. The
/// only caller of <see cref="IApprovalChannel"/>'s posting methods, so every channel follows the same rules.
/// </summary>
public sealed class ChannelSync(IChangeStore store, IChannelPosts posts)
{
    /// <summary>Brings <paramref name="channel"/>'s message of <paramref name="requestId"/> up to date; <paramref name="force"/> updates it even when nothing moved.</summary>
    public async Task SyncAsync(IApprovalChannel channel, string requestId, bool force = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (await SnapshotAsync(store, requestId, cancellationToken).ConfigureAwait(false) is not { } snapshot)
        {
            return;
        }

        var request = snapshot.Request;
        var post = await posts.GetPostAsync(channel.Name, requestId, cancellationToken).ConfigureAwait(false);
        if (post is null)
        {
            if (request.State != RequestState.Pending)
            {
                return; // Nothing to ask anyone about.
            }

            if (await channel.AnnounceAsync(snapshot, cancellationToken).ConfigureAwait(false) is not { } address)
            {
                return;
            }

            post = new ChannelPost(channel.Name, requestId, address, RequestState.Pending, snapshot.Decisions.Count, false);
            await posts.SavePostAsync(post, cancellationToken).ConfigureAwait(false);
        }
        else if (force || post.ShownState != request.State || post.ShownDecisions != snapshot.Decisions.Count)
        {
            await channel.UpdateAsync(post.Address, snapshot, post.ShownState, cancellationToken).ConfigureAwait(false);
            post = post with { ShownState = request.State, ShownDecisions = snapshot.Decisions.Count };
            await posts.SavePostAsync(post, cancellationToken).ConfigureAwait(false);
        }

        if (!post.OutcomePosted && snapshot.Outcome is not null)
        {
            await channel.PostOutcomeAsync(post.Address, snapshot, cancellationToken).ConfigureAwait(false);
            await posts.SavePostAsync(post with { OutcomePosted = true }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The request with its decisions and outcome, or null when it does not exist.</summary>
    public static async Task<RequestSnapshot?> SnapshotAsync(IChangeStore store, string requestId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var request = await store.GetAsync(requestId, cancellationToken).ConfigureAwait(false);
        return request is null
            ? null
            : new RequestSnapshot(
                request,
                await store.GetDecisionsAsync(requestId, cancellationToken).ConfigureAwait(false),
                await store.GetApplyOutcomeAsync(requestId, cancellationToken).ConfigureAwait(false));
    }
}
