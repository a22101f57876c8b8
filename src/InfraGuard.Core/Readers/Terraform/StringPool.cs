using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// One string per distinct text, for texts a plan repeats thousands of times (resource types, providers, action names,
/// property paths): each is allocated once per read, not once per resource. Holds at most <see cref="MaxEntries"/>
/// strings; past that, texts are still returned, just not kept.
/// </summary>
internal sealed class StringPool
{
    public const int MaxEntries = 16_384;

    private const int MaxStackChars = 256;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public StringPool() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _strings.Count;

    /// <summary>The string with these characters.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        if (_lookup.TryGetValue(chars, out var known))
        {
            return known;
        }

        var text = chars.ToString();
        if (_strings.Count < MaxEntries)
        {
            _strings.Add(text, text);
        }

        return text;
    }

    /// <summary>The value of a JSON string (its UTF-8 must be valid: the reader checks each element first).</summary>
    public string Get(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var utf8 = raw[1..^1];
        if (utf8.Length > MaxStackChars || utf8.Contains((byte)'\\'))
        {
            return value.GetString()!;
        }

        Span<char> chars = stackalloc char[MaxStackChars];
        var count = Encoding.UTF8.GetChars(utf8, chars);
        return Get(chars[..count]);
    }
}
