using Dapper;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>Chat channel messages (schema v5, <c>channel_message</c>): what each channel shows of each request. Not audited.</summary>
public sealed partial class ChangeStore : IChannelPosts
{
    /// <inheritdoc/>
    public async Task<ChannelPost?> GetPostAsync(string channel, string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<ChannelRow>(new CommandDefinition(
            """
            SELECT channel AS Channel, request_id AS RequestId, conversation AS Conversation, message_id AS MessageId, service_url AS ServiceUrl,
                   shown_state AS ShownState, shown_decisions AS ShownDecisions, outcome_posted AS OutcomePosted
            FROM channel_message WHERE channel = @channel AND request_id = @requestId
            """,
            new { channel, requestId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null
            ? null
            : new ChannelPost(row.Channel, row.RequestId, new ChannelAddress(row.Conversation, row.MessageId, row.ServiceUrl), Enum.Parse<RequestState>(row.ShownState), (int)row.ShownDecisions, row.OutcomePosted != 0);
    }

    /// <inheritdoc/>
    public Task SavePostAsync(ChannelPost post, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(post);
        return WriteAsync(async (c, tx) => await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO channel_message (channel, request_id, conversation, message_id, service_url, shown_state, shown_decisions, outcome_posted, updated_at)
            VALUES (@channel, @requestId, @conversation, @messageId, @serviceUrl, @state, @decisions, @outcome, @at)
            ON CONFLICT (channel, request_id) DO UPDATE SET conversation = excluded.conversation, message_id = excluded.message_id,
              service_url = excluded.service_url, shown_state = excluded.shown_state, shown_decisions = excluded.shown_decisions,
              outcome_posted = excluded.outcome_posted, updated_at = excluded.updated_at
            """,
            new
            {
                channel = post.Channel,
                requestId = post.RequestId,
                conversation = post.Address.Conversation,
                messageId = post.Address.MessageId,
                serviceUrl = post.Address.ServiceUrl,
                state = post.ShownState.ToString(),
                decisions = (long)post.ShownDecisions,
                outcome = post.OutcomePosted ? 1L : 0L,
                at = Format(Now()),
            },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false), cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ListBehindAsync(string channel, int limit = 500, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var ids = await c.QueryAsync<string>(new CommandDefinition(
            """
            SELECT r.id FROM change_request r
            LEFT JOIN channel_message m ON m.request_id = r.id AND m.channel = @channel
            WHERE (m.request_id IS NULL AND r.state = 'Pending')
               OR (m.request_id IS NOT NULL AND (m.shown_state <> r.state
                   OR m.shown_decisions <> (SELECT COUNT(*) FROM request_decision d WHERE d.request_id = r.id)
                   OR (m.outcome_posted = 0 AND EXISTS (SELECT 1 FROM apply_outcome o WHERE o.request_id = r.id))))
            ORDER BY r.created_at, r.id LIMIT @limit
            """,
            new { channel, limit = (long)limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return ids.AsList();
    }

    private sealed class ChannelRow
    {
        public string Channel { get; set; } = "";

        public string RequestId { get; set; } = "";

        public string Conversation { get; set; } = "";

        public string MessageId { get; set; } = "";

        public string? ServiceUrl { get; set; }

        public string ShownState { get; set; } = "";

        public long ShownDecisions { get; set; }

        public long OutcomePosted { get; set; }
    }
}
