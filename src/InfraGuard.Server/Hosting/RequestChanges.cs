using System.Collections.Concurrent;
using System.Threading.Channels;
using InfraGuard.Core.Approvals;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// Who hears that a request changed: long-polls waiting on it, and every chat channel's worker. Changes made in this
/// server arrive at once (<see cref="Changed"/>, from <see cref="ApprovalDesk"/> and the API); changes made anywhere else
/// (the CLI, another server on the same database) arrive through <see cref="ChangeListener"/> (PostgreSQL NOTIFY, at once)
/// and <see cref="ChangeFeed"/>, which tails the audit log (the fallback, and the only way on SQLite).
/// </summary>
public sealed class RequestChanges : IRequestSignal
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);
    private readonly List<ChannelWriter<string>> _listeners = [];

    /// <summary>A task that completes at the next change of <paramref name="id"/>. Take it before reading the state.</summary>
    public Task Next(string id) =>
        _waiters.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Request <paramref name="requestId"/> changed: wakes its long-polls and queues it for every channel.</summary>
    public void Changed(string requestId)
    {
        if (_waiters.TryRemove(requestId, out var waiter))
        {
            waiter.TrySetResult();
        }

        lock (_listeners)
        {
            foreach (var listener in _listeners)
            {
                listener.TryWrite(requestId);
            }
        }
    }

    /// <summary>Adds <paramref name="listener"/> to what hears every change, until the result is disposed.</summary>
    internal IDisposable Listen(ChannelWriter<string> listener)
    {
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        return new Unlisten(this, listener);
    }

    private sealed class Unlisten(RequestChanges changes, ChannelWriter<string> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (changes._listeners)
            {
                changes._listeners.Remove(listener);
            }
        }
    }
}
