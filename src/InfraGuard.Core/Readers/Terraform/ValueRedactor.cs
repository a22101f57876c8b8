using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// Turns raw <c>before</c>/<c>after</c> values into redacted <see cref="JsonNode"/>s: engine-sensitive values and values
/// under secret-looking names (<see cref="Redaction.IsSecretLookingName"/>) become <see cref="Redaction.SecretMarker"/>,
/// values unknown until apply become <see cref="Redaction.UnknownMarker"/> (including keys that <c>after</c> omits but
/// <c>after_unknown</c> names). A value with nothing to redact is wrapped as is (the node reads the parsed element
/// lazily); otherwise a redacted copy is written and parsed, so the raw secret is never part of any node.
/// </summary>
internal sealed class ValueRedactor(SecretNames names) : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly PropertyPath _path = new();
    private readonly List<string> _sensitivePaths = [];
    private Utf8JsonWriter? _writer;
    private bool _collect;

    /// <summary>Paths redacted as secret by <see cref="Redact"/> calls with path collection on, since <see cref="Reset"/>.</summary>
    public IReadOnlyList<string> SensitivePaths => _sensitivePaths;

    public void Reset() => _sensitivePaths.Clear();

    public void Dispose() => _writer?.Dispose();

    public bool IsSecretName(JsonProperty property) => names.IsSecret(property);

    /// <summary>
    /// The redacted top-level object of a resource value. A whole-value mark (<c>after_sensitive: true</c>) keeps the
    /// keys and redacts every attribute, so the result is still an object.
    /// </summary>
    public JsonObject RedactRoot(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown)
    {
        if (!sensitive.IsSet && !unknown.IsSet)
        {
            return (JsonObject)Redact(value, sensitive, unknown, collectPaths: true)!;
        }

        _collect = true;
        var writer = StartWriting();
        writer.WriteStartObject();
        foreach (var property in value.EnumerateObject())
        {
            WriteName(writer, property);
            _path.Push(property);
            Write(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property));
            _path.Pop();
        }

        writer.WriteEndObject();
        writer.Flush();
        return JsonNode.Parse(_buffer.WrittenSpan)!.AsObject();
    }

    /// <summary>The redacted node for a value (null for JSON null or absent). <paramref name="secretName"/>: the value sits under a secret-looking name.</summary>
    public JsonNode? Redact(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName = false, bool collectPaths = false)
    {
        var isNull = value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
        if (isNull && !unknown.IsSet && !(value.ValueKind == JsonValueKind.Undefined && unknown.First.ValueKind == JsonValueKind.Object))
        {
            return null;
        }

        if (!NeedsRedaction(value, sensitive, unknown, secretName))
        {
            return Wrap(value);
        }

        _collect = collectPaths;
        var writer = StartWriting();
        Write(value, sensitive, unknown, secretName);
        writer.Flush();
        return JsonNode.Parse(_buffer.WrittenSpan);
    }

    private Utf8JsonWriter StartWriting()
    {
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer, WriterOptions);
        }
        else
        {
            _writer.Reset(_buffer);
        }

        return _writer;
    }

    /// <summary>A node over the element itself, without copying (the element's document stays alive with it).</summary>
    public static JsonNode? Wrap(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(value),
        JsonValueKind.Array => JsonArray.Create(value),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(value),
    };

    private bool NeedsRedaction(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        var isNull = value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
        if (unknown.IsSet || (!isNull && (sensitive.IsSet || secretName)))
        {
            return true;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (unknown.First.ValueKind == JsonValueKind.Object && HasUnknownKey(unknown.First))
                {
                    return true;
                }

                foreach (var property in value.EnumerateObject())
                {
                    if (NeedsRedaction(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property)))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                var sensitiveItems = sensitive.EnumerateItems();
                var unknownItems = unknown.EnumerateItems();
                foreach (var item in value.EnumerateArray())
                {
                    if (NeedsRedaction(item, sensitiveItems.Next(), unknownItems.Next(), secretName: false))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static bool HasUnknownKey(JsonElement unknownObject)
    {
        foreach (var property in unknownObject.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.True)
            {
                return true;
            }
        }

        return false;
    }

    private void Write(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        var writer = _writer!;
        var isNull = value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
        if (!isNull && sensitive.IsSet)
        {
            WriteSecret(writer);
            return;
        }

        if (unknown.IsSet)
        {
            writer.WriteStringValue(Redaction.UnknownMarker);
            return;
        }

        if (!isNull && secretName)
        {
            WriteSecret(writer);
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    WriteName(writer, property);
                    _path.Push(property);
                    Write(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property));
                    _path.Pop();
                }

                WriteOmittedUnknowns(writer, value, unknown.First);
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var sensitiveItems = sensitive.EnumerateItems();
                var unknownItems = unknown.EnumerateItems();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    _path.Push(index++);
                    Write(item, sensitiveItems.Next(), unknownItems.Next(), secretName: false);
                    _path.Pop();
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Undefined:
                // A whole value that after omits because it is unknown: an object of its unknown keys.
                writer.WriteStartObject();
                WriteOmittedUnknowns(writer, value, unknown.First);
                writer.WriteEndObject();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    // after omits values unknown until apply; after_unknown still names them.
    private static void WriteOmittedUnknowns(Utf8JsonWriter writer, JsonElement value, JsonElement unknownObject)
    {
        if (unknownObject.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var marker in unknownObject.EnumerateObject())
        {
            if (marker.Value.ValueKind == JsonValueKind.True
                && !(value.ValueKind == JsonValueKind.Object && value.TryGetProperty(marker.Name, out _)))
            {
                WriteName(writer, marker);
                writer.WriteStringValue(Redaction.UnknownMarker);
            }
        }
    }

    private void WriteSecret(Utf8JsonWriter writer)
    {
        writer.WriteStringValue(Redaction.SecretMarker);
        if (_collect)
        {
            var path = _path.ToString();
            if (!_sensitivePaths.Contains(path))
            {
                _sensitivePaths.Add(path);
            }
        }
    }

    private static ReadOnlySpan<byte> Name(JsonProperty property) => JsonMarshal.GetRawUtf8PropertyName(property);

    private static void WriteName(Utf8JsonWriter writer, JsonProperty property)
    {
        var raw = Name(property);
        if (raw.Contains((byte)'\\'))
        {
            writer.WritePropertyName(property.Name);
        }
        else
        {
            writer.WritePropertyName(raw);
        }
    }
}
