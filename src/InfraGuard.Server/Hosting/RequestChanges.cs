using System.Collections.Concurrent;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// Wakes long-polls when this server changes a request. Changes made elsewhere (the CLI, another server on the same
/// database) are found by the long-poll's periodic re-read instead.
/// </summary>
public sealed class RequestChanges
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>A task that completes at the next <see cref="Signal"/> for <paramref name="id"/>. Take it before reading the state.</summary>
    public Task Next(string id) =>
        _waiters.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Wakes everyone waiting on <paramref name="id"/>.</summary>
    public void Signal(string id)
    {
        if (_waiters.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult();
        }
    }
}
