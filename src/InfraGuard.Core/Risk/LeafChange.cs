using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Risk;

/// <summary>One changed scalar (or null/empty) value of a resource, whatever granularity the reader reported.</summary>
/// <remarks>
/// Detectors ask the same questions of a leaf's values (text, number, boolean, marker); each answer is computed on
/// first use and kept, and the path and name are <see cref="LeafPath"/> / <see cref="SharedName"/> objects shared by
/// every leaf at that path, so per-name checks are made once per name.
/// </remarks>
internal sealed class LeafChange
{
    private ValueFacts _before;
    private ValueFacts _after;

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
        FromDiff = fromDiff;
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
    public bool FromDiff { get; }

    /// <summary><see cref="Values.Text"/> of <see cref="Before"/>.</summary>
    public string? BeforeText => _before.Text(Before);

    /// <summary><see cref="Values.Text"/> of <see cref="After"/>.</summary>
    public string? AfterText => _after.Text(After);

    /// <summary><see cref="Values.Number"/> of <see cref="Before"/> (not kept: few leaves are read as numbers).</summary>
    public decimal? BeforeNumber => Values.Number(Before);

    /// <summary><see cref="Values.Number"/> of <see cref="After"/>.</summary>
    public decimal? AfterNumber => Values.Number(After);

    /// <summary><see cref="Values.Bool"/> of <see cref="Before"/> (not kept: few leaves are read as booleans).</summary>
    public bool? BeforeBool => Values.Bool(Before);

    /// <summary><see cref="Values.Bool"/> of <see cref="After"/>.</summary>
    public bool? AfterBool => Values.Bool(After);

    /// <summary>True when <see cref="After"/> is a JSON string (so <see cref="AfterText"/> is its value).</summary>
    public bool AfterIsString => After is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    /// <summary>
    /// The UTF-8 bytes of the string <see cref="After"/> when it was read straight from JSON and has no escapes,
    /// so they decode to exactly <see cref="AfterText"/>: lets a detector rule a value out without decoding it.
    /// False for anything else (then read <see cref="AfterText"/>).
    /// </summary>
    public bool TryGetAfterUtf8(out ReadOnlySpan<byte> utf8) => TryGetPlainUtf8(After, out utf8);

    /// <summary><see cref="Redaction.IsMarker"/> of <see cref="Before"/>.</summary>
    public bool BeforeIsMarker => _before.Marker(Before) != MarkerKind.None;

    /// <summary><see cref="Redaction.IsMarker"/> of <see cref="After"/>.</summary>
    public bool AfterIsMarker => _after.Marker(After) != MarkerKind.None;

    /// <summary><see cref="Redaction.IsSecret"/> of <see cref="Before"/>.</summary>
    public bool BeforeIsSecret => _before.Marker(Before) == MarkerKind.Secret;

    /// <summary><see cref="Redaction.IsSecret"/> of <see cref="After"/>.</summary>
    public bool AfterIsSecret => _after.Marker(After) == MarkerKind.Secret;

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
    public static IReadOnlyList<LeafChange> Of(ResourceChange resource)
    {
        if (resource.Properties.Count > 0)
        {
            var properties = resource.Properties;
            var leaves = new List<LeafChange>(properties.Count);
            for (var i = 0; i < properties.Count; i++)
            {
                var p = properties[i];
                Flatten(LeafPath.Parse(p.Path), p.Before, p.After, fromDiff: true, leaves);
            }

            return SortedDistinctByPath(leaves);
        }

        if (resource.Op is ChangeOp.Create or ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown)
        {
            var leaves = new List<LeafChange>();
            Flatten(LeafPath.Empty, resource.Before, resource.After, fromDiff: false, leaves);
            return SortedDistinctByPath(leaves);
        }

        return [];
    }

    // Ordered by path (ordinal); where two leaves share a path the first one found wins. A stable sort by path
    // (sorting on the index as tie-break) followed by keeping each run's first element gives exactly that. Leaves
    // usually come in strictly increasing order already (sorted keys, one diff entry per path): then that is the result.
    private static List<LeafChange> SortedDistinctByPath(List<LeafChange> leaves)
    {
        var increasing = true;
        for (var i = 1; i < leaves.Count && increasing; i++)
        {
            increasing = string.CompareOrdinal(leaves[i - 1].Path, leaves[i].Path) < 0;
        }

        if (increasing)
        {
            return leaves;
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

        return result;
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
        Unread,
        None,
        Secret,
        Unknown,
    }

    private static bool TryGetPlainUtf8(JsonNode? node, out ReadOnlySpan<byte> utf8)
    {
        if (node is JsonValue v && v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String)
        {
            var raw = JsonMarshal.GetRawUtf8Value(e);
            if (raw.Length >= 2 && raw.IndexOf((byte)'\\') < 0)
            {
                utf8 = raw[1..^1];
                return true;
            }
        }

        utf8 = default;
        return false;
    }

    // What is known of one value so far; each fact is read from the node once.
    private struct ValueFacts
    {
        private bool _hasText;
        private MarkerKind _marker;
        private string? _text;

        public string? Text(JsonNode? node)
        {
            if (!_hasText)
            {
                _text = Values.Text(node);
                _hasText = true;
            }

            return _text;
        }

        // Redaction.IsSecret / IsUnknown, comparing the raw bytes of a plain JSON string in place.
        public MarkerKind Marker(JsonNode? node)
        {
            if (_marker == MarkerKind.Unread)
            {
                _marker = node is null ? MarkerKind.None
                    : TryGetPlainUtf8(node, out var utf8)
                        ? utf8.SequenceEqual("[secret]"u8) ? MarkerKind.Secret : utf8.SequenceEqual("[unknown]"u8) ? MarkerKind.Unknown : MarkerKind.None
                    : Redaction.IsSecret(node) ? MarkerKind.Secret
                    : Redaction.IsUnknown(node) ? MarkerKind.Unknown
                    : MarkerKind.None;
            }

            return _marker;
        }
    }
}
