using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;

namespace InfraGuard.Cli;

/// <summary>
/// An engine whose first state read starts at once, after its version check, while InfraGuard's own start-up work
/// (policy, store, keys) runs: the guarded run's first <see cref="FingerprintStateAsync"/> for the same target gets that
/// read; every later one (the staleness check before apply) reads the state afresh. Read-only: nothing is previewed or
/// applied before the run itself asks.
/// </summary>
internal sealed class EarlyStateRead : IEngine
{
    private readonly IEngine _inner;
    private readonly EngineTarget _target;
    private Task<string>? _early;

    public EarlyStateRead(IEngine inner, EngineTarget target, CancellationToken cancellationToken)
    {
        _inner = inner;
        _target = target;
        _early = ReadAsync(cancellationToken);
        _ = _early.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default); // a run that stops before reading state never observes it
    }

    public EngineKind Kind => _inner.Kind;

    public EngineArgumentsCheck CheckArguments(IReadOnlyList<string> arguments) => _inner.CheckArguments(arguments);

    public Task<EngineInfo> CheckAsync(CancellationToken cancellationToken) => _inner.CheckAsync(cancellationToken);

    public Task<string> FingerprintStateAsync(EngineTarget target, CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _early, null) is { } early && target == _target ? early : _inner.FingerprintStateAsync(target, cancellationToken);

    public Task<PreviewResult> PreviewAsync(EngineTarget target, EngineRunOptions options, CancellationToken cancellationToken) =>
        _inner.PreviewAsync(target, options, cancellationToken);

    public Task<ApplyResult> ApplyAsync(EngineTarget target, byte[] plan, EngineRunOptions options, IProgress<string> progress, CancellationToken cancellationToken) =>
        _inner.ApplyAsync(target, plan, options, progress, cancellationToken);

    private async Task<string> ReadAsync(CancellationToken cancellationToken)
    {
        await _inner.CheckAsync(cancellationToken).ConfigureAwait(false);
        return await _inner.FingerprintStateAsync(_target, cancellationToken).ConfigureAwait(false);
    }
}
