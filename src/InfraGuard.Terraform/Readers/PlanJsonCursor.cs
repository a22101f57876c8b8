using System.Buffers;
using System.Text.Json;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// A <see cref="Utf8JsonReader"/> over a refillable buffer. The buffer only has to hold the biggest single value that is
/// materialised (one resource change); everything else streams through, so memory does not grow with the plan's size.
/// Also tracks line numbers of discarded bytes so errors can name a line.
/// </summary>
internal enum ArrayElement
{
    /// <summary>The array ended.</summary>
    End,

    /// <summary>A resource change with actions <c>["no-op"]</c>, skipped.</summary>
    NoOp,

    /// <summary>Any other element, its bytes found whole in the buffer.</summary>
    Value,
}

internal ref struct PlanJsonCursor
{
    private const int InitialBufferSize = 64 * 1024;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _length;
    private bool _final;
    private long _discardedLines;
    private long _discardedBytes;
    private long _lineStart;
    private Utf8JsonReader _reader;

    // Newlines counted by Position in the buffer up to _countedTo (reset when the buffer moves on).
    private int _countedTo;
    private long _countedLines;
    private int _lastCountedNewline = -1;

    private enum Scan
    {
        NoOp,
        Other,
        NeedMore,
    }

    public PlanJsonCursor(Stream utf8)
    {
        _stream = utf8;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        _reader = new Utf8JsonReader([], isFinalBlock: false, default);
        Refill(0, default);
    }

    public readonly JsonTokenType TokenType => _reader.TokenType;

    public readonly int CurrentDepth => _reader.CurrentDepth;

    /// <summary>True once the whole input has been read into the buffer.</summary>
    public readonly bool AtFinalBlock => _final;

    /// <summary>True when the input has no bytes at all.</summary>
    public readonly bool IsEmpty => _final && _length == 0 && _discardedBytes == 0;

    /// <summary>True when the whole input is whitespace (or empty).</summary>
    public readonly bool IsBlank => _final && _discardedBytes == 0 && _buffer.AsSpan(0, _length).TrimStart(" \t\r\n"u8).IsEmpty;

    /// <summary>1-based line and 0-based byte column just past the last byte, once the final block is buffered.</summary>
    public (long Line, long Column) EndPosition() => Position(_length);

    public readonly bool ValueTextEquals(ReadOnlySpan<byte> text) => _reader.ValueTextEquals(text);

    public readonly bool ValueTextEquals(string text) => _reader.ValueTextEquals(text);

    public readonly string? GetString() => _reader.GetString();

    public readonly bool GetBoolean() => _reader.GetBoolean();

    /// <summary>The first bytes of the input, for telling binary files apart from JSON.</summary>
    public readonly ReadOnlySpan<byte> Head => _discardedBytes == 0 ? _buffer.AsSpan(0, Math.Min(_length, 8)) : [];

    public bool Read()
    {
        while (!_reader.Read())
        {
            if (_final)
            {
                return false;
            }

            Refill(_reader.BytesConsumed, _reader.CurrentState);
        }

        return true;
    }

    /// <summary>Skips the current value (and its children) without holding it in memory.</summary>
    public void Skip()
    {
        if (_reader.TokenType == JsonTokenType.PropertyName)
        {
            Read();
        }

        if (_reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        // A value that is whole in the buffer is skipped by the reader in one call; one that is not (it crosses the
        // end of the buffer) is entered, and its children are skipped the same way.
        var depth = _reader.CurrentDepth;
        while (true)
        {
            if (_reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                _reader.TrySkip();
            }

            if (_reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && _reader.CurrentDepth == depth)
            {
                return;
            }

            if (!Read())
            {
                return;
            }
        }
    }

    /// <summary>
    /// Inside an array: reads the next element. A plain <c>["no-op"]</c> resource change is only scanned, never
    /// materialised (<see cref="ArrayElement.NoOp"/>); any other element is checked to be complete, well-formed JSON
    /// and given as its raw bytes in <paramref name="element"/>. Those bytes are the cursor's own buffer: they are
    /// valid only until the next read, so nothing built from them may keep referring to them.
    /// <paramref name="start"/> locates the element for <see cref="PositionAt"/>.
    /// </summary>
    public ArrayElement ReadElement(out ReadOnlyMemory<byte> element, out int start)
    {
        element = default;
        while (true)
        {
            var checkpoint = _reader;
            if (!_reader.Read())
            {
                if (_final)
                {
                    throw new JsonException("Unexpected end of data inside an array");
                }

                Refill(_reader.BytesConsumed, _reader.CurrentState);
                continue;
            }

            start = (int)_reader.TokenStartIndex;
            if (_reader.TokenType == JsonTokenType.EndArray)
            {
                return ArrayElement.End;
            }

            // Both read (and so validate) the whole element, leaving the reader on its last token.
            var scan = _reader.TokenType == JsonTokenType.StartObject ? ScanObject() : _reader.TrySkip() ? Scan.Other : Scan.NeedMore;
            if (scan == Scan.NoOp)
            {
                return ArrayElement.NoOp;
            }

            if (scan == Scan.Other)
            {
                element = _buffer.AsMemory(start, checked((int)_reader.BytesConsumed - start));
                return ArrayElement.Value;
            }

            // The element does not fit in what is buffered: go back to before it and read more.
            _reader = checkpoint;
            Refill(_reader.BytesConsumed, _reader.CurrentState);
        }
    }

    // Reads a whole object element with a probe, looking for change.actions == ["no-op"] without importing. When the
    // element is complete in the buffer the real reader moves to its last token (NoOp or Other); otherwise it stays
    // on the element's start (NeedMore). Values are skipped whole (read, so validated, but not looked at) except the
    // two that decide: actions and importing, read from a copy of the probe before their value is skipped.
    private Scan ScanObject()
    {
        var probe = _reader;
        var noOp = false;
        var other = false;
        while (probe.Read())
        {
            if (probe.TokenType == JsonTokenType.EndObject)
            {
                _reader = probe;
                return noOp && !other ? Scan.NoOp : Scan.Other;
            }

            var isChange = !other && probe.ValueTextEquals("change"u8);
            if (!probe.Read())
            {
                return Scan.NeedMore;
            }

            if (isChange && probe.TokenType == JsonTokenType.StartObject)
            {
                if (!ScanChange(ref probe, ref noOp, ref other))
                {
                    return Scan.NeedMore;
                }
            }
            else if (!SkipContainer(ref probe))
            {
                return Scan.NeedMore;
            }
        }

        return Scan.NeedMore;
    }

    // On the start of the change object: reads it to its end. False when the data runs out first.
    private static bool ScanChange(ref Utf8JsonReader probe, ref bool noOp, ref bool other)
    {
        while (probe.Read())
        {
            if (probe.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            if (!other && probe.ValueTextEquals("actions"u8))
            {
                var look = probe;
                noOp = ReadsExactlyNoOp(ref look);
                other = !noOp;
            }
            else if (!other && probe.ValueTextEquals("importing"u8))
            {
                var look = probe;
                other = look.Read() && look.TokenType != JsonTokenType.Null;
            }

            if (!probe.Read() || !SkipContainer(ref probe))
            {
                return false;
            }
        }

        return false;
    }

    // On a value: skips its children if it has any (scalars need nothing more). False when the data runs out first.
    private static bool SkipContainer(ref Utf8JsonReader probe) =>
        probe.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray) || probe.TrySkip();

    // Reads the actions value; true only for exactly ["no-op"]. Running out of data counts as "not shown to be a no-op".
    private static bool ReadsExactlyNoOp(ref Utf8JsonReader probe) =>
        probe.Read() && probe.TokenType == JsonTokenType.StartArray
        && probe.Read() && probe.TokenType == JsonTokenType.String && probe.ValueTextEquals("no-op"u8)
        && probe.Read() && probe.TokenType == JsonTokenType.EndArray;

    /// <summary>1-based line and 0-based byte column of the current token.</summary>
    public (long Line, long Column) TokenPosition() => Position((int)_reader.TokenStartIndex);

    /// <summary>Line and column of a buffer offset returned by <see cref="ReadElement"/> (valid until the next read).</summary>
    public (long Line, long Column) PositionAt(int start) => Position(start);

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    // 1-based line and 0-based byte column of a buffer offset. Newlines are counted on from the previous call's offset,
    // so positions asked in document order (one per changed element) cost one pass over the plan in all.
    private (long Line, long Column) Position(int offsetInBuffer)
    {
        var end = Math.Min(offsetInBuffer, _length);
        if (end < _countedTo)
        {
            (_countedTo, _countedLines, _lastCountedNewline) = (0, 0, -1);
        }

        var span = _buffer.AsSpan(_countedTo, end - _countedTo);
        _countedLines += span.Count((byte)'\n');
        var last = span.LastIndexOf((byte)'\n');
        if (last >= 0)
        {
            _lastCountedNewline = _countedTo + last;
        }

        _countedTo = end;
        var column = _lastCountedNewline >= 0 ? offsetInBuffer - _lastCountedNewline - 1 : _discardedBytes + offsetInBuffer - _lineStart;
        return (_discardedLines + _countedLines + 1, column);
    }

    private void Refill(long consumed, JsonReaderState state)
    {
        var used = (int)consumed;
        var discarded = _buffer.AsSpan(0, used);
        var lastNewline = discarded.LastIndexOf((byte)'\n');
        if (lastNewline >= 0)
        {
            _discardedLines += discarded.Count((byte)'\n');
            _lineStart = _discardedBytes + lastNewline + 1;
        }

        _discardedBytes += used;
        var keep = _length - used;
        if (keep == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(checked(_buffer.Length * 2));
            _buffer.AsSpan(used, keep).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        else if (keep > 0)
        {
            _buffer.AsSpan(used, keep).CopyTo(_buffer);
        }

        (_countedTo, _countedLines, _lastCountedNewline) = (0, 0, -1);
        var free = _buffer.AsSpan(keep);
        var read = _stream.ReadAtLeast(free, free.Length, throwOnEndOfStream: false);
        _final = read < free.Length;
        _length = keep + read;
        _reader = new Utf8JsonReader(_buffer.AsSpan(0, _length), _final, state);
    }
}
