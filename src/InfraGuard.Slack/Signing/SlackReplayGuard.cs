namespace InfraGuard.Slack.Signing;

/// <summary>
/// Remembers signatures accepted within the freshness window, so the same signed request is accepted once.
/// Entries older than the window are dropped (the verifier refuses those as stale anyway). Thread-safe.
/// Single-process only: several server replicas need a shared store instead.
/// </summary>
public sealed class SlackReplayGuard
{
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
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

    /// <summary>Number of remembered signatures (for tests and metrics).</summary>
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

    /// <summary>Records <paramref name="signature"/>; false when it was already seen within the window.</summary>
    public bool TryRemember(string signature, long timestampSeconds)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        lock (_lock)
        {
            foreach (var old in _seen.Where(kv => now - kv.Value > _windowSeconds).Select(kv => kv.Key).ToList())
            {
                _seen.Remove(old);
            }

            return _seen.TryAdd(signature, timestampSeconds);
        }
    }
}
