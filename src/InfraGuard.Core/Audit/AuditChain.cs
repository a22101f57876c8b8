using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace InfraGuard.Core.Audit;

/// <summary>
/// The hash chain and entry signatures (pure functions; the store only persists what they return).
/// <code>
/// entry_hash(seq) = hex(SHA-256("infraguard-audit-v1\n" || seq || "\n" || prev_hash || "\n" || payload))
/// prev_hash(1)    = 64 zeros;  prev_hash(seq) = entry_hash(seq-1)
/// statement(seq)  = "infraguard-audit-v1 entry\n" || seq || "\n" || entry_hash || "\n"   (signed with Ed25519)
/// </code>
/// Any change to these rules or to canonical JSON bumps the tag.
/// </summary>
public static class AuditChain
{
    /// <summary>Domain-separation tag and format version.</summary>
    public const string Tag = "infraguard-audit-v1";

    /// <summary>The prev_hash of seq 1.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Lower-case hex entry hash.</summary>
    public static string ComputeEntryHash(long seq, string prevHash, ReadOnlySpan<byte> payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Tag}\n{seq}\n{prevHash}\n")));
        hash.AppendData(payload);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The bytes an entry signature covers.</summary>
    public static byte[] EntryStatement(long seq, string entryHash) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Tag} entry\n{seq}\n{entryHash}\n"));

    /// <summary>Builds and signs the entry that follows <paramref name="head"/>.</summary>
    public static AuditEntry Next(AuditHead head, AuditEvent auditEvent, IAuditSigner signer)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(auditEvent);
        ArgumentNullException.ThrowIfNull(signer);
        // ToPayload already produced canonical bytes; no need to re-check or re-parse them.
        return Sign(head, auditEvent.ToPayload(), auditEvent.Type, CanonicalJson.FormatTimestamp(auditEvent.At), auditEvent.Request, signer);
    }

    /// <summary>Builds and signs the entry that follows <paramref name="head"/> for canonical payload bytes.</summary>
    /// <exception cref="CanonicalJsonException">The payload is not canonical or lacks <c>type</c>/<c>at</c>.</exception>
    public static AuditEntry Next(AuditHead head, byte[] canonicalPayload, IAuditSigner signer)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(canonicalPayload);
        ArgumentNullException.ThrowIfNull(signer);
        if (!CanonicalJson.IsCanonical(canonicalPayload))
        {
            throw new CanonicalJsonException("Audit payload is not canonical JSON v1.");
        }

        var (kind, at, subject) = ReadQueryFields(canonicalPayload);
        return Sign(head, canonicalPayload, kind, at, subject, signer);
    }

    private static AuditEntry Sign(AuditHead head, byte[] canonicalPayload, string kind, string at, string? subject, IAuditSigner signer)
    {
        var seq = checked(head.Size + 1);
        var entryHash = ComputeEntryHash(seq, head.Hash, canonicalPayload);
        var signature = signer.Sign(EntryStatement(seq, entryHash));
        return new AuditEntry(seq, at, kind, subject, canonicalPayload, head.Hash, entryHash, signer.KeyId, Convert.ToBase64String(signature));
    }

    /// <summary>Reads <c>type</c>, <c>at</c> and <c>request</c> from a payload (for the query columns).</summary>
    public static (string Kind, string At, string? Subject) ReadQueryFields(ReadOnlySpan<byte> payload)
    {
        using var doc = JsonDocument.Parse(payload.ToArray());
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("at", out var at) || at.ValueKind != JsonValueKind.String)
        {
            throw new CanonicalJsonException("Audit payload must be an object with string fields 'type' and 'at'.");
        }

        var subject = root.TryGetProperty("request", out var request) && request.ValueKind == JsonValueKind.String
            ? request.GetString()
            : null;
        return (type.GetString()!, at.GetString()!, subject);
    }
}
