using CsCheck;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Core.Tests.Audit;

public class AuditPropertyTests
{
    private static readonly string[] Columns = ["payload", "prev_hash", "entry_hash", "key_id", "signature"];

    [Fact]
    public void Verify_RandomSingleByteMutationOfAnyStoredColumn_IsNeverValidAndFirstSeqNotAfterMutation()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        var trusted = new[] { AuditPublicKey.FromRaw(signer.PublicKey.Span) };
        var logs = Enumerable.Range(1, 12).Select(n => TestChain.Build(signer, n, n)).ToArray();

        Gen.Select(Gen.Int[1, 12], Gen.Int[0, 11], Gen.Int[0, 4], Gen.Int[0, 10_000], Gen.Byte[1, 255])
            .Sample((n, pick, column, offset, xor) =>
            {
                var log = TamperScenarios.Copy(logs[n - 1]);
                var index = pick % n;
                var e = log.Entries[index];
                log.Entries[index] = column switch
                {
                    0 => e with { Payload = Mutate(e.Payload, offset, xor) },
                    1 => e with { PrevHash = Mutate(e.PrevHash, offset, xor) },
                    2 => e with { EntryHash = Mutate(e.EntryHash, offset, xor) },
                    3 => e with { KeyId = Mutate(e.KeyId, offset, xor) },
                    _ => e with { Signature = Mutate(e.Signature, offset, xor) },
                };

                var result = AuditVerifier.Verify(log.Entries, log.Checkpoints, trusted);

                return !result.IsValid && result.FirstTamperedSeq <= e.Seq;
            }, iter: 400, print: t => $"n={t.Item1} entry={t.Item2 % t.Item1 + 1} column={Columns[t.Item3]} offset={t.Item4} xor={t.Item5}");
    }

    private static byte[] Mutate(byte[] bytes, int offset, byte xor)
    {
        var copy = (byte[])bytes.Clone();
        copy[offset % copy.Length] ^= xor;
        return copy;
    }

    private static string Mutate(string text, int offset, byte xor) =>
        System.Text.Encoding.Latin1.GetString(Mutate(System.Text.Encoding.Latin1.GetBytes(text), offset, xor));
}
