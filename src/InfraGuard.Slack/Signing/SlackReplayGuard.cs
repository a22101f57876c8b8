namespace InfraGuard.Slack.Signing;

/// <summary>
/// Remembers keys (accepted request signatures, Events API event ids) seen within a window, so the same one is accepted
/// once. Each key is kept with its timestamp and forgotten once that is older than the window (the verifier refuses
/// such requests as stale anyway); forgetting takes the oldest first from a priority queue, so a remember costs
/// O(log n) however many requests arrived in the window. Thread-safe. Single-process only: several server replicas
/// need a shared store instead.
/// </summary>
public sealed class SlackReplayGuard
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, long> _byAge = new();
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _windowSeconds;

    /// <summary>Creates a guard with the verifier's window (default five minutes).</summary>
    public SlackReplayGuard(TimeProvider time, TimeSpan? window = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _windowSeconds = (long)(window ?? SlackRequestVerifier.Tolerance).TotalSeconds;
    }

    /// <summary>Number of remembered keys (for tests and metrics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    /// <summary>Records <paramref name="key"/> stamped <paramref name="timestampSeconds"/> (Unix); false when it was already seen within the window.</summary>
    public bool TryRemember(string key, long timestampSeconds)
    {
        var oldest = _time.GetUtcNow().ToUnixTimeSeconds() - _windowSeconds;
        lock (_lock)
        {
            while (_byAge.TryPeek(out var old, out var at) && at < oldest)
            {
                _byAge.Dequeue();
                _seen.Remove(old);
            }

            if (!_seen.Add(key))
            {
                return false;
            }

            _byAge.Enqueue(key, timestampSeconds);
            return true;
        }
    }
}
