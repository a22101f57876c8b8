using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Runs;

/// <summary>
/// Tells people what a guarded run is doing: the console now, a Slack thread or the API server later. Notifiers only
/// inform; nothing they do can approve anything.
/// </summary>
public interface INotifier
{
    /// <summary>A progress line (preview started, apply progress).</summary>
    Task ProgressAsync(string line, CancellationToken cancellationToken);

    /// <summary>A request needs a decision; <paramref name="created"/> is false when a re-run found it again.</summary>
    Task RequestOpenedAsync(ChangeRequest request, bool created, CancellationToken cancellationToken);

    /// <summary>Still waiting (a heartbeat).</summary>
    Task WaitingAsync(ChangeRequest request, TimeSpan elapsed, CancellationToken cancellationToken);

    /// <summary>The request left pending: approved (told before the apply starts), rejected or cancelled; with every decision and its reason.</summary>
    Task RequestDecidedAsync(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, CancellationToken cancellationToken);

    /// <summary>The apply finished.</summary>
    Task ApplyFinishedAsync(ChangeRequest request, ApplyOutcome outcome, CancellationToken cancellationToken);
}
