using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Pulumi property paths as used in <c>detailedDiff</c>: <c>ingress[1].cidrBlocks[0]</c>, <c>environment.ADDED</c>,
/// and <c>tags["key.with.dots"]</c> for keys that need quoting.
/// </summary>
internal static class PropertyPath
{
    private static readonly SearchValues<char> NeedsQuoting = SearchValues.Create(".[]\"\\ ");

    /// <summary>One step of a path: a key or an array index.</summary>
    internal readonly record struct Segment(string? Key, int Index);

    /// <summary>Splits a path; a path that does not parse is treated as one top-level key.</summary>
    public static List<Segment> Parse(string path)
    {
        var segments = new List<Segment>();
        var i = 0;
        while (i < path.Length)
        {
            if (path[i] == '.' && segments.Count > 0)
            {
                i++;
            }

            if (i < path.Length && path[i] == '[')
            {
                if (!TryParseBracket(path, ref i, segments))
                {
                    return [new Segment(path, -1)];
                }

                continue;
            }

            var end = i;
            while (end < path.Length && path[end] is not '.' and not '[')
            {
                end++;
            }

            if (end == i)
            {
                return [new Segment(path, -1)];
            }

            segments.Add(new Segment(path[i..end], -1));
            i = end;
        }

        return segments.Count == 0 ? [new Segment(path, -1)] : segments;
    }

    /// <summary>The top-level key of a path (<c>ingress[1].fromPort</c> gives <c>ingress</c>).</summary>
    public static string TopLevelKey(string path) => Parse(path) is [{ Key: { } key }, ..] ? key : path;

    /// <summary>
    /// The value at <paramref name="path"/> in a parsed document, found without materialising nodes. A redaction
    /// marker met on the way is the answer: a path inside a secret is secret.
    /// </summary>
    public static bool TryLookup(JsonElement root, string path, out JsonElement value) => TryLookup(root, Parse(path), out value);

    /// <summary>The same lookup, for a path already split.</summary>
    public static bool TryLookup(JsonElement root, IReadOnlyList<Segment> path, out JsonElement value)
    {
        value = root;
        foreach (var segment in path)
        {
            if (value.ValueKind == JsonValueKind.String
                && (value.ValueEquals(Redaction.SecretMarker) || value.ValueEquals(Redaction.UnknownMarker)))
            {
                return true;
            }

            if (value.ValueKind == JsonValueKind.Object && segment.Key is { } key && value.TryGetProperty(key, out var child))
            {
                value = child;
            }
            else if (value.ValueKind == JsonValueKind.Array && segment.Key is null && segment.Index < value.GetArrayLength())
            {
                value = value[segment.Index];
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A node over <paramref name="value"/>, of the kind parsing gives (null for JSON null).</summary>
    public static JsonNode? ToNode(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => JsonObject.Create(value),
        JsonValueKind.Array => JsonArray.Create(value),
        JsonValueKind.Null => null,
        _ => JsonValue.Create(value),
    };

    /// <summary>Appends a key to a path, quoting it when it is not a plain name.</summary>
    public static string AppendKey(string parent, string key)
    {
        var plain = key.Length > 0 && !NeedsQuotes(key);
        if (plain)
        {
            return parent.Length == 0 ? key : parent + "." + key;
        }

        var quoted = new StringBuilder(parent, parent.Length + key.Length + 4).Append("[\"");
        foreach (var c in key)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append("\"]").ToString();
    }

    /// <summary>True when a key must be written as <c>["key"]</c>: it holds a dot, bracket, quote, backslash or space.</summary>
    public static bool NeedsQuotes(ReadOnlySpan<char> key) => key.IndexOfAny(NeedsQuoting) >= 0;

    /// <summary>Appends an array index to a path.</summary>
    public static string AppendIndex(string parent, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{parent}[{index}]");

    private static bool TryParseBracket(string path, ref int i, List<Segment> segments)
    {
        i++; // '['
        if (i < path.Length && path[i] == '"')
        {
            var key = new StringBuilder();
            i++;
            while (i < path.Length && path[i] != '"')
            {
                if (path[i] == '\\' && i + 1 < path.Length)
                {
                    i++;
                }

                key.Append(path[i]);
                i++;
            }

            if (i + 1 >= path.Length || path[i + 1] != ']')
            {
                return false;
            }

            segments.Add(new Segment(key.ToString(), -1));
            i += 2;
            return true;
        }

        var close = path.IndexOf(']', i);
        if (close < 0 || !int.TryParse(path.AsSpan(i, close - i), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }

        segments.Add(new Segment(null, index));
        i = close + 1;
        return true;
    }
}
