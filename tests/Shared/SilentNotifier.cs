using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;

namespace InfraGuard.Testing;

/// <summary>A notifier for runs whose progress a test does not read.</summary>
internal sealed class SilentNotifier : INotifier
{
    public Task ProgressAsync(string line, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RequestOpenedAsync(ChangeRequest request, bool created, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task WaitingAsync(ChangeRequest request, TimeSpan elapsed, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task RequestDecidedAsync(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ApplyFinishedAsync(ChangeRequest request, ApplyOutcome outcome, CancellationToken cancellationToken) => Task.CompletedTask;
}
