using System.Data.Common;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Store.Sql;

namespace InfraGuard.Store;

/// <summary>Options for <see cref="ChangeStore.Open"/>.</summary>
/// <param name="Origin">Log name in checkpoints, e.g. <c>acme.example/infraguard/prod</c>.</param>
/// <param name="AppRole">PostgreSQL only: the application role to grant SELECT/INSERT (no UPDATE/DELETE/TRUNCATE) on audit tables after migrating.</param>
public sealed record ChangeStoreOptions(string Origin = "infraguard", string? AppRole = null)
{
    /// <summary>An append writes a signed checkpoint when this many entries follow the newest checkpoint.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>An append writes a signed checkpoint when the newest checkpoint (before the first: the first entry) is this old.</summary>
    public TimeSpan CheckpointAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>SQLite only: how long an operation waits for a lock another process holds before the store is unavailable.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told when a write has to wait for another process's lock (after a second): what waits and for how long at most.</summary>
    public Action<string>? Waiting { get; init; }
}

/// <summary>
/// The durable store: change requests and the audit log in SQLite (default) or PostgreSQL, same schema and
/// behaviour. Every state change and its audit entry (and checkpoint) commit in one transaction that holds the write
/// lock from the start; if the append fails, the operation fails.
/// </summary>
/// <remarks>
/// Checkpoints: after every decision, apply outcome and key rotation, and otherwise at an append once
/// <see cref="ChangeStoreOptions.CheckpointEvery"/> entries follow the newest checkpoint or it is older than
/// <see cref="ChangeStoreOptions.CheckpointAfter"/>. Entries after the newest checkpoint are vouched for by none:
/// <c>audit verify</c> reports how many there are and how old that checkpoint is.
/// </remarks>
public sealed partial class ChangeStore : IChangeStore, IAuditLog, IDisposable
{
    private readonly ISqlDialect _dialect;
    private readonly TimeProvider _time;
    private readonly ChangeStoreOptions _options;
    private volatile IAuditSigner _signer;

    static ChangeStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private ChangeStore(ISqlDialect dialect, TimeProvider time, IAuditSigner signer, ChangeStoreOptions options)
    {
        _dialect = dialect;
        _time = time;
        _signer = signer;
        _options = options;
    }

    /// <summary>What the store is connected to, without secrets.</summary>
    public string Description => _dialect.Describe;

    /// <summary>The current signing key id.</summary>
    public string KeyId => _signer.KeyId;

    internal ISqlDialect Dialect => _dialect;

    /// <summary>
    /// Opens (creating and migrating when needed) the store named by <paramref name="dbSpec"/>: a
    /// <c>postgres://</c> URL or Npgsql connection string for PostgreSQL, otherwise a SQLite path.
    /// Records the signer's public key in <c>audit_key</c>.
    /// </summary>
    public static ChangeStore Open(string dbSpec, TimeProvider time, IAuditSigner signer, ChangeStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dbSpec);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(signer);
        options ??= new ChangeStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CheckpointEvery, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CheckpointAfter, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LockWait, TimeSpan.Zero, nameof(options));
        ISqlDialect dialect = DbSpec.IsPostgres(dbSpec)
            ? new PostgresDialect(DbSpec.ToNpgsql(dbSpec), options.AppRole)
            : new SqliteDialect(DbSpec.ToSqlite(dbSpec), options.LockWait, options.Waiting);
        var store = new ChangeStore(dialect, time, signer, options);
        try
        {
            store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            dialect.Dispose();
            if (dialect.Unavailable(e) is { } unavailable)
            {
                throw unavailable;
            }

            throw;
        }

        return store;
    }

    /// <inheritdoc />
    public void Dispose() => _dialect.Dispose();

    // ----- change requests -------------------------------------------------------------------------------------

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
                return new CreateRequestResult(existing.ToModel(), Created: false);
            }

            var now = Now();
            var approvals = request.Assessment.Approvals ?? new ApprovalRequirement(1, [], TimeSpan.FromHours(4));
            var created = new ChangeRequest
            {
                Id = RequestId.New(),
                Stack = request.Stack,
                Project = request.Project,
                Tier = request.Assessment.Tier,
                Requester = request.Requester,
                ActorKind = request.ActorKind,
                OnBehalfOf = request.OnBehalfOf,
                CommitAuthors = request.CommitAuthors,
                CiRunId = request.CiRunId,
                CiRunUrl = request.CiRunUrl,
                PlanHash = request.PlanHash,
                StateFingerprint = request.StateFingerprint,
                PolicyPackHash = request.PolicyPackHash,
                Score = request.Assessment.Score,
                Decision = request.Assessment.Decision,
                RequiredApprovals = approvals,
                CreatedAt = now,
                ExpiresAt = now + approvals.ExpiresAfter,
                State = RequestState.Pending,
                StateChangedAt = now,
                Assessment = request.Assessment,
                SubmittedBy = request.SubmittedBy ?? request.Requester.RawIdentity,
                Attested = request.Attested,
                Commit = request.Commit,
                Kind = request.Kind,
                Action = request.Action,
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
            return new CreateRequestResult(created, Created: true);
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

            if (RequestTransitions.Check(id, request.State, to) is { } illegal)
            {
                return RequestOutcome.Fail(illegal);
            }

            var at = Now();
            await AppendInTransactionAsync(c, tx, RequestAuditEvents.Transitioned(request, to, actor, reason, at), cancellationToken).ConfigureAwait(false);
            return RequestOutcome.Ok(await SetStateAsync(c, tx, request, to, at, cancellationToken).ConfigureAwait(false));
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

    // ----- audit log -------------------------------------------------------------------------------------------

    /// <inheritdoc />
    public Task<AuditEntry> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        return WriteAsync((c, tx) => AppendInTransactionAsync(c, tx, auditEvent, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadHeadAsync(c, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<AuditEntry?> GetEntryAsync(long seq, CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<EntryRow>(new CommandDefinition(EntryRow.Select + " WHERE seq = @seq", new { seq }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditEntry>> ListEntriesAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<EntryRow>(new CommandDefinition(
            EntryRow.Select + """
             WHERE (@from IS NULL OR seq >= @from) AND (@to IS NULL OR seq <= @to)
               AND (@kind IS NULL OR kind = @kind) AND (@request IS NULL OR subject = @request)
               AND (@since IS NULL OR recorded_at >= @since) AND (@until IS NULL OR recorded_at < @until)
             ORDER BY seq LIMIT @limit
            """,
            new
            {
                from = query.FromSeq,
                to = query.ToSeq,
                kind = query.Kind,
                request = query.Request,
                since = query.Since is { } s ? Format(s) : null,
                until = query.Until is { } u ? Format(u) : null,
                limit = (long)query.Limit,
            },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToModel())];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<CheckpointRow>(new CommandDefinition(
            "SELECT number, body, key_id, signature FROM audit_checkpoint ORDER BY number", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new AuditCheckpoint(r.Number, r.Body, r.KeyId, r.Signature))];
    }

    /// <inheritdoc />
    public Task<AuditCheckpoint> CheckpointAsync(CancellationToken cancellationToken = default) =>
        WriteAsync((c, tx) => CheckpointInTransactionAsync(c, tx, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<AuditCheckpoint?> HeartbeatAsync(TimeSpan maxAge, CancellationToken cancellationToken = default) =>
        WriteAsync<AuditCheckpoint?>(async (c, tx) =>
        {
            var latest = await c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT MAX(created_at) FROM audit_checkpoint", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (latest is not null && Parse(latest) > Now() - maxAge)
            {
                return null;
            }

            return await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditPublicKey>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<(string KeyId, string PublicKey)>(new CommandDefinition(
            "SELECT key_id, public_key FROM audit_key ORDER BY added_at, key_id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => new AuditPublicKey(r.KeyId, Convert.FromBase64String(r.PublicKey)))];
    }

    /// <inheritdoc />
    public Task<AuditEntry> RotateKeyAsync(IAuditSigner newSigner, PersonRef actor, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(newSigner);
        ArgumentNullException.ThrowIfNull(actor);
        var old = _signer;
        return WriteAsync(async (c, tx) =>
        {
            var entry = await AppendInTransactionAsync(c, tx, RequestAuditEvents.KeyRotated(old.KeyId, newSigner, actor, reason, Now()), cancellationToken, checkpointFollows: true).ConfigureAwait(false);
            await RecordKeyAsync(c, tx, newSigner, cancellationToken).ConfigureAwait(false);
            // Swap while still holding the write lock, so no other append signs with the retired key; undo on failure.
            _signer = newSigner;
            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
            return entry;
        }, cancellationToken, onFailure: () => _signer = old);
    }

    /// <inheritdoc />
    public async Task<AuditVerification> VerifyAsync(IEnumerable<AuditPublicKey> trustedKeys, IEnumerable<WitnessedHead>? witnesses = null, CancellationToken cancellationToken = default)
    {
        var checkpoints = await ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var verifier = new AuditVerifier(trustedKeys, checkpoints, witnesses);
        await foreach (var entry in StreamEntriesAsync(cancellationToken).ConfigureAwait(false))
        {
            verifier.Add(entry);
        }

        return verifier.Complete(_time.GetUtcNow());
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditExportFile>> ExportAsync(CancellationToken cancellationToken = default)
    {
        var entries = new List<AuditEntry>();
        await foreach (var entry in StreamEntriesAsync(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        var checkpoints = await ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var keys = await ListKeysAsync(cancellationToken).ConfigureAwait(false);
        return AuditExport.Build(_options.Origin, entries, checkpoints, keys);
    }

    /// <summary>All entries in ascending seq order, streamed.</summary>
    public async IAsyncEnumerable<AuditEntry> StreamEntriesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in c.QueryUnbufferedAsync<EntryRow>(EntryRow.Select + " ORDER BY seq").WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return row.ToModel();
        }
    }

    internal Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default) => _dialect.OpenAsync(cancellationToken);

    // ----- internals -------------------------------------------------------------------------------------------

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await Migrator.MigrateAsync(_dialect, c, Format(Now()), cancellationToken).ConfigureAwait(false);
        var known = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM audit_key WHERE key_id = @id", new { id = _signer.KeyId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (known == 0)
        {
            await using var tx = await _dialect.BeginWriteAsync(c, cancellationToken).ConfigureAwait(false);
            await RecordKeyAsync(c, tx, _signer, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RecordKeyAsync(DbConnection c, DbTransaction tx, IAuditSigner signer, CancellationToken cancellationToken)
    {
        var exists = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM audit_key WHERE key_id = @id", new { id = signer.KeyId }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (exists == 0)
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO audit_key (key_id, public_key, added_at) VALUES (@id, @pk, @at)",
                new { id = signer.KeyId, pk = Convert.ToBase64String(signer.PublicKey.Span), at = Format(Now()) },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, Action? onFailure = null)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await _dialect.BeginWriteAsync(c, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await work(c, tx).ConfigureAwait(false);
            if (result is RequestOutcome { Succeeded: false })
            {
                // Expected refusals write nothing.
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            onFailure?.Invoke();
            if (_dialect.Unavailable(e) is { } unavailable)
            {
                throw unavailable;
            }

            throw;
        }
    }

    // checkpointFollows: the caller checkpoints the head itself before committing (decisions, applies, rotations).
    private async Task<AuditEntry> AppendInTransactionAsync(DbConnection c, DbTransaction tx, AuditEvent auditEvent, CancellationToken cancellationToken, bool checkpointFollows = false)
    {
        var head = await ReadHeadAsync(c, tx, cancellationToken).ConfigureAwait(false);
        var entry = AuditChain.Next(head, auditEvent, _signer);
        await c.ExecuteAsync(new CommandDefinition(EntryRow.Insert, EntryRow.From(entry), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (!checkpointFollows && await CheckpointDueAsync(c, tx, entry.Seq, cancellationToken).ConfigureAwait(false))
        {
            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
        }

        return entry;
    }

    // Bounds the tail no checkpoint vouches for: at most CheckpointEvery entries, or the entries of CheckpointAfter.
    // Before the first checkpoint, the log's first entry stands in for it.
    private async Task<bool> CheckpointDueAsync(DbConnection c, DbTransaction tx, long seq, CancellationToken cancellationToken)
    {
        var newest = await c.QueryFirstOrDefaultAsync<(long Size, string CreatedAt)?>(new CommandDefinition(
            "SELECT size, created_at FROM audit_checkpoint ORDER BY number DESC LIMIT 1", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var (size, since) = newest is { } n
            ? (n.Size, n.CreatedAt)
            : (0, await c.ExecuteScalarAsync<string>(new CommandDefinition("SELECT recorded_at FROM audit_entry WHERE seq = 1", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false));
        return seq - size >= _options.CheckpointEvery
            || (DateTimeOffset.TryParseExact(since, CanonicalJson.TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && Now() - at >= _options.CheckpointAfter);
    }

    private async Task<AuditCheckpoint> CheckpointInTransactionAsync(DbConnection c, DbTransaction tx, CancellationToken cancellationToken)
    {
        var head = await ReadHeadAsync(c, tx, cancellationToken).ConfigureAwait(false);
        var number = (await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(number) FROM audit_checkpoint", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0) + 1;
        var at = Now();
        var checkpoint = AuditCheckpoint.Create(number, _options.Origin, head, at, _signer);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO audit_checkpoint (number, size, created_at, body, key_id, signature) VALUES (@number, @size, @at, @body, @keyId, @signature)",
            new { number, size = head.Size, at = Format(at), body = checkpoint.Body, keyId = checkpoint.KeyId, signature = checkpoint.Signature },
            tx,
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return checkpoint;
    }

    private static async Task<AuditHead> ReadHeadAsync(DbConnection c, DbTransaction? tx, CancellationToken cancellationToken)
    {
        var head = await c.QueryFirstOrDefaultAsync<(long Seq, string EntryHash)?>(new CommandDefinition(
            "SELECT seq, entry_hash FROM audit_entry ORDER BY seq DESC LIMIT 1", transaction: tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return head is { } h ? new AuditHead(h.Seq, h.EntryHash) : AuditHead.Empty;
    }

    private static async Task<ChangeRequest?> LockedGetAsync(DbConnection c, DbTransaction tx, string id, CancellationToken cancellationToken)
    {
        var row = await c.QueryFirstOrDefaultAsync<RequestRow>(new CommandDefinition("SELECT * FROM change_request WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
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

    private DateTimeOffset Now()
    {
        // Stored and audited at millisecond precision; truncate so the model round-trips exactly.
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static string Format(DateTimeOffset at) => CanonicalJson.FormatTimestamp(at);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, CanonicalJson.TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

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

    // ----- row types (Dapper) ----------------------------------------------------------------------------------

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
        public string Kind { get; set; } = Core.Actions.ProposedAction.InfraApply;
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

    private sealed class EntryRow
    {
        public const string Select = "SELECT seq, recorded_at, kind, subject, payload, prev_hash, entry_hash, key_id, signature FROM audit_entry";

        public const string Insert = """
            INSERT INTO audit_entry (seq, recorded_at, kind, subject, payload, prev_hash, entry_hash, key_id, signature)
            VALUES (@Seq, @RecordedAt, @Kind, @Subject, @Payload, @PrevHash, @EntryHash, @KeyId, @Signature)
            """;

        public long Seq { get; set; }
        public string RecordedAt { get; set; } = "";
        public string Kind { get; set; } = "";
        public string? Subject { get; set; }
        public byte[] Payload { get; set; } = [];
        public string PrevHash { get; set; } = "";
        public string EntryHash { get; set; } = "";
        public string KeyId { get; set; } = "";
        public string Signature { get; set; } = "";

        public static EntryRow From(AuditEntry e) => new()
        {
            Seq = e.Seq,
            RecordedAt = e.RecordedAt,
            Kind = e.Kind,
            Subject = e.Subject,
            Payload = e.Payload,
            PrevHash = e.PrevHash,
            EntryHash = e.EntryHash,
            KeyId = e.KeyId,
            Signature = e.Signature,
        };

        public AuditEntry ToModel() => new(Seq, RecordedAt, Kind, Subject, Payload, PrevHash, EntryHash, KeyId, Signature);
    }

    private sealed class CheckpointRow
    {
        public long Number { get; set; }
        public byte[] Body { get; set; } = [];
        public string KeyId { get; set; } = "";
        public string Signature { get; set; } = "";
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
