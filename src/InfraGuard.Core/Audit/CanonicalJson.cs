using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraGuard.Core.Audit;

/// <summary>
/// "InfraGuard canonical JSON v1": RFC 8785 (JCS) over a restricted value domain. Objects, arrays, strings,
/// <c>true</c>/<c>false</c>/<c>null</c> and integers within ±(2^53−1) only; no floats; keys sorted by UTF-16 code
/// units; strings as raw UTF-8 escaping only <c>"</c>, <c>\</c> and controls (short forms or lowercase <c>\u00xx</c>);
/// duplicate keys and lone surrogates rejected. The output of <see cref="Canonicalize(ReadOnlySpan{byte})"/> is what
/// the audit chain hashes and stores; it is never re-serialised for verification.
/// An auditor reproduces it with Python's <c>json.dumps(obj, separators=(",",":"), sort_keys=True, ensure_ascii=False)</c>.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The largest integer magnitude allowed (2^53−1), the range a double represents exactly.</summary>
    public const long MaxSafeInteger = 9007199254740991;

    /// <summary>The only timestamp format in audit payloads: UTC, milliseconds, <c>Z</c>.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowDuplicateProperties = false,
        MaxDepth = 64,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    /// <summary>Formats an instant in the one audit timestamp format, e.g. <c>2026-11-25T16:10:00.000Z</c>.</summary>
    public static string FormatTimestamp(DateTimeOffset at) =>
        at.ToUniversalTime().ToString(TimestampFormat, CultureInfo.InvariantCulture);

    /// <summary>Parses UTF-8 JSON and returns its canonical bytes.</summary>
    /// <exception cref="CanonicalJsonException">The input is not JSON or falls outside the allowed domain.</exception>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json.ToArray(), ParseOptions);
        }
        catch (JsonException ex)
        {
            throw new CanonicalJsonException($"Not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var builder = new StringBuilder(utf8Json.Length);
            try
            {
                Write(builder, document.RootElement);
            }
            catch (InvalidOperationException ex)
            {
                // System.Text.Json defers UTF-8 validation inside strings and property names until they are read.
                throw new CanonicalJsonException($"A string or property name is not valid UTF-8: {ex.Message}", ex);
            }

            return Encoding.UTF8.GetBytes(builder.ToString());
        }
    }

    /// <summary>Canonical bytes of a JSON tree built in code.</summary>
    /// <exception cref="CanonicalJsonException">The tree holds a float, an over-large integer or a lone surrogate.</exception>
    public static byte[] Serialize(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        RefuseLoneSurrogates(node);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }

        return Canonicalize(buffer.WrittenSpan);
    }

    // The writer would silently replace a lone surrogate with U+FFFD: what is signed must be what was given.
    private static void RefuseLoneSurrogates(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    ReadString(key);
                    RefuseLoneSurrogates(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RefuseLoneSurrogates(item);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                ReadString(text);
                break;
        }
    }

    /// <summary>
    /// Lower-case hex SHA-256 of any JSON tree (an engine's state or plan, never an audit payload) in sorted form: keys
    /// sorted ordinally, no whitespace, array order kept, numbers as written (floats allowed, unlike
    /// <see cref="Serialize"/>). The engines' state and plan fingerprints hash this.
    /// </summary>
    public static string Fingerprint(JsonNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteSorted(writer, root);
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteSorted(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }

    /// <summary>True when <paramref name="utf8Json"/> is already exactly in canonical form.</summary>
    public static bool IsCanonical(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            return Canonicalize(utf8Json).AsSpan().SequenceEqual(utf8Json);
        }
        catch (CanonicalJsonException)
        {
            return false;
        }
    }

    private static void Write(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<(string Name, JsonElement Value)>();
                foreach (var property in element.EnumerateObject())
                {
                    properties.Add((ReadString(property.Name), property.Value));
                }

                properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                builder.Append('{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    WriteString(builder, properties[i].Name);
                    builder.Append(':');
                    Write(builder, properties[i].Value);
                }

                builder.Append('}');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    Write(builder, item);
                }

                builder.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(builder, ReadString(element.GetString()!));
                break;
            case JsonValueKind.Number:
                builder.Append(ReadInteger(element).ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            case JsonValueKind.Null:
                builder.Append("null");
                break;
            default:
                throw new CanonicalJsonException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    private static long ReadInteger(JsonElement element)
    {
        var raw = element.GetRawText();
        var digits = raw.StartsWith('-') ? raw.AsSpan(1) : raw.AsSpan();
        var isIntegerLiteral = digits.Length > 0
            && !digits.ContainsAnyExceptInRange('0', '9')
            && (digits.Length == 1 || digits[0] != '0');
        if (!isIntegerLiteral)
        {
            throw new CanonicalJsonException($"Number {raw} is not an integer literal; canonical JSON v1 allows integers only (no floats or exponents).");
        }

        if (raw == "-0")
        {
            throw new CanonicalJsonException("Number -0 is not allowed; write 0.");
        }

        if (!element.TryGetInt64(out var value) || value > MaxSafeInteger || value < -MaxSafeInteger)
        {
            throw new CanonicalJsonException($"Integer {raw} is outside ±(2^53−1); send it as a string.");
        }

        return value;
    }

    private static string ReadString(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new CanonicalJsonException($"A string holds a lone surrogate U+{(int)c:X4} at index {i}.");
            }
        }

        return value;
    }

    private static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case '\b':
                    builder.Append("\\b");
                    break;
                case '\f':
                    builder.Append("\\f");
                    break;
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                case < ' ':
                    builder.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        builder.Append('"');
    }
}

/// <summary>Input is not JSON or lies outside InfraGuard canonical JSON v1; the message says what and where.</summary>
public sealed class CanonicalJsonException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CanonicalJsonException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public CanonicalJsonException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
