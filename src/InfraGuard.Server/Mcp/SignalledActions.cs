using InfraGuard.Core.Actions;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;

namespace InfraGuard.Server.Mcp;

/// <summary>
/// The server's own store and action authority as the in-process gateway sees them: every change it makes is announced
/// on <see cref="RequestChanges"/> (so long-polls, the web page and the chat channels catch up at once, as after the
/// REST API's calls), and a waiting call wakes on the next change of its request (<see cref="IRequestWatch"/>) instead of
/// polling the database.
/// </summary>
internal sealed class SignalledActions(IActionAuthority authority, ChangeStore store, RequestChanges changes) : IActionAuthority, IChangeStore, IRequestWatch
{
    public async Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, CancellationToken cancellationToken)
    {
        var submission = await authority.SubmitActionAsync(proposal, cancellationToken).ConfigureAwait(false);
        if (submission.Request is { } request)
        {
            changes.Changed(request.Id);
        }

        return submission;
    }

    public Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken) =>
        Announce(requestId, authority.BeginApplyAsync(requestId, cancellationToken));

    public Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken) =>
        authority.RecordCancelledAsync(stack, requestId, phase, cancellationToken);

    public Task<CreateRequestResult> CreateAsync(NewChangeRequest request, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The gateway creates requests only through the action authority.");

    public Task<ChangeRequest?> GetAsync(string id, CancellationToken cancellationToken = default) => store.GetAsync(id, cancellationToken);

    public Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestQuery query, CancellationToken cancellationToken = default) => store.ListAsync(query, cancellationToken);

    public Task<IReadOnlyList<RequestDecision>> GetDecisionsAsync(string id, CancellationToken cancellationToken = default) => store.GetDecisionsAsync(id, cancellationToken);

    public Task<PlanArtifact?> GetArtifactAsync(string id, ArtifactKind kind, CancellationToken cancellationToken = default) => store.GetArtifactAsync(id, kind, cancellationToken);

    public Task<ApplyOutcome?> GetApplyOutcomeAsync(string id, CancellationToken cancellationToken = default) => store.GetApplyOutcomeAsync(id, cancellationToken);

    public Task<RequestOutcome> DecideAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("An agent never decides; people decide through the approval desk.");

    public Task<RequestOutcome> TransitionAsync(string id, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken = default) =>
        Announce(id, store.TransitionAsync(id, to, actor, reason, cancellationToken));

    public Task<RequestOutcome> CompleteApplyAsync(string id, ApplyOutcome outcome, CancellationToken cancellationToken = default) =>
        Announce(id, store.CompleteApplyAsync(id, outcome, cancellationToken));

    public async Task WaitForChangeAsync(ChangeRequest request, TimeSpan longest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(longest);
        try
        {
            await changes.Next(request.Id).WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No change within the interval: the caller reads the request and reports progress.
        }
    }

    private async Task<RequestOutcome> Announce(string id, Task<RequestOutcome> change)
    {
        var outcome = await change.ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            changes.Changed(id);
        }

        return outcome;
    }
}
