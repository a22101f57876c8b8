using System.Buffers;
using System.Text.Json;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>What a unit handler reports back to <see cref="JsonStreamDriver"/>.</summary>
internal enum UnitResult
{
    /// <summary>The buffer ended inside the unit; nothing was committed. Retry with more data.</summary>
    NeedMore,

    /// <summary>One unit was read and applied.</summary>
    Done,

    /// <summary>The document is complete; only whitespace may follow.</summary>
    End,
}

/// <summary>Reads one unit (an event, a digest step, a top-level property) and applies it only when complete.</summary>
internal interface IJsonUnitHandler
{
    /// <param name="reader">Reader over the buffered data from the last committed position.</param>
    /// <param name="data">The bytes <paramref name="reader"/> reads, for copying raw values out.</param>
    /// <param name="origin">Absolute byte offset of the reader's first byte in the input.</param>
    UnitResult ReadUnit(ref Utf8JsonReader reader, ReadOnlySpan<byte> data, long origin);
}

/// <summary>
/// A shape problem found by a handler (valid JSON, wrong structure) at a byte offset relative to the reader.
/// The driver turns it into a <see cref="PlanReadException"/> with a line and column.
/// </summary>
internal sealed class JsonShapeException(long readerOffset, string problem, string expected) : Exception(problem)
{
    public long ReaderOffset { get; } = readerOffset;

    public string Problem { get; } = problem;

    public string Expected { get; } = expected;
}

/// <summary>
/// Streams a UTF-8 JSON input through <see cref="Utf8JsonReader"/> over a growing buffer, one unit at a time. A
/// unit cut by the buffer's end is re-read from its start once more data is in: handlers commit nothing until a
/// unit is complete, so memory is bounded by the largest unit, never by the file.
/// </summary>
internal sealed class JsonStreamDriver : IDisposable
{
    /// <summary>Default initial buffer size; it doubles only for a unit larger than the buffer.</summary>
    public const int DefaultBufferSize = 256 * 1024;

    /// <summary>The problem text for an input that stops inside a JSON value.</summary>
    public const string Truncated = "the input ends in the middle of a JSON value: it is truncated";

    private static readonly JsonReaderOptions Options = new() { AllowMultipleValues = true, MaxDepth = 256 };

    private readonly Stream _stream;
    private readonly string _source;
    private readonly string _expected;
    private readonly LineCounter _lines = new();
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _bufferOffset;
    private long _checkedTo;
    private bool _eof;
    private bool _firstFill = true;
    private bool _looksBinary;
    private JsonReaderState _state = new(Options);

    /// <param name="stream">The input.</param>
    /// <param name="source">Its label for error messages.</param>
    /// <param name="expected">What a valid input looks like, used in error messages.</param>
    /// <param name="bufferSize">Initial buffer size (tests use tiny buffers to exercise re-reads).</param>
    public JsonStreamDriver(Stream stream, string source, string expected, int bufferSize = DefaultBufferSize)
    {
        _stream = stream;
        _source = source;
        _expected = expected;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(16, bufferSize));
    }

    /// <summary>True when the input held nothing but whitespace.</summary>
    public bool SawOnlyWhitespace { get; private set; } = true;

    /// <summary>Line (1-based) and column (0-based byte) of an absolute offset at or after the last one asked for.</summary>
    public (long Line, long Column) PositionOf(long absoluteOffset)
    {
        var from = (int)(_lines.CountedOffset - _bufferOffset);
        var to = (int)(absoluteOffset - _bufferOffset);
        if (from >= 0 && to >= from && to <= _end)
        {
            _lines.Advance(_buffer.AsSpan(from, to - from));
        }

        return (_lines.Line, Math.Max(0, absoluteOffset - _lines.LineStartOffset));
    }

    /// <summary>Position just after the last byte read.</summary>
    public (long Line, long Column) PositionOfEnd() => PositionOf(_bufferOffset + _end);

    /// <summary>Runs <paramref name="handler"/> over the whole input.</summary>
    public void Run(IJsonUnitHandler handler)
    {
        Fill();
        while (true)
        {
            var origin = _bufferOffset + _start;
            var data = _buffer.AsSpan(_start, _end - _start);
            var reader = new Utf8JsonReader(data, isFinalBlock: false, _state);
            long committed = 0;
            while (true)
            {
                UnitResult result;
                try
                {
                    result = handler.ReadUnit(ref reader, data, origin);
                }
                catch (JsonException ex)
                {
                    throw Malformed(ex);
                }
                catch (JsonShapeException ex)
                {
                    var (line, column) = PositionOf(origin + ex.ReaderOffset);
                    throw new PlanReadException(_source, line, column, ex.Problem, ex.Expected);
                }

                if (result == UnitResult.NeedMore)
                {
                    break;
                }

                committed = reader.BytesConsumed;
                _state = reader.CurrentState;
                if (result == UnitResult.End)
                {
                    _start += (int)committed;
                    ExpectOnlyWhitespaceToEnd();
                    return;
                }
            }

            _start += (int)committed;
            if (_eof)
            {
                if (IsWhitespace(_buffer.AsSpan(_start, _end - _start)))
                {
                    return;
                }

                var (line, column) = PositionOf(_bufferOffset + _start + LeadingWhitespace(_buffer.AsSpan(_start, _end - _start)));
                throw new PlanReadException(_source, line, column, Truncated, _expected);
            }

            MakeRoom();
            Fill();
        }
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

    private static bool IsWhitespace(ReadOnlySpan<byte> bytes) => LeadingWhitespace(bytes) == bytes.Length;

    private static int LeadingWhitespace(ReadOnlySpan<byte> bytes)
    {
        var i = bytes.IndexOfAnyExcept(" \t\r\n"u8);
        return i < 0 ? bytes.Length : i;
    }

    private void ExpectOnlyWhitespaceToEnd()
    {
        while (true)
        {
            var rest = _buffer.AsSpan(_start, _end - _start);
            var extra = LeadingWhitespace(rest);
            if (extra < rest.Length)
            {
                var (line, column) = PositionOf(_bufferOffset + _start + extra);
                throw new PlanReadException(
                    _source, line, column, "unexpected data after the end of the JSON document", _expected);
            }

            if (_eof)
            {
                return;
            }

            MakeRoom();
            Fill();
        }
    }

    private PlanReadException Malformed(JsonException ex)
    {
        // The reader state carries line numbers across buffers, so these are positions in the whole input.
        var problem = _looksBinary ? "binary data, not JSON text" : "malformed JSON";
        return new PlanReadException(_source, (ex.LineNumber ?? 0) + 1, ex.BytePositionInLine, problem, _expected, ex);
    }

    private void MakeRoom()
    {
        // Count the lines of the bytes about to be dropped so later positions stay right.
        PositionOf(_bufferOffset + _start);
        var remaining = _end - _start;
        if (_start == 0 && remaining == _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(checked(_buffer.Length * 2));
            _buffer.AsSpan(0, remaining).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
            return;
        }

        _buffer.AsSpan(_start, remaining).CopyTo(_buffer);
        _bufferOffset += _start;
        _start = 0;
        _end = remaining;
    }

    private void Fill()
    {
        var free = _buffer.AsSpan(_end);
        var read = _stream.ReadAtLeast(free, free.Length, throwOnEndOfStream: false);
        _eof = read < free.Length;
        var added = _buffer.AsSpan(_end, read);
        if (_firstFill)
        {
            _firstFill = false;
            _looksBinary = LooksBinary(added);
            if (added.StartsWith("\uFEFF"u8))
            {
                _start = 3;
                _lines.Skip(3);
                added = added[3..];
            }
        }

        if (SawOnlyWhitespace && !IsWhitespace(added))
        {
            SawOnlyWhitespace = false;
        }

        _end += read;
        CheckUtf8();
    }

    // The reader does not validate UTF-8 inside strings, and states are kept as raw bytes: every byte is checked once,
    // as it arrives, except the start of a character the buffer's end cuts off, which waits for the next fill.
    private void CheckUtf8()
    {
        var from = (int)(_checkedTo - _bufferOffset);
        var pending = _buffer.AsSpan(from, _end - from);
        var complete = _eof ? pending.Length : Utf8Text.CompleteLength(pending);
        var bad = Utf8Text.FirstInvalid(pending[..complete]);
        if (bad >= 0)
        {
            var (line, column) = PositionOf(_checkedTo + bad);
            throw new PlanReadException(_source, line, column, _looksBinary ? "binary data, not JSON text" : "the input holds " + Utf8Text.Invalid, _expected);
        }

        _checkedTo += complete;
    }

    private static bool LooksBinary(ReadOnlySpan<byte> head)
    {
        head = head[..Math.Min(head.Length, 512)];
        foreach (var b in head)
        {
            if (b < 0x20 && b is not ((byte)'\n' or (byte)'\r' or (byte)'\t'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Counts lines over the bytes it is shown, in order, each byte once.</summary>
    private sealed class LineCounter
    {
        public long CountedOffset { get; private set; }

        public long Line { get; private set; } = 1;

        public long LineStartOffset { get; private set; }

        public void Advance(ReadOnlySpan<byte> bytes)
        {
            var newlines = bytes.Count((byte)'\n');
            if (newlines > 0)
            {
                Line += newlines;
                LineStartOffset = CountedOffset + bytes.LastIndexOf((byte)'\n') + 1;
            }

            CountedOffset += bytes.Length;
        }

        public void Skip(int bytes)
        {
            CountedOffset += bytes;
            LineStartOffset += bytes;
        }
    }
}
