using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;
using InfraGuard.Teams.Cards;
using InfraGuard.Teams.Connector;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Teams;

/// <summary>
/// Microsoft Teams as an approval channel: a request is posted as an Adaptive Card that starts a thread in the channel
/// routed for its stack and tier, the card is replaced for everyone as decisions arrive, the requester is told in the
/// thread, and the apply outcome is replied there. <see cref="ChannelSync"/> decides when; this only talks to Teams.
/// </summary>
internal sealed class TeamsApprovalChannel(BotConnectorClient connector, ApprovalCards cards, IOptions<TeamsOptions> options, ILogger<TeamsApprovalChannel> logger) : IApprovalChannel
{
    public const string ChannelName = "Teams";

    /// <summary>Teams decisions, as recorded.</summary>
    public static DecisionChannel Decisions { get; } = DecisionChannel.Of(ChannelName);

    public string Name => ChannelName;

    public async Task<ChannelAddress?> AnnounceAsync(RequestSnapshot snapshot, CancellationToken cancellationToken)
    {
        var request = snapshot.Request;
        var o = options.Value;
        if (o.ChannelFor(request.Stack, request.Tier) is not { ChannelId: { } channel, ServiceUrl: { } serviceUrl } target || o.TenantOf(target) is not { } tenant)
        {
            TeamsLog.NoChannel(logger, request.Stack, request.Tier, request.Id);
            return null;
        }

        var card = ApprovalCards.CardActivity(cards.Pending(request, snapshot.Decisions), Summary(request));
        var thread = await connector.CreateChannelThreadAsync(serviceUrl, channel, tenant, card, cancellationToken).ConfigureAwait(false);
        TeamsLog.Posted(logger, request.Id, channel, thread.ConversationId, thread.ActivityId);
        return new ChannelAddress(thread.ConversationId, thread.ActivityId, serviceUrl);
    }

    public async Task UpdateAsync(ChannelAddress address, RequestSnapshot snapshot, RequestState shown, CancellationToken cancellationToken)
    {
        var (request, decisions, _) = snapshot;
        var card = request.State == RequestState.Pending ? cards.Pending(request, decisions) : cards.Decided(request, decisions);
        var serviceUrl = ServiceUrl(address);
        await connector.UpdateActivityAsync(serviceUrl, address.Conversation, address.MessageId, ApprovalCards.CardActivity(card, Summary(request)), cancellationToken).ConfigureAwait(false);
        if (shown == RequestState.Pending && request.State is RequestState.Approved or RequestState.Rejected)
        {
            await connector.ReplyAsync(serviceUrl, address.Conversation, address.MessageId, ApprovalCards.TextActivity(ApprovalCards.DecidedText(request, decisions)), cancellationToken).ConfigureAwait(false);
        }
    }

    public Task PostOutcomeAsync(ChannelAddress address, RequestSnapshot snapshot, CancellationToken cancellationToken) =>
        connector.ReplyAsync(ServiceUrl(address), address.Conversation, address.MessageId, ApprovalCards.TextActivity(cards.OutcomeText(snapshot.Request, snapshot.Outcome!)), cancellationToken);

    public async Task NoticeAsync(ChannelAddress? address, RequestSnapshot snapshot, string text, CancellationToken cancellationToken)
    {
        if (address is not null)
        {
            await connector.ReplyAsync(ServiceUrl(address), address.Conversation, address.MessageId, ApprovalCards.TextActivity(text), cancellationToken).ConfigureAwait(false);
            return;
        }

        var request = snapshot.Request;
        var o = options.Value;
        if (o.ChannelFor(request.Stack, request.Tier) is not { ChannelId: { } channel, ServiceUrl: { } serviceUrl } target || o.TenantOf(target) is not { } tenant)
        {
            TeamsLog.NoChannel(logger, request.Stack, request.Tier, request.Id);
            return;
        }

        await connector.CreateChannelThreadAsync(serviceUrl, channel, tenant, ApprovalCards.TextActivity(text), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Teams has no message only one person sees in a channel: a refused decision is told in the card the invoke
    /// answers with, which only the person who clicked sees (<see cref="TeamsHandlers"/>). Nothing to post here.
    /// </summary>
    public Task TellAsync(ChannelAddress? address, string user, string text, CancellationToken cancellationToken) => Task.CompletedTask;

    private static string ServiceUrl(ChannelAddress address) =>
        address.ServiceUrl ?? throw new InvalidOperationException($"The Teams post {address.Conversation}/{address.MessageId} has no service URL recorded.");

    private static string Summary(ChangeRequest request) => $"InfraGuard: {request.Stack} ({request.Tier}) {request.State.ToString().ToLowerInvariant()}";
}
