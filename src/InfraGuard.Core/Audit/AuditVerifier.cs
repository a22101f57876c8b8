using System.Text.Json;

namespace InfraGuard.Core.Audit;

/// <summary>
/// Verifies a log in one streaming pass. Per entry, in order: seq continuity, chain link, content hash, canonical
/// payload, signature by a trusted key. Then checkpoints (signature, size ≤ n, head equals the head recomputed from
/// genesis, monotonic), then witnesses. Reports every finding, not only the first. Keys named by a validly signed
/// <c>key.rotated</c> entry become trusted from the next seq; the old key is retired after it.
/// </summary>
public sealed class AuditVerifier
{
    private readonly Dictionary<string, TrustedKey> _keys = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<AuditCheckpoint> _checkpoints;
    private readonly IReadOnlyList<WitnessedHead> _witnesses;
    private readonly HashSet<long> _sizesOfInterest = [];
    private readonly Dictionary<long, string> _recomputedAt = [];
    private readonly List<AuditFinding> _findings = [];
    private readonly string? _unable;
    private long _expected = 1;
    private long _count;
    private long _lastSeq;
    private string _storedPrev = AuditChain.GenesisHash;
    private string _recomputedPrev = AuditChain.GenesisHash;

    /// <summary>Prepares a verification against <paramref name="trustedKeys"/> (obtained out of band).</summary>
    public AuditVerifier(IEnumerable<AuditPublicKey> trustedKeys, IEnumerable<AuditCheckpoint> checkpoints, IEnumerable<WitnessedHead>? witnesses = null)
        : this(trustedKeys, checkpoints, witnesses, checkpointVouches: false)
    {
    }

    /// <summary>
    /// Prepares a verification. With <paramref name="checkpointVouches"/>, the Ed25519 signature of an entry is checked
    /// only after the largest checkpoint signed by a trusted key: up to it, each entry is bound to that signed head by the
    /// hash chain, which is still recomputed for every entry (a changed entry there shows as a hash, link or head
    /// mismatch, though no longer as a bad signature). This is what makes a report over 100,000 entries fast.
    /// </summary>
    public AuditVerifier(IEnumerable<AuditPublicKey> trustedKeys, IEnumerable<AuditCheckpoint> checkpoints, IEnumerable<WitnessedHead>? witnesses, bool checkpointVouches)
    {
        ArgumentNullException.ThrowIfNull(trustedKeys);
        ArgumentNullException.ThrowIfNull(checkpoints);
        foreach (var key in trustedKeys)
        {
            if (key.PublicKey.Length == AuditKeys.PublicKeyLength && AuditKeys.KeyIdOf(key.PublicKey) == key.KeyId)
            {
                _keys[key.KeyId] = TrustedKey.Create(key.PublicKey);
            }
        }

        if (_keys.Count == 0)
        {
            _unable = "no trusted public key was given (pass the key file or --trusted-key with a public key PEM)";
        }

        _checkpoints = [.. checkpoints.OrderBy(c => c.Number)];
        _witnesses = [.. witnesses ?? []];
        foreach (var cp in _checkpoints)
        {
            if (CheckpointBody.TryParse(cp.Body) is { } body)
            {
                _sizesOfInterest.Add(body.Size);
            }
        }

        foreach (var w in _witnesses)
        {
            _sizesOfInterest.Add(w.Size);
        }

        if (checkpointVouches && _unable is null)
        {
            foreach (var cp in _checkpoints)
            {
                if (CheckpointBody.TryParse(cp.Body) is { } body && body.Size > VouchedUpTo && string.Equals(body.KeyId, cp.KeyId, StringComparison.Ordinal)
                    && _keys.TryGetValue(cp.KeyId, out var key) && TryBase64(cp.Signature, out var sig) && key.Verify(cp.Body, sig))
                {
                    VouchedUpTo = body.Size;
                }
            }
        }
    }

    /// <summary>The entries up to this seq are vouched for by a validly signed checkpoint (0 unless checkpoints vouch).</summary>
    public long VouchedUpTo { get; }

    /// <summary>Verifies a whole log held in memory.</summary>
    /// <param name="entries">The entries in ascending seq order, as stored.</param>
    /// <param name="checkpoints">The stored checkpoints.</param>
    /// <param name="trustedKeys">The keys to trust (obtained out of band).</param>
    /// <param name="witnesses">Heads seen elsewhere, if any.</param>
    /// <param name="now">The time of the verification, to give the newest checkpoint's age in <see cref="AuditVerification.Tail"/>.</param>
    public static AuditVerification Verify(
        IEnumerable<AuditEntry> entries,
        IEnumerable<AuditCheckpoint> checkpoints,
        IEnumerable<AuditPublicKey> trustedKeys,
        IEnumerable<WitnessedHead>? witnesses = null,
        DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var verifier = new AuditVerifier(trustedKeys, checkpoints, witnesses);
        foreach (var entry in entries)
        {
            verifier.Add(entry);
        }

        return verifier.Complete(now);
    }

    /// <summary>
    /// Checks the next entries, in ascending seq order as stored, with the same result as <see cref="Add(AuditEntry)"/> one by one.
    /// Their signatures are checked on every core first (they dominate the cost); the rest follows in order.
    /// </summary>
    public void AddRange(IReadOnlyList<AuditEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var valid = new bool?[entries.Count];
        if (entries.Count > 0 && entries[^1].Seq <= VouchedUpTo)
        {
            foreach (var entry in entries)
            {
                Add(entry, null);
            }

            return;
        }


        // Only reads the key table; a key id names one public key (its hash), so a result holds whenever that id is trusted.
        Parallel.For(0, entries.Count, i =>
        {
            var e = entries[i];
            if (_keys.TryGetValue(e.KeyId, out var key) && TryBase64(e.Signature, out var sig))
            {
                valid[i] = key.Verify(AuditChain.EntryStatement(e.Seq, e.EntryHash), sig);
            }
        });
        for (var i = 0; i < entries.Count; i++)
        {
            Add(entries[i], valid[i]);
        }
    }

    /// <summary>Checks the next entry, in ascending seq order as stored.</summary>
    public void Add(AuditEntry entry) => Add(entry, null);

    private void Add(AuditEntry entry, bool? signatureValid)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Seq < _expected)
        {
            _findings.Add(new(AuditFindingKind.Duplicate, entry.Seq, $"seq {entry.Seq} appears again after seq {_expected - 1}"));
            return;
        }

        _count++;
        if (entry.Seq > _expected)
        {
            _findings.Add(new(AuditFindingKind.SequenceGap, _expected, $"seq {_expected}..{entry.Seq - 1} missing"));
        }

        _expected = entry.Seq + 1;
        _lastSeq = entry.Seq;

        if (!string.Equals(entry.PrevHash, _storedPrev, StringComparison.Ordinal))
        {
            _findings.Add(new(AuditFindingKind.ChainBreak, entry.Seq, $"prev_hash {Short(entry.PrevHash)} does not match the previous entry's hash {Short(_storedPrev)}"));
        }

        var contentOk = true;
        var computed = AuditChain.ComputeEntryHash(entry.Seq, entry.PrevHash, entry.Payload);
        if (!string.Equals(computed, entry.EntryHash, StringComparison.Ordinal))
        {
            contentOk = false;
            _findings.Add(new(AuditFindingKind.ContentHashMismatch, entry.Seq, $"content hash mismatch (stored {Short(entry.EntryHash)}, computed {Short(computed)})"));
        }

        var canonical = CanonicalJson.IsCanonical(entry.Payload);
        if (!canonical)
        {
            contentOk = false;
            _findings.Add(new(AuditFindingKind.NonCanonicalPayload, entry.Seq, "payload is not canonical JSON v1"));
        }

        var signatureOk = CheckSignature(entry, signatureValid);
        if (contentOk && signatureOk)
        {
            TrustRotation(entry);
        }

        // The chain recomputed from genesis; equal to the computed hash whenever the stored link is intact.
        _recomputedPrev = string.Equals(_recomputedPrev, entry.PrevHash, StringComparison.Ordinal)
            ? computed
            : AuditChain.ComputeEntryHash(entry.Seq, _recomputedPrev, entry.Payload);
        if (_sizesOfInterest.Contains(entry.Seq))
        {
            _recomputedAt[entry.Seq] = _recomputedPrev;
        }

        _storedPrev = entry.EntryHash;
    }

    /// <summary>Checks checkpoints and witnesses against what was read and returns the result.</summary>
    /// <param name="now">The time of the verification, to give the newest checkpoint's age in <see cref="AuditVerification.Tail"/>.</param>
    public AuditVerification Complete(DateTimeOffset? now = null)
    {
        if (_unable is not null)
        {
            return new AuditVerification(_count, _checkpoints.Count, [], _unable);
        }

        var lastSize = -1L;
        var lastTime = string.Empty;
        foreach (var cp in _checkpoints)
        {
            var body = CheckpointBody.TryParse(cp.Body);
            if (body is null)
            {
                _findings.Add(new(AuditFindingKind.CheckpointSignatureInvalid, null, $"checkpoint #{cp.Number}: body is malformed"));
                continue;
            }

            if (!string.Equals(body.KeyId, cp.KeyId, StringComparison.Ordinal) || !_keys.TryGetValue(cp.KeyId, out var key))
            {
                _findings.Add(new(AuditFindingKind.UnknownKey, body.Size, $"checkpoint #{cp.Number} size={body.Size}: key {cp.KeyId} is not trusted"));
                continue;
            }

            if (!TryBase64(cp.Signature, out var sig) || !key.Verify(cp.Body, sig))
            {
                _findings.Add(new(AuditFindingKind.CheckpointSignatureInvalid, body.Size, $"checkpoint #{cp.Number} size={body.Size} {body.Time}: signature invalid"));
                continue;
            }

            if (body.Size < lastSize || string.CompareOrdinal(body.Time, lastTime) < 0)
            {
                _findings.Add(new(AuditFindingKind.CheckpointNotMonotonic, body.Size, $"checkpoint #{cp.Number} size={body.Size} {body.Time} goes back from size={lastSize} {lastTime}"));
            }

            lastSize = Math.Max(lastSize, body.Size);
            lastTime = string.CompareOrdinal(body.Time, lastTime) > 0 ? body.Time : lastTime;
            CheckHead(body.Size, body.Head, AuditFindingKind.CheckpointHeadMismatch, $"checkpoint #{cp.Number} size={body.Size} {body.Time}");
        }

        foreach (var w in _witnesses)
        {
            CheckHead(w.Size, w.Head, AuditFindingKind.WitnessMismatch, $"witness size={w.Size}");
        }

        return new AuditVerification(_count, _checkpoints.Count, [.. _findings], null, Tail(lastSize, lastTime, now));
    }

    // The entries no validly signed checkpoint vouches for: removing them leaves no trace unless a witness saw them.
    private AuditTail Tail(long newestSize, string newestTime, DateTimeOffset? now)
    {
        if (newestSize < 0)
        {
            return new AuditTail(_lastSeq, null, null, null);
        }

        DateTimeOffset? at = DateTimeOffset.TryParseExact(newestTime, CanonicalJson.TimestampFormat, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : null;
        return new AuditTail(Math.Max(0, _lastSeq - newestSize), newestSize, at, now - at);
    }

    private void CheckHead(long size, string head, AuditFindingKind mismatchKind, string what)
    {
        if (size > _lastSeq)
        {
            _findings.Add(new(AuditFindingKind.Truncated, _lastSeq + 1, $"{what} vouches for {size} entries but the log ends at seq {_lastSeq}"));
        }
        else if (size > 0 && (!_recomputedAt.TryGetValue(size, out var recomputed) || !string.Equals(recomputed, head, StringComparison.Ordinal)))
        {
            _findings.Add(new(mismatchKind, size, $"{what}: head mismatch (tampering at or before seq {size})"));
        }
    }

    private bool CheckSignature(AuditEntry entry, bool? signatureValid)
    {
        if (!_keys.TryGetValue(entry.KeyId, out var key))
        {
            _findings.Add(new(AuditFindingKind.UnknownKey, entry.Seq, $"key {entry.KeyId} is not trusted"));
            return false;
        }

        if (entry.Seq > key.RetiredAfter)
        {
            _findings.Add(new(AuditFindingKind.UnknownKey, entry.Seq, $"key {entry.KeyId} was retired by the rotation at seq {key.RetiredAfter}"));
            return false;
        }

        if (entry.Seq <= VouchedUpTo)
        {
            return true; // bound to a signed checkpoint head by the chain (checked in Complete)
        }

        if (!(signatureValid ?? (TryBase64(entry.Signature, out var sig) && key.Verify(AuditChain.EntryStatement(entry.Seq, entry.EntryHash), sig))))
        {
            _findings.Add(new(AuditFindingKind.BadSignature, entry.Seq, $"signature does not verify with {entry.KeyId}"));
            return false;
        }

        return true;
    }

    private void TrustRotation(AuditEntry entry)
    {
        if (entry.Kind != AuditEventTypes.KeyRotated)
        {
            return;
        }

        using var doc = JsonDocument.Parse(entry.Payload);
        var root = doc.RootElement;
        if (root.TryGetProperty("type", out var type) && type.GetString() == AuditEventTypes.KeyRotated
            && root.TryGetProperty("new_key_id", out var id) && id.ValueKind == JsonValueKind.String
            && root.TryGetProperty("new_public_key", out var pk) && pk.ValueKind == JsonValueKind.String
            && TryBase64(pk.GetString()!, out var raw) && raw.Length == AuditKeys.PublicKeyLength
            && AuditKeys.KeyIdOf(raw) == id.GetString())
        {
            _keys[entry.KeyId] = _keys[entry.KeyId] with { RetiredAfter = entry.Seq };
            _keys[id.GetString()!] = TrustedKey.Create(raw);
        }
    }

    // Canonical base64 only: .NET's decoder ignores the unused low bits of the last character, so "...A==" and
    // "...K==" decode alike. A stored signature or key whose text was altered that way is tampering too.
    private static bool TryBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            if (!string.Equals(Convert.ToBase64String(bytes), text, StringComparison.Ordinal))
            {
                bytes = [];
                return false;
            }

            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    /// <summary>
    /// True when one entry is genuine on its own: its hash matches its content and link, its payload is canonical, and
    /// its signature verifies with one of <paramref name="keys"/>. Says nothing about its place in the chain.
    /// </summary>
    public static bool IsGenuine(AuditEntry entry, IEnumerable<AuditPublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(keys);
        var key = keys.FirstOrDefault(k => string.Equals(k.KeyId, entry.KeyId, StringComparison.Ordinal));
        return key is not null
            && string.Equals(AuditChain.ComputeEntryHash(entry.Seq, entry.PrevHash, entry.Payload), entry.EntryHash, StringComparison.Ordinal)
            && CanonicalJson.IsCanonical(entry.Payload)
            && TryBase64(entry.Signature, out var sig)
            && TrustedKey.Create(key.PublicKey).Verify(AuditChain.EntryStatement(entry.Seq, entry.EntryHash), sig);
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;

    /// <summary>A trusted key, imported once (importing per entry costs as much as verifying).</summary>
    private sealed record TrustedKey(NSec.Cryptography.PublicKey? Key, long RetiredAfter)
    {
        public static TrustedKey Create(byte[] raw) =>
            new(NSec.Cryptography.PublicKey.TryImport(NSec.Cryptography.SignatureAlgorithm.Ed25519, raw, NSec.Cryptography.KeyBlobFormat.RawPublicKey, out var key) ? key : null, long.MaxValue);

        public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
            Key is not null && signature.Length == 64 && NSec.Cryptography.SignatureAlgorithm.Ed25519.Verify(Key, message, signature);
    }
}
