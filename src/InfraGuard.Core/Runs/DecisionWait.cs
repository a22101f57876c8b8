using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Runs;

/// <summary>
/// Waits for the decision on a pending request, for every guarded flow (<c>up</c>, <c>exec</c>): reads the store
/// every <paramref name="Poll"/> (or as soon as it changes, when the store is an <see cref="IRequestWatch"/>), tells the notifier about the decision and a heartbeat, expires the request when its
/// time is up, and stops after <paramref name="Wait"/> (null: until the request expires).
/// </summary>
/// <param name="Wait">How long to wait at most.</param>
/// <param name="Poll">How often to read the request (with a watch: the shortest wait; it wakes on any change anyway).</param>
/// <param name="Heartbeat">How often to tell the notifier the run is still waiting.</param>
/// <param name="NothingDone">The words for what did not happen (<c>nothing was applied</c>, <c>nothing was run</c>).</param>
public sealed record DecisionWait(TimeSpan? Wait, TimeSpan Poll, TimeSpan Heartbeat, string NothingDone)
{
    /// <summary>Longest single wait on an <see cref="IRequestWatch"/> (a long-poll stays under servers' and proxies' idle limits).</summary>
    public static readonly TimeSpan LongestWatch = TimeSpan.FromSeconds(30);

    /// <summary>The approved request (outcome null), or how the wait ended without an approval.</summary>
    public async Task<(GuardedRunResult? Outcome, ChangeRequest Request)> WaitAsync(
        IChangeStore store, INotifier notifier, TimeProvider time, ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetUtcNow();
        var lastHeartbeat = started;
        while (true)
        {
            request = await store.GetAsync(request.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Change request {request.Id} disappeared from the store.");
            var now = time.GetUtcNow();
            if (request.State is RequestState.Approved or RequestState.Rejected or RequestState.Cancelled)
            {
                await notifier.RequestDecidedAsync(request, await store.GetDecisionsAsync(request.Id, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }

            switch (request.State)
            {
                case RequestState.Approved:
                    return (null, request);
                case RequestState.Rejected:
                case RequestState.Cancelled:
                    return (new(RunOutcome.Rejected, $"Change request {request.Id} was {request.State.ToString().ToLowerInvariant()}; {NothingDone}.", request.Assessment, request), request);
                case RequestState.Expired:
                    return (new(RunOutcome.Expired, $"Change request {request.Id} expired; {NothingDone}. Re-run to ask again.", request.Assessment, request), request);
                case RequestState.Superseded:
                    return (new(RunOutcome.PlanChanged, $"Change request {request.Id} was superseded; re-run to request approval for the new plan.", request.Assessment, request), request);
                case RequestState.Applied:
                    return (new(RunOutcome.Applied, $"Change request {request.Id} was already applied by an earlier run; nothing more to do.", request.Assessment, request), request);
                case RequestState.Applying or RequestState.Failed:
                    return (new(RunOutcome.Rejected, $"Change request {request.Id} is already {request.State.ToString().ToLowerInvariant()} by another run; {NothingDone} by this one.", request.Assessment, request), request);
            }

            if (now >= request.ExpiresAt)
            {
                var expired = await store.TransitionAsync(request.Id, RequestState.Expired, PersonRef.System, "no decision before the request expired", cancellationToken).ConfigureAwait(false);
                if (expired.Succeeded)
                {
                    return (new(RunOutcome.Expired, $"Change request {request.Id} expired with no decision; {NothingDone}. Re-run to ask again.", request.Assessment, expired.Request), expired.Request!);
                }

                continue; // someone decided at the last moment: read it again
            }

            if (Wait is { } wait && now - started >= wait)
            {
                return (new(RunOutcome.Expired, $"Stopped waiting after {wait:g}; change request {request.Id} stays pending until {request.ExpiresAt:u}. Re-run to pick it up.", request.Assessment, request), request);
            }

            if (now - lastHeartbeat >= Heartbeat)
            {
                lastHeartbeat = now;
                await notifier.WaitingAsync(request, now - started, cancellationToken).ConfigureAwait(false);
            }

            if (store is IRequestWatch watch)
            {
                // A watch answers as soon as the request changes: park until the next thing this loop must do itself
                // (heartbeat, expiry, end of the wait), so a waiting runner holds one long-poll, not one a second.
                var due = new[] { lastHeartbeat + Heartbeat, request.ExpiresAt, Wait is { } w ? started + w : DateTimeOffset.MaxValue }.Min() - now;
                await watch.WaitForChangeAsync(request, due < Poll ? Poll : due > LongestWatch ? LongestWatch : due, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(Poll, time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
