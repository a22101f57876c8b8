using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraGuard.Core.Facts;

/// <summary>
/// Finds a tag in a resource state by reading the state's JSON text, as <see cref="ResourceFacts.Tag"/> would find
/// it in the state's nodes. A state read from a plan is a node over the parsed JSON that builds its children on
/// first access: looking a key up that way builds every top-level property of the state (and of each tag object) as
/// nodes, which for a plan with thousands of deletes is most of what an assessment allocates. Writing the state
/// out reuses one buffer and builds nothing.
/// </summary>
internal static class TagText
{
    // Names per object scanned in place; an object with more, or with a name that is escaped or repeated, is left to
    // the nodes (which then behave exactly as they always did, duplicates included).
    private const int MaxNames = 64;
    private const int MaxDepth = 1000;
    private const int MaxKeptBuffer = 1 << 20;
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private enum Outcome
    {
        NotFound,
        Found,
        AskTheNodes,
    }

    /// <summary>
    /// The value of <paramref name="key"/> (case-insensitive) in the first of <paramref name="sources"/> (top-level
    /// keys of <paramref name="state"/>) that has a usable one, else in <c>metadata.labels</c>: see
    /// <see cref="ResourceFacts.Tag"/>. False when the text cannot answer exactly (then ask the nodes).
    /// </summary>
    public static bool TryFind(JsonObject state, string[] sources, string key, out string? value)
    {
        value = null;
        if (state.Options is { PropertyNameCaseInsensitive: true })
        {
            return false;
        }

        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        try
        {
            buffer.ResetWrittenCount();
            var writer = t_writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = MaxDepth });
            writer.Reset(buffer);
            state.WriteTo(writer);
            writer.Flush();
            return TryFind(buffer.WrittenSpan, sources, key, out value);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Nested too deep to write or read here: the nodes will say.
            return false;
        }
        finally
        {
            if (buffer.Capacity > MaxKeptBuffer)
            {
                (t_buffer, t_writer) = (null, null);
            }
        }
    }

    private static bool TryFind(ReadOnlySpan<byte> json, string[] sources, string key, out string? value)
    {
        value = null;

        // Where each source's value and metadata's value start (-1: absent).
        Span<int> at = stackalloc int[sources.Length + 1];
        at.Fill(-1);
        if (!ScanObject(json, 0, sources, at))
        {
            return false;
        }

        for (var i = 0; i < sources.Length; i++)
        {
            if (at[i] >= 0)
            {
                switch (FindIn(json, at[i], key, out value))
                {
                    case Outcome.Found:
                        return true;
                    case Outcome.AskTheNodes:
                        return false;
                }
            }
        }

        if (at[sources.Length] >= 0 && json[at[sources.Length]] == (byte)'{')
        {
            Span<int> labels = [-1];
            if (!ScanObject(json, at[sources.Length], ["labels"], labels))
            {
                return false;
            }

            if (labels[0] >= 0)
            {
                switch (FindIn(json, labels[0], key, out value))
                {
                    case Outcome.Found:
                        return true;
                    case Outcome.AskTheNodes:
                        return false;
                }
            }
        }

        value = null;
        return true;
    }

    // Records where the value of each of names (and, when at has one more slot, of "metadata") starts in the object
    // at start. False when a property name is escaped or repeated, or there are too many to check.
    private static bool ScanObject(ReadOnlySpan<byte> json, int start, string[] names, Span<int> at)
    {
        var reader = new Utf8JsonReader(json[start..], ReaderOptions);
        reader.Read();
        Span<long> seen = stackalloc long[MaxNames];
        var count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped || count == MaxNames || Repeats(json, reader.ValueSpan, seen[..count]))
            {
                return false;
            }

            seen[count++] = ((long)(start + reader.TokenStartIndex + 1) << 32) | (uint)reader.ValueSpan.Length;
            var slot = -1;
            for (var i = 0; i < names.Length && slot < 0; i++)
            {
                slot = reader.ValueTextEquals(names[i]) ? i : -1;
            }

            if (slot < 0 && at.Length > names.Length && reader.ValueTextEquals("metadata"u8))
            {
                slot = names.Length;
            }

            reader.Read();
            if (slot >= 0)
            {
                at[slot] = start + (int)reader.TokenStartIndex;
            }

            reader.Skip();
        }

        return true;
    }

    // True when the current property name equals one already seen in this object.
    private static bool Repeats(ReadOnlySpan<byte> json, ReadOnlySpan<byte> name, ReadOnlySpan<long> seen)
    {
        foreach (var entry in seen)
        {
            var length = (int)(entry & 0xFFFFFFFF);
            if (length == name.Length && json.Slice((int)(entry >> 32), length).SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    // The first property of the object at start whose name equals key ignoring case and whose value is usable:
    // not null, not a marker, not an object or array (Values.IsOpaque, Values.Text).
    private static Outcome FindIn(ReadOnlySpan<byte> json, int start, string key, out string? value)
    {
        value = null;
        if (json[start] != (byte)'{')
        {
            return Outcome.NotFound;
        }

        var reader = new Utf8JsonReader(json[start..], ReaderOptions);
        reader.Read();
        Span<long> seen = stackalloc long[MaxNames];
        var count = 0;
        string? found = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueIsEscaped || count == MaxNames || Repeats(json, reader.ValueSpan, seen[..count]))
            {
                return Outcome.AskTheNodes;
            }

            seen[count++] = ((long)(start + reader.TokenStartIndex + 1) << 32) | (uint)reader.ValueSpan.Length;
            var matches = found is null && NameEquals(reader.ValueSpan, key);
            reader.Read();
            if (matches)
            {
                found = reader.TokenType switch
                {
                    JsonTokenType.String when !reader.ValueTextEquals(Changes.Redaction.SecretMarker) && !reader.ValueTextEquals(Changes.Redaction.UnknownMarker) => reader.GetString(),
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    JsonTokenType.True => "true",
                    JsonTokenType.False => "false",
                    _ => null,
                };
            }

            // Keep reading to the end: a repeated name anywhere in the object means the nodes must decide.
            reader.Skip();
        }

        value = found;
        return found is null ? Outcome.NotFound : Outcome.Found;
    }

    private static bool NameEquals(ReadOnlySpan<byte> name, string key) =>
        Ascii.IsValid(name) && Ascii.IsValid(key)
            ? Ascii.EqualsIgnoreCase(name, key)
            : string.Equals(Encoding.UTF8.GetString(name), key, StringComparison.OrdinalIgnoreCase);
}
