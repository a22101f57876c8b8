using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Store.Tests;

public sealed class ConcurrencyAndCrashTests : IDisposable
{
    private const string ChildVariable = "INFRAGUARD_STORE_CRASH_CHILD_DB";

    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public static TheoryData<string> Backends => TestStore.Backends;

    public void Dispose() => _signer.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Append_EightWritersFiftyEach_ContiguousSeqAndValidChain(string backend)
    {
        using var db = TestStore.Create(backend);
        using var first = db.Open(_signer);
        var stores = Enumerable.Range(0, 8).Select(_ => db.Open(_signer)).ToList();

        try
        {
            await Task.WhenAll(stores.Select((store, w) => Task.Run(async () =>
            {
                for (var i = 0; i < 50; i++)
                {
                    await store.AppendAsync(TestChain.Event((w * 50) + i, TestChain.Start));
                }
            })));

            var seqs = (await TestStore.ReadLogAsync(first)).Entries.Select(e => e.Seq).ToList();
            var verification = await first.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

            Assert.Equal(Enumerable.Range(1, 400).Select(i => (long)i), seqs);
            Assert.True(verification.IsValid, verification.RenderText(first.Description));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Append_ChildProcessKilledMidLoop_KeepsEveryAcknowledgedEntryAndAValidChain(string backend)
    {
        using var db = TestStore.Create(backend);
        using (db.Open(_signer))
        {
            // Migrate before the child starts, so the kill lands in appends.
        }

        var start = new ProcessStartInfo("dotnet", [typeof(ConcurrencyAndCrashTests).Assembly.Location])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { [ChildVariable] = db.Spec },
        };
        using var child = Process.Start(start)!;
        long acknowledged = 0;
        var deadline = Stopwatch.StartNew();
        while (acknowledged < 150 && deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            var line = await child.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken);
            if (line is null)
            {
                break;
            }

            if (line.StartsWith("ack ", StringComparison.Ordinal))
            {
                acknowledged = long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture);
            }
        }

        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(acknowledged >= 150, "child acknowledged only " + acknowledged + ": " + await child.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken));

        using var store = db.Open(_signer);
        var head = await store.GetHeadAsync();
        var verification = await store.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);
        var next = await store.AppendAsync(TestChain.Event(0, TestChain.Start));

        Assert.True(head.Size >= acknowledged, $"head {head.Size} < acknowledged {acknowledged}");
        Assert.True(verification.IsValid, verification.RenderText(store.Description));
        Assert.Equal(head.Size + 1, next.Seq);
    }

    /// <summary>
    /// When the test assembly is started as a child with <see cref="ChildVariable"/> set, it appends forever and
    /// prints <c>ack SEQ</c> after each commit, until killed. Runs before xunit's Main.
    /// </summary>
#pragma warning disable CA2255 // A module initializer is the simplest hook to turn the test exe into the crash child.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void RunAsCrashChild()
    {
        var spec = Environment.GetEnvironmentVariable(ChildVariable);
        if (string.IsNullOrEmpty(spec))
        {
            return;
        }

        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        using var store = ChangeStore.Open(spec, TimeProvider.System, signer);
        var stdout = Console.Out;
        for (var i = 1; ; i++)
        {
            var entry = store.AppendAsync(TestChain.Event(i, TestChain.Start)).GetAwaiter().GetResult();
            stdout.WriteLine("ack " + entry.Seq.ToString(CultureInfo.InvariantCulture));
            stdout.Flush();
        }
    }
}
