using System.Text;
using InfraGuard.Core.Audit;

namespace InfraGuard.Testing.Audit;

/// <summary>One tampering and the exact findings it must produce.</summary>
/// <param name="Name">Scenario name (theory data).</param>
/// <param name="Apply">Mutates a copy of the log as an attacker with database access would.</param>
/// <param name="Expected">Exact findings (kind, seq), in verifier order.</param>
/// <param name="Witnessed">True when the check is against a witness file holding the original head at size 10.</param>
/// <param name="InDatabase">False when the database's constraints make the tampering impossible (duplicate seq).</param>
internal sealed record TamperScenario(
    string Name,
    Action<StoredLog, Ed25519AuditSigner, Ed25519AuditSigner> Apply,
    (AuditFindingKind Kind, long Seq)[] Expected,
    bool Witnessed = false,
    bool InDatabase = true)
{
    public override string ToString() => Name;
}

/// <summary>
/// The tamper matrix over a 10-entry log with checkpoints at sizes 4, 8 and 10; the tampered entry is seq 5.
/// Payload byte 7 is the first digit of the year in <c>{"at":"2026…</c>: flipping its low bit keeps the JSON canonical.
/// </summary>
internal static class TamperScenarios
{
    public const int Size = 10;
    public static readonly long[] CheckpointSizes = [4, 8, 10];
    private const int K = 4; // index of seq 5

    public static IReadOnlyList<TamperScenario> All { get; } =
    [
        new("flip-payload-byte", (log, _, _) => Flip(log, K),
            [(AuditFindingKind.ContentHashMismatch, 5), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10)]),
        new("edit-and-rehash", (log, _, _) =>
            {
                Flip(log, K);
                var e = log.Entries[K];
                log.Entries[K] = e with { EntryHash = AuditChain.ComputeEntryHash(e.Seq, e.PrevHash, e.Payload) };
            },
            [(AuditFindingKind.BadSignature, 5), (AuditFindingKind.ChainBreak, 6), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10)]),
        new("edit-and-rehash-suffix-without-key", (log, _, _) =>
            {
                Flip(log, K);
                TestChain.Rechain(log.Entries, K, signer: null);
            },
            [.. Enumerable.Range(5, 6).Select(s => (AuditFindingKind.BadSignature, (long)s)), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10)]),
        new("re-sign-suffix-with-foreign-key", (log, _, foreign) =>
            {
                Flip(log, K);
                TestChain.Rechain(log.Entries, K, foreign);
            },
            [.. Enumerable.Range(5, 6).Select(s => (AuditFindingKind.UnknownKey, (long)s)), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10)]),
        new("re-sign-with-stolen-key-no-witness-is-undetectable", (log, real, _) => RewriteWithStolenKey(log, real), []),
        new("re-sign-with-stolen-key-against-witness", (log, real, _) => RewriteWithStolenKey(log, real),
            [(AuditFindingKind.WitnessMismatch, 10)], Witnessed: true),
        new("delete-row", (log, _, _) => log.Entries.RemoveAt(K),
            [(AuditFindingKind.SequenceGap, 5), (AuditFindingKind.ChainBreak, 6), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10)]),
        new("duplicate-row", (log, _, _) => log.Entries.Insert(K + 1, log.Entries[K]),
            [(AuditFindingKind.Duplicate, 5)], InDatabase: false),
        new("swap-rows", (log, _, _) =>
            {
                var (a, b) = (log.Entries[K], log.Entries[K + 1]);
                log.Entries[K] = b with { Seq = a.Seq };
                log.Entries[K + 1] = a with { Seq = b.Seq };
            },
            [
                (AuditFindingKind.ChainBreak, 5), (AuditFindingKind.ContentHashMismatch, 5), (AuditFindingKind.BadSignature, 5),
                (AuditFindingKind.ChainBreak, 6), (AuditFindingKind.ContentHashMismatch, 6), (AuditFindingKind.BadSignature, 6),
                (AuditFindingKind.ChainBreak, 7), (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.CheckpointHeadMismatch, 10),
            ]),
        new("delete-and-renumber", (log, _, _) =>
            {
                log.Entries.RemoveAt(K);
                for (var i = K; i < log.Entries.Count; i++)
                {
                    log.Entries[i] = log.Entries[i] with { Seq = i + 1 };
                }
            },
            [
                (AuditFindingKind.ChainBreak, 5), (AuditFindingKind.ContentHashMismatch, 5), (AuditFindingKind.BadSignature, 5),
                (AuditFindingKind.ContentHashMismatch, 6), (AuditFindingKind.BadSignature, 6),
                (AuditFindingKind.ContentHashMismatch, 7), (AuditFindingKind.BadSignature, 7),
                (AuditFindingKind.ContentHashMismatch, 8), (AuditFindingKind.BadSignature, 8),
                (AuditFindingKind.ContentHashMismatch, 9), (AuditFindingKind.BadSignature, 9),
                (AuditFindingKind.CheckpointHeadMismatch, 8), (AuditFindingKind.Truncated, 10),
            ]),
        new("truncate-tail", (log, _, _) => log.Entries.RemoveRange(8, 2),
            [(AuditFindingKind.Truncated, 9)]),
        new("restore-older-copy-against-witness", (log, _, _) =>
            {
                log.Entries.RemoveRange(6, 4);
                log.Checkpoints.RemoveRange(1, 2);
            },
            [(AuditFindingKind.Truncated, 7)], Witnessed: true),
        new("corrupt-signature", (log, real, _) =>
            log.Entries[K] = log.Entries[K] with { Signature = Convert.ToBase64String(real.Sign("not the statement"u8)) },
            [(AuditFindingKind.BadSignature, 5)]),
        new("non-canonical-signature-text", (log, _, _) =>
            {
                // The last base64 digit before "==" carries 4 unused bits: flipping one decodes to the same signature.
                const string Digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
                var sig = log.Entries[K].Signature;
                var i = sig.Length - 3;
                log.Entries[K] = log.Entries[K] with { Signature = sig[..i] + Digits[Digits.IndexOf(sig[i], StringComparison.Ordinal) ^ 1] + sig[(i + 1)..] };
            },
            [(AuditFindingKind.BadSignature, 5)]),
        new("corrupt-key-id", (log, _, _) => log.Entries[K] = log.Entries[K] with { KeyId = "ed25519:0000000000000000" },
            [(AuditFindingKind.UnknownKey, 5)]),
        new("corrupt-checkpoint-body", (log, _, _) =>
            {
                var cp = log.Checkpoints[1];
                var text = Encoding.UTF8.GetString(cp.Body).Replace("time 2026", "time 2025", StringComparison.Ordinal);
                log.Checkpoints[1] = cp with { Body = Encoding.UTF8.GetBytes(text) };
            },
            [(AuditFindingKind.CheckpointSignatureInvalid, 8)]),
        new("corrupt-checkpoint-signature", (log, real, _) =>
            log.Checkpoints[1] = log.Checkpoints[1] with { Signature = Convert.ToBase64String(real.Sign("not the body"u8)) },
            [(AuditFindingKind.CheckpointSignatureInvalid, 8)]),
        new("non-canonical-payload-by-key-holder", (log, real, _) =>
            {
                var e = log.Entries[K];
                log.Entries[K] = e with { Payload = [(byte)' ', .. e.Payload] };
                TestChain.Rechain(log.Entries, K, real);
                Recheckpoint(log, real);
            },
            [(AuditFindingKind.NonCanonicalPayload, 5)]),
    ];

    public static TheoryData<string> Names() => [.. All.Select(s => s.Name)];

    public static TamperScenario Get(string name) => All.Single(s => s.Name == name);

    /// <summary>Clones a log so scenarios never share mutable lists.</summary>
    public static StoredLog Copy(StoredLog log) => new([.. log.Entries], [.. log.Checkpoints]);

    private static void Flip(StoredLog log, int index)
    {
        var payload = (byte[])log.Entries[index].Payload.Clone();
        payload[7] ^= 0x01;
        log.Entries[index] = log.Entries[index] with { Payload = payload };
    }

    private static void RewriteWithStolenKey(StoredLog log, IAuditSigner real)
    {
        Flip(log, K);
        TestChain.Rechain(log.Entries, K, real);
        Recheckpoint(log, real);
    }

    private static void Recheckpoint(StoredLog log, IAuditSigner signer)
    {
        for (var i = 0; i < log.Checkpoints.Count; i++)
        {
            var body = CheckpointBody.TryParse(log.Checkpoints[i].Body)!;
            var entry = log.Entries.Single(e => e.Seq == body.Size);
            var head = new AuditHead(body.Size, entry.EntryHash);
            log.Checkpoints[i] = AuditCheckpoint.Create(log.Checkpoints[i].Number, body.Origin, head, DateTimeOffset.Parse(body.Time, System.Globalization.CultureInfo.InvariantCulture), signer);
        }
    }
}
