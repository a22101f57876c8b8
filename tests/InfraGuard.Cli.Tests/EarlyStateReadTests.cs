using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;

namespace InfraGuard.Cli.Tests;

public class EarlyStateReadTests
{
    private static readonly EngineTarget Target = new("dev", "/work/project", []);

    [Fact]
    public async Task Fingerprint_FirstForTheTarget_IsTheEarlyReadAfterTheCheck_LaterOnesReadAfresh()
    {
        var inner = new CountingEngine();
        var engine = new EarlyStateRead(inner, Target, TestContext.Current.CancellationToken);

        var first = await engine.FingerprintStateAsync(Target, TestContext.Current.CancellationToken);
        var beforeApply = await engine.FingerprintStateAsync(Target, TestContext.Current.CancellationToken);

        Assert.Equal(["check", "state 1"], inner.Calls.Take(2));
        Assert.Equal("state-1", first);
        Assert.Equal("state-2", beforeApply); // the staleness check never reuses the early read
        Assert.Equal(2, inner.Calls.Count(c => c.StartsWith("state", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Fingerprint_AnotherTarget_NotGivenTheEarlyRead()
    {
        var inner = new CountingEngine();
        var engine = new EarlyStateRead(inner, Target, TestContext.Current.CancellationToken);

        var other = await engine.FingerprintStateAsync(Target with { Stack = "prod" }, TestContext.Current.CancellationToken);

        Assert.Equal("state-2", other);
    }

    [Fact]
    public async Task Fingerprint_EarlyReadFailed_TheRunSeesTheFailure()
    {
        var inner = new CountingEngine { FailState = true };
        var engine = new EarlyStateRead(inner, Target, TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<EngineException>(() => engine.FingerprintStateAsync(Target, TestContext.Current.CancellationToken));

        Assert.Contains("state pull failed", e.Message, StringComparison.Ordinal);
    }

    private sealed class CountingEngine : IEngine
    {
        private int _reads;

        public List<string> Calls { get; } = [];

        public bool FailState { get; init; }

        public EngineKind Kind => EngineKind.Terraform;

        public EngineArgumentsCheck CheckArguments(IReadOnlyList<string> arguments) => throw new NotSupportedException();

        public Task<EngineInfo> CheckAsync(CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add("check");
            }

            return Task.FromResult(new EngineInfo("terraform", "1.9.0", "/usr/bin/terraform"));
        }

        public Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _reads);
            lock (Calls)
            {
                Calls.Add($"state {n}");
            }

            return FailState ? Task.FromException<string>(new EngineException("state pull failed")) : Task.FromResult($"state-{n}");
        }

        public Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
