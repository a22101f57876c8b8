using System.Text;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Gives the plan as UTF-8 without a byte order mark. Windows PowerShell's <c>&gt;</c> writes UTF-16 LE with a BOM, so
/// the first bytes decide: a UTF-8 BOM is dropped; UTF-16 LE/BE and UTF-32 LE/BE (with BOM, or UTF-16 recognised by a
/// zero byte beside the first character) are transcoded while streaming.
/// </summary>
internal static class Utf8Input
{
    /// <summary>Returns a UTF-8 stream over <paramref name="raw"/> and the name of the encoding found.</summary>
    public static (Stream Utf8, string Encoding) Open(Stream raw)
    {
        var head = new byte[4];
        var count = raw.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var bytes = head.AsSpan(0, count);

        var (encoding, bomLength, name) = bytes switch
        {
            [0xEF, 0xBB, 0xBF, ..] => (null, 3, "UTF-8 with BOM"),
            [0xFF, 0xFE, 0x00, 0x00] => (new UTF32Encoding(bigEndian: false, byteOrderMark: false), 4, "UTF-32 LE"),
            [0x00, 0x00, 0xFE, 0xFF] => (new UTF32Encoding(bigEndian: true, byteOrderMark: false), 4, "UTF-32 BE"),
            [0xFF, 0xFE, ..] => (new UnicodeEncoding(bigEndian: false, byteOrderMark: false), 2, "UTF-16 LE"),
            [0xFE, 0xFF, ..] => (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), 2, "UTF-16 BE"),
            [not 0x00, 0x00, not 0x00, 0x00] => (new UnicodeEncoding(bigEndian: false, byteOrderMark: false), 0, "UTF-16 LE"),
            [0x00, not 0x00, 0x00, not 0x00] => (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), 0, "UTF-16 BE"),
            _ => ((Encoding?)null, 0, "UTF-8"),
        };

        Stream rest = new PrefixedReadStream(head.AsMemory(bomLength, count - bomLength), raw);
        return encoding is null
            ? (rest, name)
            : (Encoding.CreateTranscodingStream(rest, encoding, Encoding.UTF8, leaveOpen: false), name);
    }
}

/// <summary>A read-only stream that yields a few already-read bytes, then the rest of the inner stream (left open).</summary>
internal sealed class PrefixedReadStream(ReadOnlyMemory<byte> prefix, Stream inner) : Stream
{
    private ReadOnlyMemory<byte> _prefix = prefix;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefix.IsEmpty)
        {
            return inner.Read(buffer);
        }

        var n = Math.Min(_prefix.Length, buffer.Length);
        _prefix.Span[..n].CopyTo(buffer);
        _prefix = _prefix[n..];
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
