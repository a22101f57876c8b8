using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace InfraGuard.Core.Readers;

/// <summary>
/// The readers' UTF-8 check. <see cref="System.Text.Json.Utf8JsonReader"/> does not validate the bytes inside strings
/// (it only fails later, if a string is ever decoded), and both readers keep values as raw bytes to decode lazily, so
/// invalid UTF-8 would otherwise reach the model, or an error far from its cause. The fast path is one vectorised
/// <see cref="Utf8.IsValid"/> pass; the exact offset is looked for only once something is wrong.
/// </summary>
public static class Utf8Text
{
    /// <summary>What the readers say about such input, after "holds".</summary>
    public const string Invalid = "text that is not valid UTF-8";

    /// <summary>Offset of the first byte that is not part of a valid UTF-8 sequence, or -1 when all are valid. A sequence cut short by the end is invalid.</summary>
    public static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return -1;
        }

        for (var i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var length) != OperationStatus.Done)
            {
                return i;
            }

            i += length;
        }

        return -1;
    }

    /// <summary>
    /// The length of <paramref name="bytes"/> without a multi-byte sequence that its end cuts off (0 to 3 bytes
    /// shorter): the part a stream reader can check before the next bytes arrive.
    /// </summary>
    public static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte: look further back for the sequence's first byte
            }

            var length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return length > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }
}
