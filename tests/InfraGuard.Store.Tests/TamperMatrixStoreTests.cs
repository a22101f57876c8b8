using System.Text;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Store.Tests;

/// <summary>The tamper matrix against real databases: a privileged connection drops the guard triggers and rewrites rows.</summary>
public sealed class TamperMatrixStoreTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
    private readonly Ed25519AuditSigner _foreign = Ed25519AuditSigner.FromSeed(TestChain.ForeignSeed);

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var backend in new[] { "sqlite", "postgres" })
            {
                foreach (var scenario in TamperScenarios.All.Where(s => s.InDatabase))
                {
                    data.Add(backend, scenario.Name);
                }
            }

            return data;
        }
    }

    public void Dispose()
    {
        _signer.Dispose();
        _foreign.Dispose();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Verify_TamperedDatabase_ReportsExactFindings(string backend, string name)
    {
        var scenario = TamperScenarios.Get(name);
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        for (var i = 1; i <= TamperScenarios.Size; i++)
        {
            await store.AppendAsync(TestChain.Event(i, TestChain.Start.AddSeconds(i)));
            if (TamperScenarios.CheckpointSizes.Contains(i))
            {
                db.Time.Advance(TimeSpan.FromSeconds(1));
                await store.CheckpointAsync();
            }
        }

        var original = await TestStore.ReadLogAsync(store);
        var witness = AuditWitness.Parse(Encoding.UTF8.GetString(original.Checkpoints[^1].Body));
        var trusted = new[] { AuditPublicKey.FromRaw(_signer.PublicKey.Span) };
        Assert.True((await store.VerifyAsync(trusted)).IsValid);
        var tampered = TamperScenarios.Copy(original);
        scenario.Apply(tampered, _signer, _foreign);

        await db.ReplaceAuditAsync(store, tampered);
        var result = await store.VerifyAsync(trusted, scenario.Witnessed ? witness : null);

        Assert.Equal(scenario.Expected, result.Findings.Select(f => (f.Kind, f.Seq ?? -1)).ToArray());
        Assert.Equal(scenario.Expected.Length == 0 ? 0 : 1, result.ExitCode);
    }
}
