using System.Runtime.InteropServices;
using System.Text.Json;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// A position inside one or two Terraform marker trees (<c>before_sensitive</c>/<c>after_sensitive</c>, or
/// <c>after_unknown</c>): <c>true</c> marks the whole value at that position, objects and arrays mark parts of it.
/// Two trees are combined with OR, so a path sensitive on either side is redacted on both sides.
/// </summary>
internal readonly struct SensitivityMask
{
    private readonly JsonElement _first;
    private readonly JsonElement _second;

    // Masks are asked IsSet/IsEmpty at every position visited: the two kinds are read once, here.
    private readonly JsonValueKind _firstKind;
    private readonly JsonValueKind _secondKind;

    public SensitivityMask(JsonElement first, JsonElement second = default)
    {
        _first = first;
        _second = second;
        _firstKind = first.ValueKind;
        _secondKind = second.ValueKind;
    }

    /// <summary>The whole value at this position is marked.</summary>
    public bool IsSet => _firstKind == JsonValueKind.True || _secondKind == JsonValueKind.True;

    /// <summary>
    /// The mask of a resource value: a tree that marks nothing (no <c>true</c> anywhere, as <c>after_unknown</c> often
    /// is) is dropped, and so is a second tree equal to the first (<c>before_sensitive</c> and <c>after_sensitive</c>
    /// usually are), so positions below are not looked up in trees that cannot change the answer.
    /// </summary>
    public static SensitivityMask Of(JsonElement first, JsonElement second = default)
    {
        first = AnyTrue(first) ? first : default;
        second = AnyTrue(second) ? second : default;
        if (first.ValueKind != JsonValueKind.Undefined && second.ValueKind != JsonValueKind.Undefined
            && JsonMarshal.GetRawUtf8Value(first).SequenceEqual(JsonMarshal.GetRawUtf8Value(second)))
        {
            second = default;
        }

        return first.ValueKind == JsonValueKind.Undefined ? new SensitivityMask(second) : new SensitivityMask(first, second);
    }

    /// <summary>Nothing at or below this position is marked.</summary>
    public bool IsEmpty => !HasChildren(_firstKind) && !HasChildren(_secondKind) && !IsSet;

    /// <summary>The mask for a property of the value (matched by name; escaped names are compared unescaped).</summary>
    public SensitivityMask Child(JsonProperty property)
    {
        if (IsSet)
        {
            return this;
        }

        if (IsEmpty)
        {
            return default;
        }

        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        return raw.Contains((byte)'\\')
            ? Child(property.Name)
            : new SensitivityMask(Child(_first, _firstKind, raw), Child(_second, _secondKind, raw));
    }

    public SensitivityMask Child(string key) =>
        IsSet ? this : IsEmpty ? default : new SensitivityMask(Child(_first, _firstKind, key), Child(_second, _secondKind, key));

    /// <summary>True when some position at or below this one is marked (a <c>true</c> somewhere).</summary>
    public bool Any => IsSet || AnyTrue(_first) || AnyTrue(_second);

    /// <summary>The first marker tree at this position (used to find unknown keys absent from a value).</summary>
    public JsonElement First => _first;

    /// <summary>The first marker tree is an object here (it may name unknown keys absent from a value).</summary>
    public bool FirstIsObject => _firstKind == JsonValueKind.Object;

    public Items EnumerateItems() => new(this);

    private static bool HasChildren(JsonValueKind kind) => kind is JsonValueKind.Object or JsonValueKind.Array;

    private static JsonElement Child(JsonElement marker, JsonValueKind kind, ReadOnlySpan<byte> key) =>
        kind == JsonValueKind.Object && marker.TryGetProperty(key, out var child) ? child : default;

    private static JsonElement Child(JsonElement marker, JsonValueKind kind, string key) =>
        kind == JsonValueKind.Object && marker.TryGetProperty(key, out var child) ? child : default;

    private static bool AnyTrue(JsonElement marker)
    {
        switch (marker.ValueKind)
        {
            case JsonValueKind.True:
                return true;
            case JsonValueKind.Object:
                foreach (var property in marker.EnumerateObject())
                {
                    if (AnyTrue(property.Value))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in marker.EnumerateArray())
                {
                    if (AnyTrue(item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>Walks an array marker in step with the array value (indexing a JsonElement array is not O(1)).</summary>
    public struct Items
    {
        private readonly bool _whole;
        private readonly SensitivityMask _parent;
        private JsonElement.ArrayEnumerator _first;
        private JsonElement.ArrayEnumerator _second;
        private bool _firstLive;
        private bool _secondLive;

        public Items(SensitivityMask parent)
        {
            _parent = parent;
            _whole = parent.IsSet;
            _firstLive = parent._firstKind == JsonValueKind.Array;
            _secondLive = parent._secondKind == JsonValueKind.Array;
            _first = _firstLive ? parent._first.EnumerateArray() : default;
            _second = _secondLive ? parent._second.EnumerateArray() : default;
        }

        public SensitivityMask Next()
        {
            if (_whole)
            {
                return _parent;
            }

            var first = default(JsonElement);
            var second = default(JsonElement);
            if (_firstLive && (_firstLive = _first.MoveNext()))
            {
                first = _first.Current;
            }

            if (_secondLive && (_secondLive = _second.MoveNext()))
            {
                second = _second.Current;
            }

            return new SensitivityMask(first, second);
        }
    }
}
