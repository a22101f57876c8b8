namespace InfraGuard.Core.Requests;

/// <summary>
/// An optional port of a store that can say when a request changes, so a waiting run wakes at once instead of on its
/// next poll: the approval server in process (its change signal), or a remote server's long-poll
/// (<c>GET /api/v1/requests/{id}?wait=…&amp;state=…</c>). <see cref="Runs.DecisionWait"/> uses it when the store has it.
/// </summary>
public interface IRequestWatch
{
    /// <summary>
    /// Completes when <paramref name="request"/> may have left its state, or after <paramref name="longest"/>,
    /// whichever is first. Returning early is always allowed: the caller reads the request again.
    /// </summary>
    Task WaitForChangeAsync(ChangeRequest request, TimeSpan longest, CancellationToken cancellationToken);
}
