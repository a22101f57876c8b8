using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>
/// Follow-ups and break-glass (schema v8, <c>follow_up</c>, <c>break_glass</c>, <c>break_glass_review</c>). A follow-up
/// is inserted once per request, kind and level, with its audit entry in the same transaction; whoever inserted it posts.
/// </summary>
public sealed partial class ChangeStore : IApprovalFlow
{
    /// <inheritdoc/>
    public Task<bool> ClaimFollowUpAsync(FollowUp followUp, AuditEvent? auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(followUp);
        return WriteAsync(async (c, tx) =>
        {
            var inserted = await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO follow_up (request_id, kind, level, due_at, principals, recorded_at)
                VALUES (@id, @kind, @level, @due, @principals, @at)
                ON CONFLICT (request_id, kind, level) DO NOTHING
                """,
                new { id = followUp.RequestId, kind = followUp.KindName, level = (long)followUp.Level, due = Format(followUp.DueAt), principals = string.Join(' ', followUp.Principals), at = Format(Now()) },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (inserted == 1 && auditEvent is not null)
            {
                await AppendInTransactionAsync(c, tx, auditEvent, cancellationToken).ConfigureAwait(false);
            }

            return inserted == 1;
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> EscalatedToAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<string>(new CommandDefinition(
            "SELECT principals FROM follow_up WHERE request_id = @requestId AND kind = @kind",
            new { requestId, kind = FollowUp.Names(FollowUpKind.Escalation) },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.SelectMany(p => p.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The follow-ups recorded for a request, as (kind, level), oldest first.</summary>
    public async Task<IReadOnlyList<(string Kind, int Level)>> ListFollowUpsAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<(string, long)>(new CommandDefinition(
            "SELECT kind, level FROM follow_up WHERE request_id = @requestId ORDER BY recorded_at, kind, level",
            new { requestId },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => (r.Item1, (int)r.Item2))];
    }

    /// <inheritdoc/>
    public Task<RequestOutcome> BreakGlassAsync(BreakGlassUse use, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(use);
        return WriteAsync(async (c, tx) =>
        {
            var request = await LockedGetAsync(c, tx, use.RequestId, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return RequestOutcome.Fail(new RequestNotFound(use.RequestId));
            }

            if (request.State != RequestState.Pending)
            {
                return RequestOutcome.Fail(new IllegalTransition(request.Id, request.State, RequestState.Approved));
            }

            var at = Now();
            var stamped = use with { UsedAt = at, ReviewDueAt = at + (use.ReviewDueAt - use.UsedAt) };
            var entry = await AppendInTransactionAsync(c, tx, BreakGlassRules.Used(stamped, request), cancellationToken, checkpointFollows: true).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO break_glass (request_id, actor_person, actor_identity, incident, reason, tier, used_at, review_due_at, reviewers_needed, audit_seq)
                VALUES (@id, @person, @identity, @incident, @reason, @tier, @at, @due, @needed, @seq)
                """,
                new
                {
                    id = request.Id,
                    person = stamped.Actor.PersonId,
                    identity = stamped.Actor.RawIdentity,
                    incident = stamped.Incident,
                    reason = stamped.Reason,
                    tier = stamped.Tier,
                    at = Format(stamped.UsedAt),
                    due = Format(stamped.ReviewDueAt),
                    needed = (long)stamped.ReviewersNeeded,
                    seq = entry.Seq,
                },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var updated = await SetStateAsync(c, tx, request, RequestState.Approved, at, cancellationToken).ConfigureAwait(false);
            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
            return RequestOutcome.Ok(updated);
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<BreakGlassUse?> GetBreakGlassAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<BreakGlassRow>(new CommandDefinition(
            "SELECT * FROM break_glass WHERE request_id = @requestId", new { requestId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<BreakGlassReview>> GetReviewsAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadReviewsAsync(c, null, requestId, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<OpenReview>> ListOpenReviewsAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<BreakGlassRow>(new CommandDefinition(
            """
            SELECT b.*, (SELECT COUNT(*) FROM break_glass_review r WHERE r.request_id = b.request_id AND r.verdict = 'Approve') AS reviews
            FROM break_glass b
            WHERE (SELECT COUNT(*) FROM break_glass_review r WHERE r.request_id = b.request_id AND r.verdict = 'Approve') < b.reviewers_needed
            ORDER BY b.review_due_at, b.request_id
            """,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new OpenReview(r.ToModel(), (int)r.Reviews))];
    }

    /// <inheritdoc/>
    public Task<RequestOutcome> ReviewAsync(string requestId, DecisionInput review, Func<ChangeRequest, BreakGlassUse, IReadOnlyList<BreakGlassReview>, DecisionRuling> rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(review);
        ArgumentNullException.ThrowIfNull(rule);
        return WriteAsync(async (c, tx) =>
        {
            var request = await LockedGetAsync(c, tx, requestId, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return RequestOutcome.Fail(new RequestNotFound(requestId));
            }

            var use = (await c.QueryFirstOrDefaultAsync<BreakGlassRow>(new CommandDefinition(
                "SELECT * FROM break_glass WHERE request_id = @requestId", new { requestId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false))?.ToModel();
            if (use is null)
            {
                return RequestOutcome.Fail(new DecisionRefused(requestId, $"{requestId} was not a break-glass change, so it has no retrospective review; decide on it with 'infraguard approve'.", "not-break-glass"));
            }

            var reviews = await ReadReviewsAsync(c, tx, requestId, cancellationToken).ConfigureAwait(false);
            var ruling = rule(request, use, reviews);
            if (!ruling.Accepted)
            {
                return RequestOutcome.Fail(new DecisionRefused(requestId, ruling.RefusalReason ?? "refused by the approval rules", ruling.RefusalRule ?? "other"));
            }

            var recorded = new BreakGlassReview(requestId, review.Approver, review.Verdict, review.Reason, Now());
            var approvals = reviews.Count(r => r.Verdict == Verdict.Approve) + (review.Verdict == Verdict.Approve ? 1 : 0);
            var entry = await AppendInTransactionAsync(c, tx, BreakGlassRules.Reviewed(recorded, request, approvals, use.ReviewersNeeded), cancellationToken).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO break_glass_review (request_id, person_id, raw_identity, channel, verdict, reason, reviewed_at, audit_seq)
                VALUES (@requestId, @person, @identity, @channel, @verdict, @reason, @at, @seq)
                """,
                new { requestId, person = review.Approver.PersonId, identity = review.Approver.RawIdentity, channel = review.Channel.ToString(), verdict = review.Verdict.ToString(), reason = review.Reason, at = Format(recorded.At), seq = entry.Seq },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return RequestOutcome.Ok(request);
        }, cancellationToken);
    }

    private static async Task<IReadOnlyList<BreakGlassReview>> ReadReviewsAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction? tx, string requestId, CancellationToken cancellationToken)
    {
        var rows = await c.QueryAsync<(string Person, string Identity, string Verdict, string Reason, string At)>(new CommandDefinition(
            "SELECT person_id, raw_identity, verdict, reason, reviewed_at FROM break_glass_review WHERE request_id = @requestId ORDER BY audit_seq",
            new { requestId },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new BreakGlassReview(requestId, new PersonRef(r.Person, r.Identity), Enum.Parse<Verdict>(r.Verdict), r.Reason, Parse(r.At)))];
    }

    private sealed class BreakGlassRow
    {
        public string RequestId { get; set; } = "";

        public string ActorPerson { get; set; } = "";

        public string ActorIdentity { get; set; } = "";

        public string Incident { get; set; } = "";

        public string Reason { get; set; } = "";

        public string Tier { get; set; } = "";

        public string UsedAt { get; set; } = "";

        public string ReviewDueAt { get; set; } = "";

        public long ReviewersNeeded { get; set; }

        public long AuditSeq { get; set; }

        public long Reviews { get; set; }

        public BreakGlassUse ToModel() =>
            new(RequestId, new PersonRef(ActorPerson, ActorIdentity), Incident, Reason, Tier, Parse(UsedAt), Parse(ReviewDueAt), (int)ReviewersNeeded);
    }
}
