using System.Text.Json;

namespace InfraGuard.Core.Readers.Pulumi;

/// <summary>
/// One string per distinct text for one read. The same URN, type token, provider reference and property paths
/// repeat in every event of a resource (and the provider in every resource), so reading them through the pool
/// allocates each text once instead of once per event, and keeps fewer objects alive across events.
/// </summary>
internal sealed class StringPool
{
    private const int MaxStackChars = 512;
    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public StringPool() => _byChars = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The text of the string or property-name token under the reader.</summary>
    public string Get(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > MaxStackChars || reader.HasValueSequence)
        {
            return Get(reader.GetString()!);
        }

        Span<char> chars = stackalloc char[MaxStackChars];
        var text = chars[..reader.CopyString(chars)];
        if (_byChars.TryGetValue(text, out var known))
        {
            return known;
        }

        var created = text.ToString();
        _strings.Add(created);
        return created;
    }

    private string Get(string text) => _strings.TryGetValue(text, out var known) ? known : Add(text);

    private string Add(string text)
    {
        _strings.Add(text);
        return text;
    }

    /// <summary>On a property name: reads its string value through the pool, or null for any other kind.</summary>
    public bool TryRead(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            value = Get(ref reader);
            return true;
        }

        return JsonTokens.SkipContainer(ref reader);
    }

    /// <summary>On a property name: reads an array of strings through the pool (other items are skipped), or null.</summary>
    public bool TryReadArray(ref Utf8JsonReader reader, out List<string>? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return JsonTokens.SkipContainer(ref reader);
        }

        var items = new List<string>();
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.EndArray:
                    value = items;
                    return true;
                case JsonTokenType.String:
                    items.Add(Get(ref reader));
                    break;
                default:
                    if (!JsonTokens.SkipContainer(ref reader))
                    {
                        return false;
                    }

                    break;
            }
        }
    }
}
