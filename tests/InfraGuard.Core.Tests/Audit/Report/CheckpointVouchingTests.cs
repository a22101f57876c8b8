using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;

namespace InfraGuard.Core.Tests.Audit.Report;

/// <summary>The report's verifier mode: entries up to a signed checkpoint are vouched for by the chain, later ones by their signatures.</summary>
public class CheckpointVouchingTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static (List<AuditEntry> Entries, List<AuditCheckpoint> Checkpoints, AuditPublicKey Key) Log(int count, int checkpointAt)
    {
        using var signer = Ed25519AuditSigner.FromSeed([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);
        var head = AuditHead.Empty;
        var entries = new List<AuditEntry>();
        var checkpoints = new List<AuditCheckpoint>();
        for (var i = 1; i <= count; i++)
        {
            var entry = AuditChain.Next(head, new AuditEvent("approval.granted", At.AddMinutes(i), null, new Dictionary<string, JsonNode?> { ["reason"] = $"reason {i}" }), signer);
            entries.Add(entry);
            head = new AuditHead(entry.Seq, entry.EntryHash);
            if (i == checkpointAt)
            {
                checkpoints.Add(AuditCheckpoint.Create(1, "test", head, At.AddMinutes(i), signer));
            }
        }

        return (entries, checkpoints, AuditPublicKey.FromRaw(signer.PublicKey.Span));
    }

    private static AuditVerification Verify(IEnumerable<AuditEntry> entries, List<AuditCheckpoint> checkpoints, AuditPublicKey key, out long vouched)
    {
        var verifier = new AuditVerifier([key], checkpoints, null, checkpointVouches: true);
        verifier.AddRange([.. entries]);
        vouched = verifier.VouchedUpTo;
        return verifier.Complete();
    }

    [Fact]
    public void Vouching_IntactLog_ValidAndVouchedUpToTheCheckpoint()
    {
        var (entries, checkpoints, key) = Log(50, 40);

        var result = Verify(entries, checkpoints, key, out var vouched);

        Assert.True(result.IsValid, result.RenderText("test"));
        Assert.Equal(40, vouched);
    }

    [Fact]
    public void Vouching_EntryEditedBeforeTheCheckpoint_IsFoundByItsHash()
    {
        var (entries, checkpoints, key) = Log(50, 40);
        entries[9] = entries[9] with { Payload = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(entries[9].Payload).Replace("reason 10", "reason XX", StringComparison.Ordinal)) };

        var result = Verify(entries, checkpoints, key, out _);

        Assert.Equal(10, result.FirstTamperedSeq);
        Assert.Equal(AuditVerification.ExitTampered, result.ExitCode);
    }

    [Fact]
    public void Vouching_ForgedSignatureAfterTheCheckpoint_IsStillCaught()
    {
        var (entries, checkpoints, key) = Log(50, 40);
        var forged = Convert.FromBase64String(entries[44].Signature);
        forged[0] ^= 1;
        entries[44] = entries[44] with { Signature = Convert.ToBase64String(forged) };

        var result = Verify(entries, checkpoints, key, out _);

        Assert.Contains(result.Findings, f => f.Kind == AuditFindingKind.BadSignature && f.Seq == 45);
    }

    [Fact]
    public void Vouching_CheckpointSignedByAnUntrustedKey_VouchesForNothing()
    {
        var (entries, checkpoints, _) = Log(20, 20);
        using var other = Ed25519AuditSigner.FromSeed(new byte[32]);

        var result = Verify(entries, checkpoints, AuditPublicKey.FromRaw(other.PublicKey.Span), out var vouched);

        Assert.Equal(0, vouched);
        Assert.Contains(result.Findings, f => f.Kind == AuditFindingKind.UnknownKey && f.Seq == 1);
    }
}
