using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;

namespace InfraGuard.Testing.Audit;

/// <summary>A log as stored: entries (in storage order) and checkpoints.</summary>
internal sealed record StoredLog(List<AuditEntry> Entries, List<AuditCheckpoint> Checkpoints);

/// <summary>Builds deterministic chains from a fixed Ed25519 seed (shared by the Core and Store tamper tests).</summary>
internal static class TestChain
{
    public static readonly DateTimeOffset Start = new(2026, 11, 25, 16, 0, 0, TimeSpan.Zero);

    /// <summary>Seed bytes 0x00..0x1f.</summary>
    public static byte[] Seed { get; } = [.. Enumerable.Range(0, 32).Select(i => (byte)i)];

    /// <summary>Seed bytes 0xff..0xe0: the attacker's key.</summary>
    public static byte[] ForeignSeed { get; } = [.. Enumerable.Range(0, 32).Select(i => (byte)(255 - i))];

    public static AuditEvent Event(int i, DateTimeOffset at) => new(
        i % 3 == 0 ? AuditEventTypes.ApprovalGranted : AuditEventTypes.PlanSubmitted,
        at,
        $"cr_{i:D12}",
        new Dictionary<string, JsonNode?>
        {
            ["plan_hash"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))),
            ["reason"] = $"entry {i}: ünïcode ✓ \"quoted\"",
            ["score"] = i * 10,
        });

    /// <summary>n entries; checkpoints after the sizes listed.</summary>
    public static StoredLog Build(IAuditSigner signer, int n, params long[] checkpointSizes)
    {
        var entries = new List<AuditEntry>();
        var checkpoints = new List<AuditCheckpoint>();
        var head = AuditHead.Empty;
        for (var i = 1; i <= n; i++)
        {
            var entry = AuditChain.Next(head, Event(i, Start.AddSeconds(i)), signer);
            entries.Add(entry);
            head = new AuditHead(entry.Seq, entry.EntryHash);
            if (checkpointSizes.Contains(i))
            {
                checkpoints.Add(AuditCheckpoint.Create(checkpoints.Count + 1, "test/infraguard", head, Start.AddSeconds(i).AddMilliseconds(500), signer));
            }
        }

        return new StoredLog(entries, checkpoints);
    }

    /// <summary>Recomputes hashes and links of entries from index <paramref name="from"/> on (0-based), re-signing with <paramref name="signer"/> when given.</summary>
    public static void Rechain(List<AuditEntry> entries, int from, IAuditSigner? signer)
    {
        for (var i = from; i < entries.Count; i++)
        {
            var prev = i == 0 ? AuditChain.GenesisHash : entries[i - 1].EntryHash;
            var e = entries[i];
            var hash = AuditChain.ComputeEntryHash(e.Seq, prev, e.Payload);
            entries[i] = signer is null
                ? e with { PrevHash = prev, EntryHash = hash }
                : e with { PrevHash = prev, EntryHash = hash, KeyId = signer.KeyId, Signature = Convert.ToBase64String(signer.Sign(AuditChain.EntryStatement(e.Seq, hash))) };
        }
    }
}
