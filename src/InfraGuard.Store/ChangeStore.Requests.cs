using System.Data.Common;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Store;

/// <summary>Change requests: create, read, decide, transition, complete; each change with its audit entry in one transaction.</summary>
public sealed partial class ChangeStore
{

    /// <inheritdoc />
    public async Task<CreateRequestResult> CreateAsync(NewChangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return await WriteAsync(async (c, tx) =>
        {
            // Idempotency: in CI, the same stack + plan + CI run finds its request in any state (a re-run job sees the
            // same decision). Outside CI there is no run id, so the same stack + plan finds the newest request that is
            // still open (pending or approved): a killed local run picks its request up again.
            var existing = await c.QueryFirstOrDefaultAsync<RequestRow>(new CommandDefinition(
                """
                SELECT * FROM change_request WHERE stack = @Stack AND plan_hash = @PlanHash
                  AND (ci_run_id = @CiRunId OR (@CiRunId IS NULL AND ci_run_id IS NULL AND state IN ('Pending', 'Approved')))
                ORDER BY created_at DESC LIMIT 1
                """,
                new { request.Stack, request.PlanHash, request.CiRunId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (existing is not null)
            {
                var found = existing.ToModel();
                return new CreateRequestResult(
                    request.AllowedBecause is { } allowed && found.State == RequestState.Pending
                        ? await TransitionInTransactionAsync(c, tx, found, RequestState.Approved, PersonRef.System, allowed, cancellationToken).ConfigureAwait(false)
                        : found,
                    Created: false);
            }

            var now = Now();
            var approvals = request.Assessment.Approvals ?? new ApprovalRequirement(1, [], TimeSpan.FromHours(4));
            var created = new ChangeRequest(request)
            {
                Id = RequestId.New(),
                Tier = request.Assessment.Tier,
                Score = request.Assessment.Score,
                Decision = request.Assessment.Decision,
                RequiredApprovals = approvals,
                CreatedAt = now,
                ExpiresAt = now + approvals.ExpiresAfter,
                State = RequestState.Pending,
                StateChangedAt = now,
                SubmittedBy = request.SubmittedBy ?? request.Requester.RawIdentity,
            };
            await c.ExecuteAsync(new CommandDefinition(RequestRow.Insert, RequestRow.From(created), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var (kind, content) in request.Artifacts)
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO plan_artifact (request_id, kind, sha256, size, content_gzip) VALUES (@id, @kind, @sha, @size, @gz)",
                    new { id = created.Id, kind = kind.ToString(), sha = Convert.ToHexStringLower(SHA256.HashData(content)), size = (long)content.Length, gz = Gzip(content) },
                    tx,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await AppendInTransactionAsync(c, tx, RequestAuditEvents.Submitted(created), cancellationToken).ConfigureAwait(false);
            if (request.AllowedBecause is not { } because)
            {
                return new CreateRequestResult(created, Created: true);
            }

            // Approved by policy (and started, when asked) in this same transaction: no window where it is pending.
            created = await TransitionInTransactionAsync(c, tx, created, RequestState.Approved, PersonRef.System, because, cancellationToken).ConfigureAwait(false);
            if (request.StartedBy is not { } starter)
            {
                return new CreateRequestResult(created, Created: true);
            }

            created = await TransitionInTransactionAsync(c, tx, created, RequestState.Applying, starter, "started with its submission: " + because, cancellationToken).ConfigureAwait(false);
            return new CreateRequestResult(created, Created: true, Started: true);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<ChangeRequest?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<RequestRow>(new CommandDefinition("SELECT * FROM change_request WHERE id = @id", new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<RequestRow>(new CommandDefinition(
            """
            SELECT * FROM change_request
            WHERE (@stack IS NULL OR stack = @stack) AND (@state IS NULL OR state = @state)
            ORDER BY created_at DESC, id LIMIT @limit
            """,
            new { stack = query.Stack, state = query.State?.ToString(), limit = (long)query.Limit },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToModel())];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RequestDecision>> GetDecisionsAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadDecisionsAsync(c, null, id, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<PlanArtifact?> GetArtifactAsync(string id, ArtifactKind kind, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<ArtifactRow>(new CommandDefinition(
            "SELECT sha256, content_gzip FROM plan_artifact WHERE request_id = @id AND kind = @kind",
            new { id, kind = kind.ToString() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var content = Gunzip(row.ContentGzip);
        var actual = Convert.ToHexStringLower(SHA256.HashData(content));
        return actual == row.Sha256
            ? new PlanArtifact(kind, content, actual)
            : throw new InvalidDataException($"Stored {kind} of {id} does not match its SHA-256 (stored {row.Sha256}, computed {actual}); the database was altered.");
    }

    /// <inheritdoc />
    public async Task<ApplyOutcome?> GetApplyOutcomeAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<OutcomeRow>(new CommandDefinition(
            "SELECT succeeded, exit_code, counts, diagnostics FROM apply_outcome WHERE request_id = @id", new { id }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is null
            ? null
            : new ApplyOutcome(
                row.Succeeded != 0,
                checked((int)row.ExitCode),
                JsonSerializer.Deserialize(row.Counts, StoreJson.Default.DictionaryStringInt32)!.ToDictionary(kv => Enum.Parse<ChangeOp>(kv.Key, ignoreCase: true), kv => kv.Value),
                row.Diagnostics);
    }

    /// <inheritdoc />
    public Task<RequestOutcome> DecideAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(rule);
        return DecideAndRecordRefusalAsync(id, decision, rule, cancellationToken);
    }

    private async Task<RequestOutcome> DecideAndRecordRefusalAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken)
    {
        (ChangeRequest Request, RequestDecision Attempt)? refused = null;
        var outcome = await WriteAsync(async (c, tx) =>
        {
            var request = await LockedGetAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return RequestOutcome.Fail(new RequestNotFound(id));
            }

            var target = decision.Verdict == Verdict.Approve ? RequestState.Approved : RequestState.Rejected;
            if (request.State != RequestState.Pending)
            {
                return RequestOutcome.Fail(new IllegalTransition(id, request.State, target));
            }

            var existing = await ReadDecisionsAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
            if (existing.Any(d => d.Approver.PersonId == decision.Approver.PersonId))
            {
                return RequestOutcome.Fail(new AlreadyDecided(id, decision.Approver.PersonId));
            }

            var incoming = new RequestDecision(id, decision.Approver, decision.Channel, decision.Verdict, decision.Reason, Now());
            var ruling = rule(request, existing, incoming);
            if (!ruling.Accepted)
            {
                refused = (request, incoming);
                return RequestOutcome.Fail(new DecisionRefused(id, ruling.RefusalReason ?? "refused by the approval rules", ruling.RefusalRule ?? "other"));
            }

            if (ruling.TransitionTo is { } to && RequestTransitions.Check(id, request.State, to) is { } illegal)
            {
                return RequestOutcome.Fail(illegal);
            }

            var entry = await AppendInTransactionAsync(c, tx, RequestAuditEvents.Decided(request, incoming, ruling.TransitionTo), cancellationToken, checkpointFollows: true).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO request_decision (request_id, person_id, raw_identity, channel, verdict, reason, decided_at, audit_seq)
                VALUES (@id, @person, @identity, @channel, @verdict, @reason, @at, @seq)
                """,
                new { id, person = decision.Approver.PersonId, identity = decision.Approver.RawIdentity, channel = decision.Channel.ToString(), verdict = decision.Verdict.ToString(), reason = decision.Reason, at = Format(incoming.At), seq = entry.Seq },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var updated = request;
            if (ruling.TransitionTo is { } next)
            {
                updated = await SetStateAsync(c, tx, request, next, incoming.At, cancellationToken).ConfigureAwait(false);
            }

            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
            return RequestOutcome.Ok(updated);
        }, cancellationToken).ConfigureAwait(false);

        // The attempt is evidence (self-approval, ineligible approver): audited, though nothing changed.
        if (refused is { } r && outcome.Error is DecisionRefused why)
        {
            await RecordRefusalAsync(r.Request, r.Attempt, why, cancellationToken).ConfigureAwait(false);
        }

        return outcome;
    }

    /// <inheritdoc />
    public Task<RequestOutcome> TransitionAsync(string id, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return WriteAsync(async (c, tx) =>
        {
            var request = await LockedGetAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return RequestOutcome.Fail(new RequestNotFound(id));
            }

            return RequestTransitions.Check(id, request.State, to) is { } illegal
                ? RequestOutcome.Fail(illegal)
                : RequestOutcome.Ok(await TransitionInTransactionAsync(c, tx, request, to, actor, reason, cancellationToken).ConfigureAwait(false));
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RequestOutcome> CompleteApplyAsync(string id, ApplyOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return WriteAsync(async (c, tx) =>
        {
            var request = await LockedGetAsync(c, tx, id, cancellationToken).ConfigureAwait(false);
            if (request is null)
            {
                return RequestOutcome.Fail(new RequestNotFound(id));
            }

            var to = outcome.Succeeded ? RequestState.Applied : RequestState.Failed;
            if (RequestTransitions.Check(id, request.State, to) is { } illegal)
            {
                return RequestOutcome.Fail(illegal);
            }

            var at = Now();
            await AppendInTransactionAsync(c, tx, RequestAuditEvents.ApplyCompleted(request, outcome, at), cancellationToken, checkpointFollows: true).ConfigureAwait(false);
            var counts = JsonSerializer.Serialize(outcome.Counts.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value), StoreJson.Default.DictionaryStringInt32);
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO apply_outcome (request_id, succeeded, exit_code, counts, diagnostics, finished_at) VALUES (@id, @ok, @exit, @counts, @diag, @at)",
                new { id, ok = outcome.Succeeded ? 1L : 0L, exit = (long)outcome.ExitCode, counts, diag = outcome.Diagnostics, at = Format(at) },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var updated = await SetStateAsync(c, tx, request, to, at, cancellationToken).ConfigureAwait(false);
            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
            return RequestOutcome.Ok(updated);
        }, cancellationToken);
    }

    private static async Task<ChangeRequest?> LockedGetAsync(DbConnection c, DbTransaction tx, string id, CancellationToken cancellationToken)
    {
        var row = await c.QueryFirstOrDefaultAsync<RequestRow>(new CommandDefinition("SELECT * FROM change_request WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    // The caller has checked the transition is legal.
    private async Task<ChangeRequest> TransitionInTransactionAsync(DbConnection c, DbTransaction tx, ChangeRequest request, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken)
    {
        var at = Now();
        await AppendInTransactionAsync(c, tx, RequestAuditEvents.Transitioned(request, to, actor, reason, at), cancellationToken).ConfigureAwait(false);
        return await SetStateAsync(c, tx, request, to, at, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<ChangeRequest> SetStateAsync(DbConnection c, DbTransaction tx, ChangeRequest request, RequestState to, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var changed = await c.ExecuteAsync(new CommandDefinition(
            "UPDATE change_request SET state = @to, state_changed_at = @at WHERE id = @id AND state = @from",
            new { id = request.Id, to = to.ToString(), from = request.State.ToString(), at = Format(at) },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return changed == 1
            ? request with { State = to, StateChangedAt = at }
            : throw new InvalidOperationException($"Change request {request.Id} changed state under the write lock; this is a bug.");
    }

    private static async Task<IReadOnlyList<RequestDecision>> ReadDecisionsAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken cancellationToken)
    {
        var rows = await c.QueryAsync<DecisionRow>(new CommandDefinition(
            "SELECT request_id, person_id, raw_identity, channel, verdict, reason, decided_at FROM request_decision WHERE request_id = @id ORDER BY audit_seq",
            new { id },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new RequestDecision(r.RequestId, new PersonRef(r.PersonId, r.RawIdentity), DecisionChannel.Of(r.Channel), Enum.Parse<Verdict>(r.Verdict), r.Reason, Parse(r.DecidedAt)))];
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(content);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] content)
    {
        using var input = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private sealed class RequestRow
    {
        public const string Insert = """
            INSERT INTO change_request (id, stack, project, tier, requester_person, requester_identity, actor_kind, on_behalf_of,
              commit_authors, ci_run_id, ci_run_url, plan_hash, state_fingerprint, policy_pack_hash, score, decision,
              approvals_count, approvals_from, approvals_expire_ms, created_at, expires_at, state, state_changed_at, assessment,
              submitted_by, attested, commit_sha, kind, action)
            VALUES (@Id, @Stack, @Project, @Tier, @RequesterPerson, @RequesterIdentity, @ActorKind, @OnBehalfOf,
              @CommitAuthors, @CiRunId, @CiRunUrl, @PlanHash, @StateFingerprint, @PolicyPackHash, @Score, @Decision,
              @ApprovalsCount, @ApprovalsFrom, @ApprovalsExpireMs, @CreatedAt, @ExpiresAt, @State, @StateChangedAt, @Assessment,
              @SubmittedBy, @Attested, @CommitSha, @Kind, @Action)
            """;

        public string Id { get; set; } = "";
        public string Stack { get; set; } = "";
        public string Project { get; set; } = "";
        public string Tier { get; set; } = "";
        public string RequesterPerson { get; set; } = "";
        public string RequesterIdentity { get; set; } = "";
        public string ActorKind { get; set; } = "";
        public string? OnBehalfOf { get; set; }
        public string CommitAuthors { get; set; } = "[]";
        public string? CiRunId { get; set; }
        public string? CiRunUrl { get; set; }
        public string PlanHash { get; set; } = "";
        public string StateFingerprint { get; set; } = "";
        public string PolicyPackHash { get; set; } = "";
        public long Score { get; set; }
        public string Decision { get; set; } = "";
        public long ApprovalsCount { get; set; }
        public string ApprovalsFrom { get; set; } = "[]";
        public long ApprovalsExpireMs { get; set; }
        public string CreatedAt { get; set; } = "";
        public string ExpiresAt { get; set; } = "";
        public string State { get; set; } = "";
        public string StateChangedAt { get; set; } = "";
        public string Assessment { get; set; } = "";
        public string SubmittedBy { get; set; } = "";
        public long Attested { get; set; }
        public string? CommitSha { get; set; }
        public string Kind { get; set; } = RequestKinds.InfraApply;
        public string? Action { get; set; }

        public static RequestRow From(ChangeRequest r) => new()
        {
            Id = r.Id,
            Stack = r.Stack,
            Project = r.Project,
            Tier = r.Tier,
            RequesterPerson = r.Requester.PersonId,
            RequesterIdentity = r.Requester.RawIdentity,
            ActorKind = r.ActorKind.ToString(),
            OnBehalfOf = r.OnBehalfOf,
            CommitAuthors = JsonSerializer.Serialize(r.CommitAuthors, StoreJson.Default.IReadOnlyListString),
            CiRunId = r.CiRunId,
            CiRunUrl = r.CiRunUrl,
            PlanHash = r.PlanHash,
            StateFingerprint = r.StateFingerprint,
            PolicyPackHash = r.PolicyPackHash,
            Score = r.Score,
            Decision = r.Decision.ToString(),
            ApprovalsCount = r.RequiredApprovals.Count,
            ApprovalsFrom = JsonSerializer.Serialize(r.RequiredApprovals.From, StoreJson.Default.IReadOnlyListString),
            ApprovalsExpireMs = (long)r.RequiredApprovals.ExpiresAfter.TotalMilliseconds,
            CreatedAt = Format(r.CreatedAt),
            ExpiresAt = Format(r.ExpiresAt),
            State = r.State.ToString(),
            StateChangedAt = Format(r.StateChangedAt),
            Assessment = JsonSerializer.Serialize(r.Assessment, StoreJson.Default.Assessment),
            SubmittedBy = r.SubmittedBy,
            Attested = r.Attested ? 1 : 0,
            CommitSha = r.Commit,
            Kind = r.Kind,
            Action = r.Action is null ? null : JsonSerializer.Serialize(r.Action, StoreJson.Default.ActionRecord),
        };

        public ChangeRequest ToModel() => new()
        {
            Id = Id,
            Stack = Stack,
            Project = Project,
            Tier = Tier,
            Requester = new PersonRef(RequesterPerson, RequesterIdentity),
            ActorKind = Enum.Parse<ActorKind>(ActorKind),
            OnBehalfOf = OnBehalfOf,
            CommitAuthors = JsonSerializer.Deserialize(CommitAuthors, StoreJson.Default.ListString) ?? [],
            CiRunId = CiRunId,
            CiRunUrl = CiRunUrl,
            PlanHash = PlanHash,
            StateFingerprint = StateFingerprint,
            PolicyPackHash = PolicyPackHash,
            Score = checked((int)Score),
            Decision = Enum.Parse<Decision>(Decision),
            RequiredApprovals = new ApprovalRequirement(checked((int)ApprovalsCount), JsonSerializer.Deserialize(ApprovalsFrom, StoreJson.Default.ListString) ?? [], TimeSpan.FromMilliseconds(ApprovalsExpireMs)),
            CreatedAt = Parse(CreatedAt),
            ExpiresAt = Parse(ExpiresAt),
            State = Enum.Parse<RequestState>(State),
            StateChangedAt = Parse(StateChangedAt),
            Assessment = JsonSerializer.Deserialize(Assessment, StoreJson.Default.Assessment)!,
            SubmittedBy = SubmittedBy,
            Attested = Attested != 0,
            Commit = CommitSha,
            Kind = Kind,
            Action = Action is null ? null : JsonSerializer.Deserialize(Action, StoreJson.Default.ActionRecord),
        };
    }

    private sealed class ArtifactRow
    {
        public string Sha256 { get; set; } = "";
        public byte[] ContentGzip { get; set; } = [];
    }

    private sealed class OutcomeRow
    {
        public long Succeeded { get; set; }
        public long ExitCode { get; set; }
        public string Counts { get; set; } = "{}";
        public string Diagnostics { get; set; } = "";
    }

    private sealed class DecisionRow
    {
        public string RequestId { get; set; } = "";
        public string PersonId { get; set; } = "";
        public string RawIdentity { get; set; } = "";
        public string Channel { get; set; } = "";
        public string Verdict { get; set; } = "";
        public string Reason { get; set; } = "";
        public string DecidedAt { get; set; } = "";
    }
}
