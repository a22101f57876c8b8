using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>The audit log: append, read, checkpoints, keys, verification and export.</summary>
public sealed partial class ChangeStore
{

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

    /// <summary>Appends <c>key.rotated</c> signed by the current key and naming <paramref name="newSigner"/>; later entries use the new key.</summary>
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

    private async Task<AuditEntry> AppendInTransactionAsync(DbConnection c, DbTransaction tx, AuditEvent auditEvent, CancellationToken cancellationToken, bool checkpointFollows = false)
    {
        var head = await ReadHeadAsync(c, tx, cancellationToken).ConfigureAwait(false);
        var entry = AuditChain.Next(head, auditEvent, _signer);
        await c.ExecuteAsync(new CommandDefinition(EntryRow.Insert, EntryRow.From(entry), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (entry.Subject is { } subject)
        {
            await _dialect.AnnounceAsync(c, tx, subject, cancellationToken).ConfigureAwait(false);
        }
        if (!checkpointFollows && await CheckpointDueAsync(c, tx, entry.Seq, cancellationToken).ConfigureAwait(false))
        {
            await CheckpointInTransactionAsync(c, tx, cancellationToken).ConfigureAwait(false);
        }

        return entry;
    }

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
}
