using System.Text.Json;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Small readers over a possibly partial buffer. Each is called with the reader on a property name, reads that
/// property's value and returns false when the buffer ends first (the caller then retries with more data). Values
/// of an unexpected JSON kind are skipped and read as absent: every field is optional across CLI versions.
/// </summary>
internal static class JsonTokens
{
    public static bool TryReadString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString();
            return true;
        }

        return SkipContainer(ref reader);
    }

    /// <summary>A string value read through the pool.</summary>
    public static bool TryReadString(ref Utf8JsonReader reader, StringPool strings, out string? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            value = strings.Get(ref reader);
            return true;
        }

        return SkipContainer(ref reader);
    }

    /// <summary>An array of strings read through the pool (other items are skipped).</summary>
    public static bool TryReadStrings(ref Utf8JsonReader reader, StringPool strings, out List<string>? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return SkipContainer(ref reader);
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
                    items.Add(strings.Get(ref reader));
                    break;
                default:
                    if (!SkipContainer(ref reader))
                    {
                        return false;
                    }

                    break;
            }
        }
    }

    public static bool TryReadBool(ref Utf8JsonReader reader, out bool value)
    {
        value = false;
        if (!reader.Read())
        {
            return false;
        }

        value = reader.TokenType == JsonTokenType.True;
        return SkipContainer(ref reader);
    }

    /// <summary>Reads <c>{name: int}</c>, ignoring entries that are not integers.</summary>
    public static bool TryReadIntMap(ref Utf8JsonReader reader, out Dictionary<string, int>? value)
    {
        value = null;
        var entered = TryEnterObject(ref reader, out var isObject);
        if (!isObject)
        {
            return entered;
        }

        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                value = map;
                return true;
            }

            var name = reader.GetString()!;
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var count))
            {
                map[name] = count;
            }
            else if (!SkipContainer(ref reader))
            {
                return false;
            }
        }
    }

    /// <summary>
    /// On a property name: reads to its value. False when the buffer ends first; otherwise true, with
    /// <paramref name="isObject"/> set when the reader is now on the value's <c>{</c> (any other value is skipped).
    /// </summary>
    public static bool TryEnterObject(ref Utf8JsonReader reader, out bool isObject)
    {
        isObject = false;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return SkipContainer(ref reader);
        }

        isObject = true;
        return true;
    }

    /// <summary>On a property name: reads its value and skips to the value's end.</summary>
    public static bool SkipValue(ref Utf8JsonReader reader) => reader.Read() && SkipContainer(ref reader);

    /// <summary>On a start token, skips to its end; on anything else does nothing.</summary>
    /// <remarks>
    /// Unlike <see cref="Utf8JsonReader.TrySkip"/> this does not copy the reader to restore it when the buffer ends
    /// first: callers never resume a reader that returned false (the driver re-reads the unit from its start), and
    /// the copy, a large struct with references, was a measurable share of reading an event log.
    /// </remarks>
    public static bool SkipContainer(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return true;
        }

        var depth = reader.CurrentDepth;
        do
        {
            if (!reader.Read())
            {
                return false;
            }
        }
        while (reader.CurrentDepth > depth);

        return true;
    }
}
