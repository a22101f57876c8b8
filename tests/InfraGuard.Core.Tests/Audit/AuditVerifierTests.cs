using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Core.Tests.Audit;

public sealed class AuditVerifierTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
    private readonly Ed25519AuditSigner _foreign = Ed25519AuditSigner.FromSeed(TestChain.ForeignSeed);

    public static TheoryData<string> Scenarios => TamperScenarios.Names();

    public void Dispose()
    {
        _signer.Dispose();
        _foreign.Dispose();
    }

    [Fact]
    public void Verify_UntouchedLog_IsValidWithExitZero()
    {
        var log = TestChain.Build(_signer, TamperScenarios.Size, TamperScenarios.CheckpointSizes);

        var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.True(result.IsValid, result.RenderText("memory"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(10, result.Entries);
        Assert.Null(result.FirstTamperedSeq);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Verify_TamperScenario_ReportsExactFindings(string name)
    {
        var scenario = TamperScenarios.Get(name);
        var original = TestChain.Build(_signer, TamperScenarios.Size, TamperScenarios.CheckpointSizes);
        var witness = AuditWitness.Parse(System.Text.Encoding.UTF8.GetString(original.Checkpoints[^1].Body));
        var log = TamperScenarios.Copy(original);

        scenario.Apply(log, _signer, _foreign);
        var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(_signer.PublicKey.Span)], scenario.Witnessed ? witness : null);

        Assert.Equal(scenario.Expected, result.Findings.Select(f => (f.Kind, f.Seq ?? -1)).ToArray());
        Assert.Equal(scenario.Expected.Length == 0 ? 0 : 1, result.ExitCode);
        Assert.Equal(scenario.Expected.Length == 0 ? null : scenario.Expected.Min(e => e.Seq), result.FirstTamperedSeq);
    }

    [Fact]
    public void Verify_NoTrustedKey_IsUnableWithExitTwo()
    {
        var log = TestChain.Build(_signer, 3);

        var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, []);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("UNABLE TO VERIFY", result.RenderText("memory"), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_RotationEntrySignedByOldKey_TrustsNewKeyAndRetiresOld()
    {
        var log = TestChain.Build(_signer, 3);
        var head = new AuditHead(3, log.Entries[^1].EntryHash);
        var rotation = AuditChain.Next(head, RequestAuditEvents.KeyRotated(_signer.KeyId, _foreign, new PersonRef("alice", "alice@example.com"), "yearly", TestChain.Start), _signer);
        log.Entries.Add(rotation);
        log.Entries.Add(AuditChain.Next(new AuditHead(4, rotation.EntryHash), TestChain.Event(5, TestChain.Start), _foreign));
        var trusted = new[] { AuditPublicKey.FromRaw(_signer.PublicKey.Span) };

        var valid = AuditVerifier.Verify(log.Entries, [], trusted);
        log.Entries.Add(AuditChain.Next(new AuditHead(5, log.Entries[^1].EntryHash), TestChain.Event(6, TestChain.Start), _signer));
        var retiredUse = AuditVerifier.Verify(log.Entries, [], trusted);

        Assert.True(valid.IsValid, valid.RenderText("memory"));
        Assert.Equal([(AuditFindingKind.UnknownKey, 6L)], retiredUse.Findings.Select(f => (f.Kind, f.Seq ?? -1)));
    }

    [Fact]
    public void RenderText_Findings_NamesFirstTamperedSeq()
    {
        var log = TestChain.Build(_signer, 5);
        log.Entries.RemoveAt(2);

        var text = AuditVerifier.Verify(log.Entries, [], [AuditPublicKey.FromRaw(_signer.PublicKey.Span)]).RenderText("sqlite test.db");

        Assert.Contains("seq 3       INVALID  SequenceGap", text, StringComparison.Ordinal);
        Assert.EndsWith("First tampered entry: seq 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJson_Findings_CarriesKindSeqAndExitCode()
    {
        var log = TestChain.Build(_signer, 3);
        log.Entries[1] = log.Entries[1] with { KeyId = "ed25519:0000000000000000" };

        var json = System.Text.Json.Nodes.JsonNode.Parse(AuditVerifier.Verify(log.Entries, [], [AuditPublicKey.FromRaw(_signer.PublicKey.Span)]).ToJson())!;

        Assert.Equal(1, (int)json["exitCode"]!);
        Assert.Equal(2, (long)json["firstTamperedSeq"]!);
        Assert.Equal("UnknownKey", (string?)json["findings"]![0]!["kind"]);
    }

    [Fact]
    public void Verify_EntriesAfterLastCheckpoint_TailCountsThemWithTheCheckpointsAge()
    {
        var log = TestChain.Build(_signer, 10, 3, 7);
        var checkpointTime = TestChain.Start.AddSeconds(7).AddMilliseconds(500);

        var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(_signer.PublicKey.Span)], now: checkpointTime.AddMinutes(4).AddSeconds(12));

        Assert.True(result.IsValid, result.RenderText("memory"));
        Assert.Equal(new AuditTail(3, 7, checkpointTime, TimeSpan.FromSeconds(252)), result.Tail);
        Assert.Contains(
            "\ntail        3 entries after the last checkpoint (size 7, 2026-11-25T16:00:07.500Z, 4m12s ago); no checkpoint vouches for them yet",
            result.RenderText("memory"),
            StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_LastEntryAfterLastCheckpointDeleted_StaysValidButTheTailShowsIt()
    {
        // Security review U1: such a deletion cannot be detected without a witness; the report says how much is exposed.
        var log = TestChain.Build(_signer, 10, 4, 8);
        var trusted = new[] { AuditPublicKey.FromRaw(_signer.PublicKey.Span) };
        var before = AuditVerifier.Verify(log.Entries, log.Checkpoints, trusted);
        log.Entries.RemoveAt(9);

        var after = AuditVerifier.Verify(log.Entries, log.Checkpoints, trusted);

        Assert.True(after.IsValid);
        Assert.Equal((2L, 8L), (before.Tail!.Entries, before.Tail.CheckpointSize!.Value));
        Assert.Equal((1L, 8L), (after.Tail!.Entries, after.Tail.CheckpointSize!.Value));
        Assert.Null(after.Tail.CheckpointAge);
    }

    [Fact]
    public void Verify_NoCheckpoint_TailIsEveryEntry()
    {
        var log = TestChain.Build(_signer, 5);

        var result = AuditVerifier.Verify(log.Entries, [], [AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.Equal(new AuditTail(5, null, null, null), result.Tail);
        Assert.Contains("tail        5 entries and no signed checkpoint", result.RenderText("memory"), StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ForgedNewestCheckpoint_TailCountsFromTheNewestValidOne()
    {
        var log = TestChain.Build(_signer, 10, 4, 8);
        log.Checkpoints[1] = AuditCheckpoint.Create(2, "test/infraguard", new AuditHead(8, log.Entries[7].EntryHash), TestChain.Start.AddSeconds(9), _foreign);

        var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.False(result.IsValid);
        Assert.Equal((6L, 4L), (result.Tail!.Entries, result.Tail.CheckpointSize!.Value));
    }

    [Fact]
    public void ToJson_Tail_CarriesCountSizeTimeAndAge()
    {
        var log = TestChain.Build(_signer, 5, 2);

        var json = System.Text.Json.Nodes.JsonNode.Parse(AuditVerifier.Verify(log.Entries, log.Checkpoints, [AuditPublicKey.FromRaw(_signer.PublicKey.Span)], now: TestChain.Start.AddMinutes(2)).ToJson())!;

        var tail = json["tail"]!;
        Assert.Equal(3, (long)tail["entriesAfterLastCheckpoint"]!);
        Assert.Equal(2, (long)tail["lastCheckpointSize"]!);
        Assert.Equal("2026-11-25T16:00:02.500Z", (string?)tail["lastCheckpointTime"]);
        Assert.Equal(117, (long)tail["lastCheckpointAgeSeconds"]!);
    }
}
