using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace InfraGuard.Core.Readers;

/// <summary>
/// One string per distinct text for one read. Plans and event logs repeat the same texts thousands of times (URNs,
/// resource types, providers, action names, property paths): read through the pool, each is allocated once per read
/// instead of once per resource or event. Holds at most <c>maxEntries</c> strings (default <see cref="MaxEntries"/>);
/// past that, and for texts longer than 512 characters (rarely repeated), texts are returned, just not kept.
/// </summary>
public sealed class StringPool
{
    /// <summary>The default limit on kept strings.</summary>
    public const int MaxEntries = 16_384;

    private const int MaxStackChars = 512;

    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byChars;
    private readonly int _maxEntries;

    /// <summary>A pool keeping at most <paramref name="maxEntries"/> strings.</summary>
    public StringPool(int maxEntries = MaxEntries)
    {
        _maxEntries = maxEntries;
        _byChars = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Strings kept so far.</summary>
    public int Count => _strings.Count;

    /// <summary>The string with these characters.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        if (_byChars.TryGetValue(chars, out var known))
        {
            return known;
        }

        var text = chars.ToString();
        if (_strings.Count < _maxEntries)
        {
            _strings.Add(text);
        }

        return text;
    }

    /// <summary>The value of a JSON string (its UTF-8 must be valid: the Terraform reader checks each element first).</summary>
    public string Get(JsonElement value)
    {
        var utf8 = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        if (utf8.Length > MaxStackChars || utf8.Contains((byte)'\\'))
        {
            return value.GetString()!;
        }

        Span<char> chars = stackalloc char[MaxStackChars];
        return Get(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }

    /// <summary>The text of the string or property-name token under the reader.</summary>
    public string Get(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > MaxStackChars || reader.HasValueSequence)
        {
            return reader.GetString()!;
        }

        Span<char> chars = stackalloc char[MaxStackChars];
        return Get(chars[..reader.CopyString(chars)]);
    }
}
