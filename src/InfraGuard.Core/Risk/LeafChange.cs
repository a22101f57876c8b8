using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Risk;

/// <summary>One changed scalar (or null/empty) value of a resource, whatever granularity the reader reported.</summary>
/// <param name="Path">Full path in Pulumi syntax (<c>settings[0].tier</c>).</param>
/// <param name="Name">Last named segment (<c>tier</c>); array indices are skipped.</param>
/// <param name="Before">Value before (redacted), or null.</param>
/// <param name="After">Value after (redacted), or null.</param>
/// <param name="FromDiff">True when it came from the engine's property diff rather than from comparing whole states.</param>
internal sealed record LeafChange(string Path, string Name, JsonNode? Before, JsonNode? After, bool FromDiff)
{
    /// <summary>
    /// The resource's changed leaves. Uses <see cref="ResourceChange.Properties"/> (objects and arrays flattened to
    /// their leaves) when present, else compares <see cref="ResourceChange.Before"/> with
    /// <see cref="ResourceChange.After"/> for creates, updates, replaces and unknown ops. Deletes, forgets and reads
    /// have no leaves: what they lose is the whole resource. Order is deterministic (path, ordinal).
    /// </summary>
    public static IReadOnlyList<LeafChange> Of(ResourceChange resource) => Cache.GetValue(resource, Compute);

    // Every detector asks for the same resource's leaves; computing them once per resource (not once per detector)
    // keeps assessment linear in the number of changes. Weak keys: the cache lives exactly as long as the change set.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ResourceChange, IReadOnlyList<LeafChange>> Cache = new();

    private static IReadOnlyList<LeafChange> Compute(ResourceChange resource)
    {
        var leaves = new List<LeafChange>();
        if (resource.Properties.Count > 0)
        {
            foreach (var p in resource.Properties)
            {
                Flatten(p.Path, p.Before, p.After, fromDiff: true, leaves);
            }
        }
        else if (resource.Op is ChangeOp.Create or ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown)
        {
            Flatten(string.Empty, resource.Before, resource.After, fromDiff: false, leaves);
        }

        return SortedDistinctByPath(leaves);
    }

    // Ordered by path (ordinal); where two leaves share a path the first one found wins. A stable sort by path
    // (sorting on the index as tie-break) followed by keeping each run's first element gives exactly that.
    private static List<LeafChange> SortedDistinctByPath(List<LeafChange> leaves)
    {
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

    /// <summary>Path segments' names, lower-cased without <c>_</c> and <c>-</c>, for "does the path mention X" checks.</summary>
    public string NormalisedPath => _normalisedPath ??= Normalise(Path);

    /// <summary>The leaf name lower-cased without <c>_</c> and <c>-</c> (<c>instance_class</c> → <c>instanceclass</c>).</summary>
    public string NormalisedName => _normalisedName ??= Normalise(Name);

    private string? _normalisedPath;
    private string? _normalisedName;

    /// <summary>Lower-case, without <c>_</c> and <c>-</c>.</summary>
    public static string Normalise(string s) =>
        s.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToUpperInvariant();

    private static void Flatten(string path, JsonNode? before, JsonNode? after, bool fromDiff, List<LeafChange> into)
    {
        if (before is JsonObject || after is JsonObject)
        {
            var b = before as JsonObject;
            var a = after as JsonObject;
            if ((before is null || b is not null) && (after is null || a is not null))
            {
                foreach (var key in SortedKeys(b, a))
                {
                    Flatten(Child(path, key), b?[key], a?[key], fromDiff, into);
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
                    Flatten(path + "[" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "]",
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
            into.Add(new LeafChange(path, LastName(path), before, after, fromDiff));
        }
    }

    // The keys of either object, each once, in ordinal order.
    private static List<string> SortedKeys(JsonObject? before, JsonObject? after)
    {
        var keys = new List<string>((before?.Count ?? 0) + (after?.Count ?? 0));
        if (before is not null)
        {
            foreach (var (key, _) in before)
            {
                keys.Add(key);
            }
        }

        if (after is not null)
        {
            foreach (var (key, _) in after)
            {
                if (before is null || !before.ContainsKey(key))
                {
                    keys.Add(key);
                }
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    private static string Child(string path, string key)
    {
        var simple = key.Length > 0 && IsSimpleKey(key);
        if (!simple)
        {
            return path + "[\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"]";
        }

        return path.Length == 0 ? key : path + "." + key;
    }

    private static bool IsSimpleKey(string key)
    {
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '$' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
