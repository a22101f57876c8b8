using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Facts;

/// <summary>One changed scalar (or null/empty) value of a resource, whatever granularity the reader reported.</summary>
/// <remarks>
/// Detectors ask the same questions of a leaf's values (text, number, boolean, marker); each answer is computed on
/// first use and kept, and the path and name are <see cref="LeafPath"/> / <see cref="SharedName"/> objects shared by
/// every leaf at that path, so per-name checks are made once per name.
/// </remarks>
internal sealed class LeafChange
{
    // What is known of each value so far (see ReadShape), packed so that a leaf stays small: an assessment makes one
    // per changed value of the plan.
    private const uint ShapeRead = 1, TextRead = 2, PlainString = 4, FromDiffBit = 8;
    private string? _beforeText;
    private string? _afterText;
    private uint _beforeShape;
    private uint _afterShape;

    /// <summary>A leaf at <paramref name="path"/>.</summary>
    /// <param name="path">Where the value is.</param>
    /// <param name="before">Value before (redacted), or null.</param>
    /// <param name="after">Value after (redacted), or null.</param>
    /// <param name="fromDiff">True when it came from the engine's property diff rather than from comparing whole states.</param>
    public LeafChange(LeafPath path, JsonNode? before, JsonNode? after, bool fromDiff)
    {
        At = path;
        Before = before;
        After = after;
        _beforeShape = fromDiff ? FromDiffBit : 0;
    }

    /// <summary>The shared path.</summary>
    public LeafPath At { get; }

    /// <summary>Full path in Pulumi syntax (<c>settings[0].tier</c>).</summary>
    public string Path => At.Text;

    /// <summary>Last named segment (<c>tier</c>); array indices are skipped.</summary>
    public string Name => At.Name.Text;

    /// <summary>The shared last named segment.</summary>
    public SharedName NameFacts => At.Name;

    /// <summary>Value before (redacted), or null.</summary>
    public JsonNode? Before { get; }

    /// <summary>Value after (redacted), or null.</summary>
    public JsonNode? After { get; }

    /// <summary>True when it came from the engine's property diff rather than from comparing whole states.</summary>
    public bool FromDiff => (_beforeShape & FromDiffBit) != 0;

    /// <summary><see cref="Values.Text"/> of <see cref="Before"/>.</summary>
    public string? BeforeText => Text(Before, ref _beforeShape, ref _beforeText);

    /// <summary><see cref="Values.Text"/> of <see cref="After"/>.</summary>
    public string? AfterText => Text(After, ref _afterShape, ref _afterText);

    /// <summary><see cref="Values.Number"/> of <see cref="Before"/> (not kept: few leaves are read as numbers).</summary>
    public decimal? BeforeNumber => Values.Number(Before);

    /// <summary><see cref="Values.Number"/> of <see cref="After"/>.</summary>
    public decimal? AfterNumber => Values.Number(After);

    /// <summary><see cref="Values.Bool"/> of <see cref="Before"/> (not kept: few leaves are read as booleans).</summary>
    public bool? BeforeBool => Values.Bool(Before);

    /// <summary><see cref="Values.Bool"/> of <see cref="After"/>.</summary>
    public bool? AfterBool => Values.Bool(After);

    /// <summary>True when <see cref="After"/> is a JSON string (so <see cref="AfterText"/> is its value).</summary>
    public bool AfterIsString => KindOf(Shape(After, ref _afterShape)) == JsonValueKind.String;

    /// <summary>
    /// When <see cref="After"/> is a string read straight from JSON with no escapes (<see cref="TryGetAfterUtf8"/>):
    /// its first UTF-8 byte, 0 when it is empty. Read once and kept, so a detector can rule a value out without
    /// going back to the JSON.
    /// </summary>
    public bool TryGetAfterStart(out byte first)
    {
        var shape = Shape(After, ref _afterShape);
        first = (byte)(shape >> 24);
        return (shape & PlainString) != 0;
    }

    /// <summary>
    /// The UTF-8 bytes of the string <see cref="After"/> when it was read straight from JSON and has no escapes,
    /// so they decode to exactly <see cref="AfterText"/>: lets a detector rule a value out without decoding it.
    /// False for anything else (then read <see cref="AfterText"/>).
    /// </summary>
    public bool TryGetAfterUtf8(out ReadOnlySpan<byte> utf8) => TryGetPlainUtf8(After, out utf8);

    /// <summary><see cref="Redaction.IsMarker"/> of <see cref="Before"/>.</summary>
    public bool BeforeIsMarker => MarkerOf(Shape(Before, ref _beforeShape)) != MarkerKind.None;

    /// <summary><see cref="Redaction.IsMarker"/> of <see cref="After"/>.</summary>
    public bool AfterIsMarker => MarkerOf(Shape(After, ref _afterShape)) != MarkerKind.None;

    /// <summary><see cref="Redaction.IsSecret"/> of <see cref="Before"/>.</summary>
    public bool BeforeIsSecret => MarkerOf(Shape(Before, ref _beforeShape)) == MarkerKind.Secret;

    /// <summary><see cref="Redaction.IsSecret"/> of <see cref="After"/>.</summary>
    public bool AfterIsSecret => MarkerOf(Shape(After, ref _afterShape)) == MarkerKind.Secret;

    /// <summary><see cref="Values.IsOpaque"/> of <see cref="Before"/>.</summary>
    public bool BeforeIsOpaque => Before is null || BeforeIsMarker;

    /// <summary><see cref="Values.IsOpaque"/> of <see cref="After"/>.</summary>
    public bool AfterIsOpaque => After is null || AfterIsMarker;

    /// <summary><see cref="Values.Display(JsonNode?)"/> of <see cref="Before"/>.</summary>
    public string? BeforeDisplay => Values.Display(Before, BeforeText);

    /// <summary><see cref="Values.Display(JsonNode?)"/> of <see cref="After"/>.</summary>
    public string? AfterDisplay => Values.Display(After, AfterText);

    /// <summary>Path segments' names, lower-cased without <c>_</c> and <c>-</c>, for "does the path mention X" checks.</summary>
    public string NormalisedPath => At.Normalised;

    /// <summary>The leaf name lower-cased without <c>_</c> and <c>-</c> (<c>instance_class</c> → <c>instanceclass</c>).</summary>
    public string NormalisedName => At.Name.Normalised;

    /// <summary><see cref="Values.Compare"/> of the two values.</summary>
    public int? CompareValues()
    {
        if (BeforeNumber is { } nb && AfterNumber is { } na)
        {
            return na.CompareTo(nb);
        }

        if (BeforeBool is { } bb && AfterBool is { } ba)
        {
            return ba.CompareTo(bb);
        }

        if (!BeforeIsOpaque && !AfterIsOpaque && BeforeText is { } tb && AfterText is { } ta)
        {
            return SizeRank.Compare(tb, ta);
        }

        return null;
    }

    /// <summary>
    /// The resource's changed leaves. Uses <see cref="ResourceChange.Properties"/> (objects and arrays flattened to
    /// their leaves) when present, else compares <see cref="ResourceChange.Before"/> with
    /// <see cref="ResourceChange.After"/> for creates, updates, replaces and unknown ops. Deletes, forgets and reads
    /// have no leaves: what they lose is the whole resource. Order is deterministic (path, ordinal).
    /// </summary>
    /// <remarks>Not cached: an assessment computes each resource's leaves once (<see cref="ResourceView"/>).</remarks>
    public static LeafChange[] Of(ResourceChange resource)
    {
        var properties = resource.Properties;
        if (properties.Count == 0 && resource.Op is not (ChangeOp.Create or ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown))
        {
            return [];
        }

        var leaves = t_scratch ??= [];
        try
        {
            if (properties.Count > 0)
            {
                for (var i = 0; i < properties.Count; i++)
                {
                    var p = properties[i];
                    Flatten(LeafPath.Parse(p.Path), p.Before, p.After, fromDiff: true, leaves);
                }
            }
            else
            {
                Flatten(LeafPath.Empty, resource.Before, resource.After, fromDiff: false, leaves);
            }

            return SortedDistinctByPath(leaves);
        }
        finally
        {
            leaves.Clear();
        }
    }

    // Scratch space for one resource's leaves while they are collected (Of is not re-entrant).
    [ThreadStatic]
    private static List<LeafChange>? t_scratch;

    // Ordered by path (ordinal); where two leaves share a path the first one found wins. A stable sort by path
    // (sorting on the index as tie-break) followed by keeping each run's first element gives exactly that. Leaves
    // usually come in strictly increasing order already (sorted keys, one diff entry per path): then that is the result.
    private static LeafChange[] SortedDistinctByPath(List<LeafChange> leaves)
    {
        var increasing = true;
        for (var i = 1; i < leaves.Count && increasing; i++)
        {
            increasing = string.CompareOrdinal(leaves[i - 1].Path, leaves[i].Path) < 0;
        }

        if (increasing)
        {
            return leaves.Count == 0 ? [] : [.. leaves];
        }

        var order = new (LeafChange Leaf, int Index)[leaves.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = (leaves[i], i);
        }

        Array.Sort(order, static (x, y) =>
        {
            var c = string.CompareOrdinal(x.Leaf.Path, y.Leaf.Path);
            return c != 0 ? c : x.Index.CompareTo(y.Index);
        });

        var result = new List<LeafChange>(order.Length);
        foreach (var (leaf, _) in order)
        {
            if (result.Count == 0 || !string.Equals(result[^1].Path, leaf.Path, StringComparison.Ordinal))
            {
                result.Add(leaf);
            }
        }

        return [.. result];
    }

    /// <summary>The last named segment of a Pulumi-syntax path: <c>a.b[0]</c> → <c>b</c>, <c>tags["x.y"]</c> → <c>x.y</c>.</summary>
    public static string LastName(string path)
    {
        var p = path;
        while (p.EndsWith(']'))
        {
            var open = p.LastIndexOf('[');
            if (open < 0)
            {
                break;
            }

            var inner = p[(open + 1)..^1];
            if (inner.StartsWith('"') && inner.EndsWith('"') && inner.Length >= 2)
            {
                return inner[1..^1];
            }

            p = p[..open];
        }

        var dot = p.LastIndexOf('.');
        return dot < 0 ? p : p[(dot + 1)..];
    }

    /// <summary>Lower-case, without <c>_</c> and <c>-</c>.</summary>
    public static string Normalise(string s) =>
        s.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    private static void Flatten(LeafPath path, JsonNode? before, JsonNode? after, bool fromDiff, List<LeafChange> into)
    {
        if (before is JsonObject || after is JsonObject)
        {
            var b = before as JsonObject;
            var a = after as JsonObject;
            if ((before is null || b is not null) && (after is null || a is not null))
            {
                var keys = SortedKeys(b, a, out var count);
                try
                {
                    for (var i = 0; i < count; i++)
                    {
                        Flatten(path.Child(keys[i]), b?[keys[i]], a?[keys[i]], fromDiff, into);
                    }
                }
                finally
                {
                    ArrayPool<string>.Shared.Return(keys, clearArray: true);
                }

                return;
            }
        }

        if (before is JsonArray || after is JsonArray)
        {
            var b = before as JsonArray;
            var a = after as JsonArray;
            if ((before is null || b is not null) && (after is null || a is not null))
            {
                var count = Math.Max(b?.Count ?? 0, a?.Count ?? 0);
                for (var i = 0; i < count; i++)
                {
                    Flatten(path.Item(i),
                        b is not null && i < b.Count ? b[i] : null,
                        a is not null && i < a.Count ? a[i] : null,
                        fromDiff,
                        into);
                }

                return;
            }
        }

        if (fromDiff || !JsonNode.DeepEquals(before, after))
        {
            into.Add(new LeafChange(path, before, after, fromDiff));
        }
    }

    // The keys of either object, each once, in ordinal order: the first count entries of a pooled array.
    private static string[] SortedKeys(JsonObject? before, JsonObject? after, out int count)
    {
        var keys = ArrayPool<string>.Shared.Rent(Math.Max(1, (before?.Count ?? 0) + (after?.Count ?? 0)));
        count = 0;
        if (before is not null)
        {
            for (var i = 0; i < before.Count; i++)
            {
                keys[count++] = before.GetAt(i).Key;
            }
        }

        if (after is not null)
        {
            for (var i = 0; i < after.Count; i++)
            {
                var key = after.GetAt(i).Key;
                if (before is null || !before.ContainsKey(key))
                {
                    keys[count++] = key;
                }
            }
        }

        Array.Sort(keys, 0, count, StringComparer.Ordinal);
        return keys;
    }

    private enum MarkerKind : byte
    {
        None,
        Secret,
        Unknown,
    }

    private static bool TryGetPlainUtf8(JsonNode? node, out ReadOnlySpan<byte> utf8)
    {
        if (node is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String)
        {
            return TryGetPlainUtf8(e, out utf8);
        }

        utf8 = default;
        return false;
    }

    // The bytes of a JSON string element without its quotes, when it has no escapes (so they are its value).
    private static bool TryGetPlainUtf8(JsonElement stringElement, out ReadOnlySpan<byte> utf8)
    {
        var raw = JsonMarshal.GetRawUtf8Value(stringElement);
        if (raw.Length >= 2 && raw.IndexOf((byte)'\\') < 0)
        {
            utf8 = raw[1..^1];
            return true;
        }

        utf8 = default;
        return false;
    }

    private static string? Text(JsonNode? node, ref uint shape, ref string? text)
    {
        if ((shape & TextRead) == 0)
        {
            text = Values.Text(node);
            shape |= TextRead;
        }

        return text;
    }

    private static uint Shape(JsonNode? node, ref uint shape)
    {
        if ((shape & ShapeRead) == 0)
        {
            shape |= ReadShape(node);
        }

        return shape;
    }

    private static MarkerKind MarkerOf(uint shape) => (MarkerKind)((shape >> 8) & 0xFF);

    private static JsonValueKind KindOf(uint shape) => (JsonValueKind)((shape >> 16) & 0xFF);

    // A value's shape, read from the node in one go the first time anything is asked: bits 0-7 flags, 8-15 the
    // marker, 16-23 the JSON kind, 24-31 the first byte of a plain string. Redaction.IsSecret / IsUnknown compare a
    // string read from JSON in place: so do we, on the raw bytes.
    private static uint ReadShape(JsonNode? node)
    {
        var marker = MarkerKind.None;
        JsonValueKind kind;
        if (node is JsonValue value && value.TryGetValue<JsonElement>(out var element))
        {
            // Read straight from JSON: the element knows its kind, and a string's bytes can be looked at in place.
            kind = element.ValueKind;
            if (kind == JsonValueKind.String && TryGetPlainUtf8(element, out var utf8))
            {
                marker = utf8.SequenceEqual("[secret]"u8) ? MarkerKind.Secret : utf8.SequenceEqual("[unknown]"u8) ? MarkerKind.Unknown : MarkerKind.None;
                return Pack(ShapeRead | PlainString, marker, kind, utf8.Length > 0 ? utf8[0] : (byte)0);
            }
        }
        else
        {
            kind = node switch
            {
                null => JsonValueKind.Undefined,
                JsonObject => JsonValueKind.Object,
                JsonArray => JsonValueKind.Array,
                _ => node.GetValueKind(),
            };
        }

        if (kind == JsonValueKind.String)
        {
            marker = Redaction.IsSecret(node) ? MarkerKind.Secret : Redaction.IsUnknown(node) ? MarkerKind.Unknown : MarkerKind.None;
        }

        return Pack(ShapeRead, marker, kind, 0);
    }

    private static uint Pack(uint flags, MarkerKind marker, JsonValueKind kind, byte first) =>
        flags | ((uint)marker << 8) | ((uint)(byte)kind << 16) | ((uint)first << 24);
}
