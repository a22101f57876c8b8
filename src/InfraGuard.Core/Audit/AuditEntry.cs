namespace InfraGuard.Core.Audit;

/// <summary>
/// One stored audit entry, column for column. <see cref="Payload"/> holds the exact canonical JSON bytes that were
/// hashed; <see cref="Kind"/>, <see cref="RecordedAt"/> and <see cref="Subject"/> are unhashed copies for queries only.
/// </summary>
/// <param name="Seq">Position in the log, 1..n, contiguous.</param>
/// <param name="RecordedAt">Copy of the payload's <c>at</c> (query aid, not trusted).</param>
/// <param name="Kind">Copy of the payload's <c>type</c> (query aid, not trusted).</param>
/// <param name="Subject">Copy of the payload's <c>request</c> id, if any (query aid, not trusted).</param>
/// <param name="Payload">Canonical JSON bytes.</param>
/// <param name="PrevHash">Entry hash of seq−1, or 64 zeros for seq 1.</param>
/// <param name="EntryHash">Lower-case hex SHA-256, see <see cref="AuditChain.ComputeEntryHash"/>.</param>
/// <param name="KeyId">Id of the key that signed the entry statement.</param>
/// <param name="Signature">Base64 raw Ed25519 signature over <see cref="AuditChain.EntryStatement"/>.</param>
public sealed record AuditEntry(
    long Seq,
    string RecordedAt,
    string Kind,
    string? Subject,
    byte[] Payload,
    string PrevHash,
    string EntryHash,
    string KeyId,
    string Signature);

/// <summary>The head of the log: its size and the entry hash of the last entry (64 zeros when empty).</summary>
public sealed record AuditHead(long Size, string Hash)
{
    /// <summary>The head of an empty log.</summary>
    public static AuditHead Empty { get; } = new(0, AuditChain.GenesisHash);
}
