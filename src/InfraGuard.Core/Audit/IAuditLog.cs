namespace InfraGuard.Core.Audit;

/// <summary>Filters for listing audit entries; null means any.</summary>
public sealed record AuditQuery(
    long? FromSeq = null,
    long? ToSeq = null,
    string? Kind = null,
    string? Request = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Until = null,
    int Limit = 1000);

/// <summary>The audit log as the CLI and server see it.</summary>
public interface IAuditLog
{
    /// <summary>Appends an event that goes with no request state change (e.g. <c>risk.scored</c>, <c>policy.changed</c>).</summary>
    Task<AuditEntry> AppendAsync(AuditEvent auditEvent, CancellationToken cancellationToken = default);

    /// <summary>Size and hash of the last entry.</summary>
    Task<AuditHead> GetHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>One entry, or null.</summary>
    Task<AuditEntry?> GetEntryAsync(long seq, CancellationToken cancellationToken = default);

    /// <summary>Entries matching the query, ascending seq.</summary>
    Task<IReadOnlyList<AuditEntry>> ListEntriesAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>All checkpoints, ascending number.</summary>
    Task<IReadOnlyList<AuditCheckpoint>> ListCheckpointsAsync(CancellationToken cancellationToken = default);

    /// <summary>Signs and stores a checkpoint of the current head now.</summary>
    Task<AuditCheckpoint> CheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>Daily heartbeat: a checkpoint if the newest is older than <paramref name="maxAge"/> (even when the head did not move); else null.</summary>
    Task<AuditCheckpoint?> HeartbeatAsync(TimeSpan maxAge, CancellationToken cancellationToken = default);

    /// <summary>Public keys recorded in the database (informational: trust keys obtained out of band).</summary>
    Task<IReadOnlyList<AuditPublicKey>> ListKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Streams the whole log through <see cref="AuditVerifier"/>.</summary>
    Task<AuditVerification> VerifyAsync(IEnumerable<AuditPublicKey> trustedKeys, IEnumerable<WitnessedHead>? witnesses = null, CancellationToken cancellationToken = default);

    /// <summary>The auditor bundle as (path, bytes) pairs.</summary>
    Task<IReadOnlyList<AuditExportFile>> ExportAsync(CancellationToken cancellationToken = default);
}
