namespace InfraGuard.Core.Readers;

/// <summary>A growable buffer the readers write redacted JSON and property paths into, reused across items.</summary>
public sealed class GrowableBuffer<T>(int capacity)
{
    private T[] _items = new T[capacity];

    /// <summary>Items written; may be set back to undo the latest writes.</summary>
    public int Length { get; set; }

    /// <summary>What was written.</summary>
    public ReadOnlySpan<T> Written => _items.AsSpan(0, Length);

    /// <summary>The unwritten rest, for formatting in place (add what was written to <see cref="Length"/>).</summary>
    public Span<T> Free => _items.AsSpan(Length);

    /// <summary>Appends one item.</summary>
    public void Write(T item)
    {
        if (Length == _items.Length)
        {
            Grow(1);
        }

        _items[Length++] = item;
    }

    /// <summary>Appends <paramref name="items"/>.</summary>
    public void Write(ReadOnlySpan<T> items)
    {
        if (Length + items.Length > _items.Length)
        {
            Grow(items.Length);
        }

        items.CopyTo(_items.AsSpan(Length));
        Length += items.Length;
    }

    /// <summary>Grows to hold at least <paramref name="total"/> items in all.</summary>
    public void Reserve(int total)
    {
        if (total > _items.Length)
        {
            Array.Resize(ref _items, total);
        }
    }

    /// <summary>Grows to hold at least <paramref name="more"/> items past <see cref="Length"/>.</summary>
    public void Grow(int more) => Array.Resize(ref _items, Math.Max(_items.Length * 2, Length + more));
}
