using System.Text.Json;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// A step's old or new resource state, kept as the bytes it was read from plus the few top-level facts the reader
/// needs (noted in the same pass that copies it, so nothing is read twice). Steps are read for every event, but only
/// the inputs or outputs of the one step that best describes each change are ever redacted and parsed into nodes.
/// </summary>
internal sealed class RawState
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly Range _type;
    private readonly Range _provider;
    private string? _typeText;
    private string? _providerText;

    private RawState(ReadOnlyMemory<byte> utf8, in Facts facts)
    {
        _utf8 = utf8;
        _type = facts.Type;
        _provider = facts.Provider;
        Protect = facts.Protect;
        RetainOnDelete = facts.RetainOnDelete;
        Inputs = facts.Inputs;
        Outputs = facts.Outputs;
    }

    /// <summary>The <c>type</c> string, or null when absent, empty or not a string.</summary>
    public string? Type => _typeText ??= Text(_type);

    /// <summary>The <c>provider</c> reference, or null when absent, empty or not a string.</summary>
    public string? Provider => _providerText ??= Text(_provider);

    /// <summary><c>protect</c> is <c>true</c>.</summary>
    public bool Protect { get; }

    /// <summary><c>retainOnDelete</c> is <c>true</c>.</summary>
    public bool RetainOnDelete { get; }

    /// <summary>Where the <c>inputs</c> object is, if it is an object.</summary>
    public MapSlice Inputs { get; }

    /// <summary>Where the <c>outputs</c> object is, if it is an object.</summary>
    public MapSlice Outputs { get; }

    /// <summary>The bytes of an object member found by this read.</summary>
    public ReadOnlySpan<byte> Bytes(MapSlice map) => _utf8.Span.Slice(map.Start, map.Length);

    /// <summary>On a property name: copies its object value out, or reads null for any other kind.</summary>
    /// <param name="reader">Reader on the property name.</param>
    /// <param name="data">The bytes the reader reads.</param>
    /// <param name="arena">Where the copy goes.</param>
    /// <param name="same">A state read earlier for the same step: returned instead of a copy when the bytes are equal.</param>
    /// <param name="value">The state, when the whole object was in the buffer.</param>
    public static bool TryRead(
        ref Utf8JsonReader reader, ReadOnlySpan<byte> data, ByteArena arena, RawState? same, out RawState? value)
    {
        value = null;
        var entered = JsonTokens.TryEnterObject(ref reader, out var isObject);
        if (!isObject)
        {
            return entered;
        }

        var start = (int)reader.TokenStartIndex;
        var facts = default(Facts);
        var seen = Seen.None;
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var name = NameOf(ref reader);
            if (name == Seen.None)
            {
                if (!JsonTokens.SkipValue(ref reader))
                {
                    return false;
                }

                continue;
            }

            if ((seen & name) != 0)
            {
                throw new JsonShapeException(
                    reader.TokenStartIndex,
                    $"a resource state has the property '{reader.GetString()}' twice",
                    "Pulumi writes each property once; regenerate the file with the Pulumi CLI and try again");
            }

            seen |= name;
            if (!reader.Read())
            {
                return false;
            }

            var ok = name switch
            {
                Seen.Type => ReadString(ref reader, start, out facts.Type),
                Seen.Provider => ReadString(ref reader, start, out facts.Provider),
                Seen.Protect => ReadFlag(ref reader, out facts.Protect),
                Seen.RetainOnDelete => ReadFlag(ref reader, out facts.RetainOnDelete),
                Seen.Inputs => ReadMap(ref reader, start, out facts.Inputs),
                _ => ReadMap(ref reader, start, out facts.Outputs),
            };
            if (!ok)
            {
                return false;
            }
        }

        var bytes = data[start..(int)reader.BytesConsumed];
        value = same is not null && bytes.SequenceEqual(same._utf8.Span) ? same : new RawState(arena.Copy(bytes), facts);
        return true;
    }

    private static Seen NameOf(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("type"u8) ? Seen.Type
        : reader.ValueTextEquals("provider"u8) ? Seen.Provider
        : reader.ValueTextEquals("inputs"u8) ? Seen.Inputs
        : reader.ValueTextEquals("outputs"u8) ? Seen.Outputs
        : reader.ValueTextEquals("protect"u8) ? Seen.Protect
        : reader.ValueTextEquals("retainOnDelete"u8) ? Seen.RetainOnDelete
        : Seen.None;

    /// <summary>On a value: notes where a string token is (quotes included), relative to the state's start.</summary>
    private static bool ReadString(ref Utf8JsonReader reader, int origin, out Range token)
    {
        token = default;
        if (reader.TokenType != JsonTokenType.String)
        {
            return JsonTokens.SkipContainer(ref reader);
        }

        var from = (int)reader.TokenStartIndex - origin;
        token = from..((int)reader.BytesConsumed - origin);
        return true;
    }

    private static bool ReadFlag(ref Utf8JsonReader reader, out bool set)
    {
        set = reader.TokenType == JsonTokenType.True;
        return JsonTokens.SkipContainer(ref reader);
    }

    private static bool ReadMap(ref Utf8JsonReader reader, int origin, out MapSlice map)
    {
        map = default;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return JsonTokens.SkipContainer(ref reader);
        }

        var from = (int)reader.TokenStartIndex;
        var depth = reader.CurrentDepth;
        if (!reader.Read())
        {
            return false;
        }

        var empty = reader.TokenType == JsonTokenType.EndObject;
        while (reader.CurrentDepth > depth)
        {
            if (!reader.Read())
            {
                return false;
            }
        }

        map = new MapSlice(from - origin, (int)reader.BytesConsumed - from, !empty);
        return true;
    }

    private string? Text(Range token)
    {
        if (token.Equals(default(Range)))
        {
            return null;
        }

        var reader = new Utf8JsonReader(_utf8.Span[token]);
        reader.Read();
        var text = reader.GetString();
        return string.IsNullOrEmpty(text) ? null : text;
    }

    [Flags]
    private enum Seen
    {
        None = 0,
        Type = 1,
        Provider = 2,
        Inputs = 4,
        Outputs = 8,
        Protect = 16,
        RetainOnDelete = 32,
    }

    private struct Facts
    {
        public Range Type;
        public Range Provider;
        public bool Protect;
        public bool RetainOnDelete;
        public MapSlice Inputs;
        public MapSlice Outputs;
    }
}

/// <summary>Where an object member of a <see cref="RawState"/> is; <see cref="IsObject"/> is false when it is absent or not an object.</summary>
internal readonly record struct MapSlice(int Start, int Length, bool HasMembers)
{
    public bool IsObject => Length > 0;
}
