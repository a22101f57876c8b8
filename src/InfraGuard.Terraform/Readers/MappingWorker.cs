using System.Buffers;
using System.Collections.Concurrent;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Maps changed elements on a second thread while the scan of the plan goes on. The scan (a reader pass over the whole
/// plan) and the mapping of changed elements (documents, redaction, diff) each take about half of a large read, so on
/// two cores they overlap. Elements are copied into pooled chunks and handed over in document order; the worker maps
/// them one after another in that order, so the result is exactly that of mapping them inline. At most
/// <see cref="ChunksQueued"/> chunks wait, so memory stays bounded whatever the plan's size, and a plan whose changes
/// fit in one chunk (most plans), or any plan on a single core, is mapped on the calling thread without a worker.
/// </summary>
/// <remarks>
/// Errors: the first error in document order wins. A mapping error stops the worker, and the next hand-over rethrows it
/// on the scanning thread; when the scan fails first, <see cref="Complete"/> maps what was handed over before the failure
/// and throws a mapping error found there instead, since it lies earlier in the plan.
/// </remarks>
/// <param name="map">Maps one element; called in document order, on the worker or on the calling thread.</param>
/// <param name="overlap">Whether a worker thread may be used: false on a single core, where it could only take turns.</param>
internal sealed class MappingWorker(Action<ReadOnlyMemory<byte>, QueuedElement> map, bool overlap) : IDisposable
{
    private const int ChunkBytes = 128 * 1024;
    private const int ChunksQueued = 4;

    private readonly BlockingCollection<Chunk> _queue = new(ChunksQueued);
    private readonly CancellationTokenSource _stop = new();
    private Chunk? _filling;
    private Task? _worker;
    private bool _completed;

    /// <summary>Hands over a copy of an element's bytes (they may be overwritten once this returns).</summary>
    public void Add(ReadOnlySpan<byte> element, QueuedElement where)
    {
        if (_filling is null || _filling.Free < element.Length)
        {
            Send();
            _filling = new Chunk(Math.Max(ChunkBytes, element.Length));
        }

        _filling.Add(element, where);
    }

    /// <summary>Maps every element handed over and waits for it; throws the first mapping error.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        Send(last: true);
        if (_worker is null)
        {
            // No worker was started (the changes fit in one chunk, or a single core): Send mapped them here.
            return;
        }

        _queue.CompleteAdding();
        _worker.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        if (_worker is not null && !_worker.IsCompleted)
        {
            _stop.Cancel();
            _worker.ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        }

        _filling?.Return();
        while (_queue.TryTake(out var chunk))
        {
            chunk.Return();
        }

        _queue.Dispose();
        _stop.Dispose();
    }

    // Hands the filling chunk to the worker, or maps it here when there is no point in a worker: on a single core, or
    // when it is the last chunk and no worker runs yet (then it is the only one).
    private void Send(bool last = false)
    {
        var chunk = _filling;
        if (chunk is null)
        {
            return;
        }

        _filling = null;
        if (!overlap || (last && _worker is null))
        {
            chunk.MapAll(map);
            return;
        }

        _worker ??= Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            _queue.Add(chunk, _stop.Token);
        }
        catch (OperationCanceledException)
        {
            // The worker stopped on an error: that error, not the cancellation, is the outcome.
            chunk.Return();
            _worker.GetAwaiter().GetResult();
            throw;
        }
    }

    private void Run()
    {
        try
        {
            foreach (var chunk in _queue.GetConsumingEnumerable(_stop.Token))
            {
                chunk.MapAll(map);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed before completion: the read failed elsewhere.
        }
        catch
        {
            _stop.Cancel();
            throw;
        }
    }

    /// <summary>Element bytes laid end to end in a pooled array, with where each came from.</summary>
    private sealed class Chunk(int size)
    {
        private readonly List<(int Offset, int Length, QueuedElement Where)> _elements = [];
        private byte[] _bytes = ArrayPool<byte>.Shared.Rent(size);
        private int _used;

        public int Free => _bytes.Length - _used;

        public void Add(ReadOnlySpan<byte> element, QueuedElement where)
        {
            element.CopyTo(_bytes.AsSpan(_used));
            _elements.Add((_used, element.Length, where));
            _used += element.Length;
        }

        public void MapAll(Action<ReadOnlyMemory<byte>, QueuedElement> map)
        {
            try
            {
                foreach (var (offset, length, where) in _elements)
                {
                    map(_bytes.AsMemory(offset, length), where);
                }
            }
            finally
            {
                Return();
            }
        }

        public void Return()
        {
            if (_bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_bytes);
                _bytes = [];
            }
        }
    }
}

/// <summary>Where a handed-over element sits: its section and index, and the line and column of its first byte.</summary>
internal readonly record struct QueuedElement(ElementPosition Position, long Line, long Column);
