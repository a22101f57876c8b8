using Dapper;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>Where a change request was posted in Slack and how far its message has been brought up to date.</summary>
/// <param name="RequestId">The change request.</param>
/// <param name="Channel">Slack channel id of the parent message.</param>
/// <param name="Ts">The parent message's <c>ts</c> (its id for threads and updates).</param>
/// <param name="PostedState">The request state the parent message last showed.</param>
/// <param name="OutcomePosted">True once the apply outcome was replied in the thread.</param>
public sealed record SlackMessageRef(string RequestId, string Channel, string Ts, RequestState PostedState, bool OutcomePosted);

/// <summary>Slack delivery metadata (schema v3): one row per posted request. Not audited: it records where, not what.</summary>
public sealed partial class ChangeStore
{
    /// <summary>The Slack message of <paramref name="requestId"/>, or null when it was never posted.</summary>
    public async Task<SlackMessageRef?> GetSlackMessageAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<SlackRow>(new CommandDefinition(
            "SELECT request_id AS RequestId, channel AS Channel, ts AS Ts, posted_state AS PostedState, outcome_posted AS OutcomePosted FROM slack_message WHERE request_id = @requestId",
            new { requestId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null ? null : new SlackMessageRef(row.RequestId, row.Channel, row.Ts, Enum.Parse<RequestState>(row.PostedState), row.OutcomePosted != 0);
    }

    /// <summary>Records (or replaces) where <paramref name="message"/>'s request lives in Slack and what it shows.</summary>
    public Task SaveSlackMessageAsync(SlackMessageRef message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return WriteAsync(async (c, tx) => await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO slack_message (request_id, channel, ts, posted_state, outcome_posted, updated_at)
            VALUES (@requestId, @channel, @ts, @state, @outcome, @at)
            ON CONFLICT (request_id) DO UPDATE SET channel = excluded.channel, ts = excluded.ts,
              posted_state = excluded.posted_state, outcome_posted = excluded.outcome_posted, updated_at = excluded.updated_at
            """,
            new { requestId = message.RequestId, channel = message.Channel, ts = message.Ts, state = message.PostedState.ToString(), outcome = message.OutcomePosted ? 1L : 0L, at = Format(Now()) },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false), cancellationToken);
    }

    /// <summary>
    /// Requests whose Slack message is behind the store, oldest first: pending and never posted, posted showing another
    /// state, or applied without the outcome in the thread. What a server must catch up on when it starts (Slack was off,
    /// or the server stopped with posts still queued).
    /// </summary>
    public async Task<IReadOnlyList<string>> ListSlackBacklogAsync(int limit = 500, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var ids = await c.QueryAsync<string>(new CommandDefinition(
            """
            SELECT r.id FROM change_request r
            LEFT JOIN slack_message m ON m.request_id = r.id
            WHERE (m.request_id IS NULL AND r.state = 'Pending')
               OR (m.request_id IS NOT NULL AND m.posted_state <> r.state)
               OR (m.request_id IS NOT NULL AND m.outcome_posted = 0 AND EXISTS (SELECT 1 FROM apply_outcome o WHERE o.request_id = r.id))
            ORDER BY r.created_at, r.id LIMIT @limit
            """,
            new { limit = (long)limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return ids.AsList();
    }

    private sealed class SlackRow
    {
        public string RequestId { get; set; } = "";

        public string Channel { get; set; } = "";

        public string Ts { get; set; } = "";

        public string PostedState { get; set; } = "";

        public long OutcomePosted { get; set; }
    }
}
