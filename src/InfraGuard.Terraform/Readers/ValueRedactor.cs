using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Copies the values of resource changes — their <c>before</c> and <c>after</c> objects and the values of their
/// property changes — redacting while it writes: engine-sensitive values and values under secret-looking names
/// (<see cref="Redaction.IsSecretLookingName"/>) become <see cref="Redaction.SecretMarker"/>, values unknown until
/// apply become <see cref="Redaction.UnknownMarker"/> (including keys that <c>after</c> omits but <c>after_unknown</c>
/// names). Everything not redacted, property names included, is copied byte for byte (the plan's JSON text is
/// valid JSON text, so the copy needs no writer of its own). The values of a batch of changes go into one JSON array
/// that is parsed once into a document of its own, so the raw plan (and the raw secret) is never part of any node,
/// the nodes read that document lazily, and the model's values live in a few large arrays (which the collector does
/// not copy) instead of one small document per change.
/// </summary>
/// <remarks>Use: per change <see cref="Begin"/>, then <see cref="AddRoot"/>/<see cref="AddValue"/> (each gives a slot);
/// once <see cref="BatchIsFull"/> or at the end, <see cref="Parse"/>, then <see cref="Node"/>/<see cref="Object"/>
/// per slot, then <see cref="Clear"/> before the next batch.</remarks>
internal sealed class ValueRedactor(SecretNames names, StringPool strings)
{
    /// <summary>The slot of a value that is absent (JSON null, or no value at all).</summary>
    public const int Absent = -1;

    // About a megabyte of values per document: large enough for the large object heap, small enough to reuse one buffer.
    private const int BatchBytes = 1 << 20;

    private static readonly byte[] SecretMarker = Quoted(Redaction.SecretMarker);
    private static readonly byte[] UnknownMarker = Quoted(Redaction.UnknownMarker);

    private readonly GrowableBuffer<byte> _batch = new(0);
    private readonly PropertyPath _path = new(strings);
    private readonly List<string> _sensitivePaths = [];
    private readonly List<JsonElement> _values = [];
    private int _count;
    private bool _collect;

    /// <summary>Paths redacted as secret in the roots added since <see cref="Begin"/>, in the order found.</summary>
    public IReadOnlyList<string> SensitivePaths => _sensitivePaths;

    /// <summary>The batch holds enough values to be parsed.</summary>
    public bool BatchIsFull => _batch.Length >= BatchBytes;

    public bool IsSecretName(JsonProperty property) => names.IsSecret(property);

    /// <summary>Starts the values of a new change: the secret paths of the previous change are forgotten.</summary>
    public void Begin() => _sensitivePaths.Clear();

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

        StartValue();
        _collect = true;
        if (!sensitive.IsSet && !unknown.IsSet)
        {
            Write(value, sensitive, unknown, secretName: false);
        }
        else
        {
            _batch.Write((byte)'{');
            var first = true;
            foreach (var property in value.EnumerateObject())
            {
                WriteName(property, ref first);
                _path.Push(property);
                Write(property.Value, sensitive.Child(property), unknown.Child(property), names.IsSecret(property));
                _path.Pop();
            }

            _batch.Write((byte)'}');
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

        StartValue();
        Write(value, sensitive, unknown, secretName);
        return _count++;
    }

    /// <summary>Parses the values of the batch; from then on <see cref="Node"/> gives them, until <see cref="Clear"/>.</summary>
    public void Parse()
    {
        if (_count == 0)
        {
            return;
        }

        _batch.Write((byte)']');
        foreach (var value in JsonElement.Parse(_batch.Written).EnumerateArray())
        {
            _values.Add(value);
        }
    }

    /// <summary>Forgets the batch: its slots are no longer valid, the nodes made from them stay valid.</summary>
    public void Clear()
    {
        _values.Clear();
        _count = 0;
        _batch.Length = 0;
    }

    /// <summary>A new parentless node over the value in <paramref name="slot"/>, or null for <see cref="Absent"/>.</summary>
    public JsonNode? Node(int slot) => slot == Absent ? null : Wrap(_values[slot]);

    /// <summary>A new parentless object over the root in <paramref name="slot"/>, or null for <see cref="Absent"/>.</summary>
    public JsonObject? Object(int slot) => slot == Absent ? null : JsonObject.Create(_values[slot]);

    /// <summary>The object has a property of the marker's name (compared unescaped, without allocating for plain names).</summary>
    public static bool Has(JsonElement value, JsonProperty marker)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(marker);
        return raw.Contains((byte)'\\') ? value.TryGetProperty(marker.Name, out _) : value.TryGetProperty(raw, out _);
    }

    private static byte[] Quoted(string text) => [(byte)'"', .. JsonEncodedText.Encode(text).EncodedUtf8Bytes, (byte)'"'];

    private static JsonNode? Wrap(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(value),
        JsonValueKind.Array => JsonArray.Create(value),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => JsonValue.Create(value),
    };

    // The batch is one JSON array of every value added. Its buffer is taken whole at the first value of a read, so a
    // batch is not copied as it grows (it grows only for a change whose values alone pass the batch size).
    private void StartValue()
    {
        if (_count == 0)
        {
            _batch.Reserve(BatchBytes + (BatchBytes / 4));
        }

        _batch.Write(_count == 0 ? (byte)'[' : (byte)',');
    }

    private void Write(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        var isNull = value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
        if (!isNull && sensitive.IsSet)
        {
            WriteSecret();
            return;
        }

        if (unknown.IsSet)
        {
            _batch.Write(UnknownMarker);
            return;
        }

        if (!isNull && secretName)
        {
            WriteSecret();
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                _batch.Write((byte)'{');
                var first = true;
                foreach (var property in value.EnumerateObject())
                {
                    WriteName(property, ref first);
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
                    WriteOmittedUnknowns(value, unknown.First, first);
                }

                _batch.Write((byte)'}');
                break;
            case JsonValueKind.Array:
                _batch.Write((byte)'[');
                var sensitiveItems = sensitive.EnumerateItems();
                var unknownItems = unknown.EnumerateItems();
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index > 0)
                    {
                        _batch.Write((byte)',');
                    }

                    if (_collect)
                    {
                        _path.Push(index);
                    }

                    index++;
                    Write(item, sensitiveItems.Next(), unknownItems.Next(), secretName: false);
                    if (_collect)
                    {
                        _path.Pop();
                    }
                }

                _batch.Write((byte)']');
                break;
            default:
                // Strings, numbers, booleans and null, exactly as the plan wrote them.
                _batch.Write(JsonMarshal.GetRawUtf8Value(value));
                break;
        }
    }

    // after omits values unknown until apply; after_unknown still names them.
    private void WriteOmittedUnknowns(JsonElement value, JsonElement unknownObject, bool first)
    {
        foreach (var marker in unknownObject.EnumerateObject())
        {
            if (marker.Value.ValueKind == JsonValueKind.True && !Has(value, marker))
            {
                WriteName(marker, ref first);
                _batch.Write(UnknownMarker);
            }
        }
    }

    private void WriteSecret()
    {
        _batch.Write(SecretMarker);
        if (_collect)
        {
            var path = _path.ToString();
            if (!_sensitivePaths.Contains(path))
            {
                _sensitivePaths.Add(path);
            }
        }
    }

    // The name as the plan wrote it (escapes included), after a comma unless it is the object's first.
    private void WriteName(JsonProperty property, ref bool first)
    {
        if (!first)
        {
            _batch.Write((byte)',');
        }

        first = false;
        _batch.Write((byte)'"');
        _batch.Write(JsonMarshal.GetRawUtf8PropertyName(property));
        _batch.Write("\":"u8);
    }
}
