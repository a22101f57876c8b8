using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// Copies the values of one resource change — its <c>before</c> and <c>after</c> objects and the values of its property
/// changes — redacting while it writes: engine-sensitive values and values under secret-looking names
/// (<see cref="Redaction.IsSecretLookingName"/>) become <see cref="Redaction.SecretMarker"/>, values unknown until
/// apply become <see cref="Redaction.UnknownMarker"/> (including keys that <c>after</c> omits but <c>after_unknown</c>
/// names). Everything not redacted is copied byte for byte. All values of a change go into one JSON array that is
/// parsed once into a document of the change's own, so the raw plan (and the raw secret) is never part of any node,
/// and the nodes read that document lazily.
/// </summary>
/// <remarks>Use: <see cref="Begin"/>, then <see cref="AddRoot"/>/<see cref="AddValue"/> (each gives a slot),
/// then <see cref="Finish"/> and <see cref="Node"/>/<see cref="Object"/> per slot.</remarks>
internal sealed class ValueRedactor(SecretNames names, StringPool strings) : IDisposable
{
    /// <summary>The slot of a value that is absent (JSON null, or no value at all).</summary>
    public const int Absent = -1;

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };
    private static readonly byte[] SecretMarker = Encoding.UTF8.GetBytes(Redaction.SecretMarker);
    private static readonly byte[] UnknownMarker = Encoding.UTF8.GetBytes(Redaction.UnknownMarker);

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly PropertyPath _path = new(strings);
    private readonly List<string> _sensitivePaths = [];
    private readonly List<JsonElement> _values = [];
    private Utf8JsonWriter? _writer;
    private int _count;
    private bool _collect;

    /// <summary>Paths redacted as secret in the roots added since <see cref="Begin"/>, in the order found.</summary>
    public IReadOnlyList<string> SensitivePaths => _sensitivePaths;

    public void Dispose() => _writer?.Dispose();

    public bool IsSecretName(JsonProperty property) => names.IsSecret(property);

    /// <summary>Starts the values of a new change; slots and paths of the previous change are forgotten.</summary>
    public void Begin()
    {
        _sensitivePaths.Clear();
        _values.Clear();
        _count = 0;
        _buffer.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_buffer, WriterOptions);
        }
        else
        {
            _writer.Reset(_buffer);
        }

        _writer.WriteStartArray();
    }

    /// <summary>
    /// Adds the redacted top-level object of a resource value (<see cref="Absent"/> when the value is not an object),
    /// collecting the paths it redacts as secret. A whole-value mark (<c>after_sensitive: true</c>) keeps the keys and
    /// redacts every attribute, so the result is still an object.
    /// </summary>
    public int AddRoot(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return Absent;
        }

        _collect = true;
        if (!sensitive.IsSet && !unknown.IsSet)
        {
            Write(value, sensitive, unknown, secretName: false);
        }
        else
        {
            var writer = _writer!;
            writer.WriteStartObject();
            foreach (var property in value.EnumerateObject())
            {
                WriteName(writer, property);
                _path.Push(property);
                Write(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property));
                _path.Pop();
            }

            writer.WriteEndObject();
        }

        _collect = false;
        return _count++;
    }

    /// <summary>
    /// Adds a redacted value. JSON null and absent values are <see cref="Absent"/>, unless unknown (then
    /// <see cref="Redaction.UnknownMarker"/>). <paramref name="secretName"/>: the value sits under a secret-looking name.
    /// </summary>
    public int AddValue(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        if (value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined && !unknown.IsSet)
        {
            return Absent;
        }

        Write(value, sensitive, unknown, secretName);
        return _count++;
    }

    /// <summary>Parses the values added since <see cref="Begin"/>; from then on <see cref="Node"/> gives them.</summary>
    public void Finish()
    {
        var writer = _writer!;
        writer.WriteEndArray();
        writer.Flush();
        if (_count == 0)
        {
            return;
        }

        foreach (var value in JsonElement.Parse(_buffer.WrittenSpan).EnumerateArray())
        {
            _values.Add(value);
        }
    }

    /// <summary>A new parentless node over the value in <paramref name="slot"/>, or null for <see cref="Absent"/>.</summary>
    public JsonNode? Node(int slot) => slot == Absent ? null : Wrap(_values[slot]);

    /// <summary>A new parentless object over the root in <paramref name="slot"/>, or null for <see cref="Absent"/>.</summary>
    public JsonObject? Object(int slot) => slot == Absent ? null : JsonObject.Create(_values[slot]);

    private static JsonNode? Wrap(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(value),
        JsonValueKind.Array => JsonArray.Create(value),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(value),
    };

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
            writer.WriteStringValue(UnknownMarker);
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
                    if (_collect)
                    {
                        _path.Push(property);
                    }

                    Write(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property));
                    if (_collect)
                    {
                        _path.Pop();
                    }
                }

                if (unknown.FirstIsObject)
                {
                    WriteOmittedUnknowns(writer, value, unknown.First);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                var sensitiveItems = sensitive.EnumerateItems();
                var unknownItems = unknown.EnumerateItems();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (_collect)
                    {
                        _path.Push(index++);
                    }

                    Write(item, sensitiveItems.Next(), unknownItems.Next(), secretName: false);
                    if (_collect)
                    {
                        _path.Pop();
                    }
                }

                writer.WriteEndArray();
                break;
            default:
                // Strings, numbers, booleans and null, exactly as the plan wrote them.
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
                break;
        }
    }

    // after omits values unknown until apply; after_unknown still names them.
    private static void WriteOmittedUnknowns(Utf8JsonWriter writer, JsonElement value, JsonElement unknownObject)
    {
        foreach (var marker in unknownObject.EnumerateObject())
        {
            if (marker.Value.ValueKind == JsonValueKind.True && !Has(value, marker))
            {
                WriteName(writer, marker);
                writer.WriteStringValue(UnknownMarker);
            }
        }
    }

    /// <summary>The object has a property of the marker's name (compared unescaped, without allocating for plain names).</summary>
    public static bool Has(JsonElement value, JsonProperty marker)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(marker);
        return raw.Contains((byte)'\\') ? value.TryGetProperty(marker.Name, out _) : value.TryGetProperty(raw, out _);
    }

    private void WriteSecret(Utf8JsonWriter writer)
    {
        writer.WriteStringValue(SecretMarker);
        if (_collect)
        {
            var path = _path.ToString();
            if (!_sensitivePaths.Contains(path))
            {
                _sensitivePaths.Add(path);
            }
        }
    }

    private static void WriteName(Utf8JsonWriter writer, JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
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
