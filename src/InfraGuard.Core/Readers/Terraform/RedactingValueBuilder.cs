using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// Turns a raw <c>before</c>/<c>after</c> value into a redacted <see cref="JsonNode"/> tree in one pass:
/// engine-sensitive values become <see cref="Redaction.SecretMarker"/>, values unknown until apply become
/// <see cref="Redaction.UnknownMarker"/>, and values under secret-looking names (<see cref="Redaction.IsSecretLookingName"/>)
/// become <see cref="Redaction.SecretMarker"/>. Each secret marker remembers its raw value (only until the resource is
/// done) so the diff can still tell whether a secret changed without ever copying it into the model.
/// </summary>
internal sealed class RedactingValueBuilder
{
    private readonly Dictionary<string, bool> _secretNames = new(StringComparer.Ordinal);
    private readonly Dictionary<JsonNode, JsonElement> _secrets = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<JsonNode> _unknowns = new(ReferenceEqualityComparer.Instance);
    private readonly List<string> _sensitivePaths = [];
    private readonly PropertyPath _path = new();

    /// <summary>Paths redacted as secret since the last <see cref="Reset"/>, each once, in discovery order.</summary>
    public IReadOnlyList<string> SensitivePaths => _sensitivePaths;

    /// <summary>Forgets the markers of the previous resource (their raw values belong to a disposed document).</summary>
    public void Reset()
    {
        _secrets.Clear();
        _unknowns.Clear();
        _sensitivePaths.Clear();
    }

    /// <summary>Builds the top-level object of a resource value; null when the value is not an object.</summary>
    public JsonObject? BuildRoot(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown) =>
        value.ValueKind == JsonValueKind.Object || (unknown.IsSet && value.ValueKind != JsonValueKind.Undefined)
            ? BuildObject(value, sensitive, unknown)
            : null;

    public bool IsSecretMarker(JsonNode? node, out JsonElement raw)
    {
        if (node is null)
        {
            raw = default;
            return false;
        }

        return _secrets.TryGetValue(node, out raw);
    }

    public bool IsUnknownMarker(JsonNode? node) => node is not null && _unknowns.Contains(node);

    public bool IsSecretName(string key)
    {
        if (!_secretNames.TryGetValue(key, out var secret))
        {
            secret = Redaction.IsSecretLookingName(key);
            _secretNames[key] = secret;
        }

        return secret;
    }

    private JsonNode? Build(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        var isNull = value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
        if (sensitive.IsSet && !isNull)
        {
            return Secret(value);
        }

        if (unknown.IsSet)
        {
            var marker = JsonValue.Create(Redaction.UnknownMarker);
            _unknowns.Add(marker);
            return marker;
        }

        if (secretName && !isNull)
        {
            return Secret(value);
        }

        return value.ValueKind switch
        {
            JsonValueKind.Object => BuildObject(value, sensitive, unknown),
            JsonValueKind.Array => BuildArray(value, sensitive, unknown),
            JsonValueKind.String => JsonValue.Create(value.GetString()),
            JsonValueKind.Number => Number(value),
            JsonValueKind.True => JsonValue.Create(true),
            JsonValueKind.False => JsonValue.Create(false),
            _ => null,
        };
    }

    private JsonObject BuildObject(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown)
    {
        var result = new JsonObject();
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                var key = property.Name;
                _path.Push(key);
                result[key] = Build(property.Value, sensitive.Child(key), unknown.Child(key), IsSecretName(key));
                _path.Pop();
            }
        }

        // after omits values unknown until apply; after_unknown still names them.
        if (!unknown.IsEmpty)
        {
            foreach (var key in unknown.MarkedKeys())
            {
                if (!result.ContainsKey(key))
                {
                    var marker = JsonValue.Create(Redaction.UnknownMarker);
                    _unknowns.Add(marker);
                    result[key] = marker;
                }
            }
        }

        return result;
    }

    private JsonArray BuildArray(JsonElement value, SensitivityMask sensitive, SensitivityMask unknown)
    {
        var result = new JsonArray();
        var sensitiveItems = sensitive.EnumerateItems();
        var unknownItems = unknown.EnumerateItems();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            _path.Push(index++);
            result.Add(Build(item, sensitiveItems.Next(), unknownItems.Next(), secretName: false));
            _path.Pop();
        }

        return result;
    }

    private JsonValue Secret(JsonElement raw)
    {
        var marker = JsonValue.Create(Redaction.SecretMarker);
        _secrets[marker] = raw;
        var path = _path.ToString();
        if (!_sensitivePaths.Contains(path))
        {
            _sensitivePaths.Add(path);
        }

        return marker;
    }

    // Numbers keep their exact value: long, then decimal, then the raw JSON number.
    private static JsonValue Number(JsonElement value)
    {
        if (value.TryGetInt64(out var whole))
        {
            return JsonValue.Create(whole);
        }

        if (value.TryGetDecimal(out var exact))
        {
            return JsonValue.Create(exact);
        }

        return JsonValue.Create(value.Clone())!;
    }
}
