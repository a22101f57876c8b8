namespace InfraGuard.Slack.Web;

/// <summary>
/// Spaces messages to one channel at least <c>interval</c> apart, on <see cref="TimeProvider"/>: each caller reserves the
/// next free slot for its channel and waits until then. Channels do not wait for each other.
/// </summary>
public sealed class ChannelRateLimiter(TimeProvider time, TimeSpan interval)
{
    private readonly Dictionary<string, DateTimeOffset> _nextSlot = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Waits until a message may be sent to <paramref name="channel"/>.</summary>
    public Task WaitAsync(string channel, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        DateTimeOffset slot;
        lock (_lock)
        {
            slot = _nextSlot.TryGetValue(channel, out var next) && next > now ? next : now;
            _nextSlot[channel] = slot + interval;
        }

        var wait = slot - now;
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }
}
