using InfraGuard.Slack.Signing;
using InfraGuard.Store;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Slack's replay guard and Events API de-duplication, shared through the store by every server on the database
/// (<see cref="ChangeStore.TryRememberAsync"/>): a signed request, or an event Slack retries, reaching two replicas is
/// handled by the first only. Keys expire with the window in which they matter and are swept by <c>SeenKeySweep</c>.
/// </summary>
internal sealed class SlackSeenKeys(ChangeStore store, TimeProvider time)
{
    /// <summary>Slack retries an event it thinks was not acknowledged for up to about an hour.</summary>
    public static readonly TimeSpan EventWindow = TimeSpan.FromHours(1);

    /// <summary>
    /// True the first time a verified signature is seen; it is kept until its timestamp (Unix seconds) leaves the
    /// verifier's window, after which the verifier refuses the request as stale anyway.
    /// </summary>
    public Task<bool> FirstRequestAsync(string signature, long timestampSeconds, CancellationToken ct) =>
        store.TryRememberAsync("slack-signature:" + signature, DateTimeOffset.FromUnixTimeSeconds(timestampSeconds) + SlackRequestVerifier.Tolerance + TimeSpan.FromMinutes(1), ct);

    /// <summary>True the first time an Events API event id is seen within <see cref="EventWindow"/>.</summary>
    public Task<bool> FirstEventAsync(string eventId, CancellationToken ct) =>
        store.TryRememberAsync("slack-event:" + eventId, time.GetUtcNow() + EventWindow, ct);
}
