using System.Text;
using System.Text.Json;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// A mutable stack of path segments, formatted in Pulumi property-path syntax only when a path is needed
/// (<c>a.b[0].c</c>, <c>tags["kubernetes.io/name"]</c>). Reused while walking values so visiting costs nothing.
/// </summary>
internal sealed class PropertyPath
{
    private readonly List<Segment> _segments = [];

    public int Depth => _segments.Count;

    public void Push(string key) => _segments.Add(new Segment(key, default, -1));

    /// <summary>Pushes a property without allocating its name; the name is read only if the path is formatted.</summary>
    public void Push(JsonProperty property) => _segments.Add(new Segment(null, property, -2));

    public void Push(int index) => _segments.Add(new Segment(null, default, index));

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var segment in _segments)
        {
            Append(text, segment);
        }

        return text.ToString();
    }

    /// <summary>Formats a Terraform path (<c>replace_paths</c> element: an array of string keys and int indexes).</summary>
    public static string Format(IEnumerable<object> steps)
    {
        var text = new StringBuilder();
        foreach (var step in steps)
        {
            Append(text, step is int i ? new Segment(null, default, i) : new Segment((string)step, default, -1));
        }

        return text.ToString();
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="prefix"/> or lies beneath it.</summary>
    public static bool IsSameOrBeneath(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal)
        && (path.Length == prefix.Length || path[prefix.Length] is '.' or '[');

    private static void Append(StringBuilder text, Segment segment)
    {
        if (segment.Index == -2)
        {
            segment = new Segment(segment.Property.Name, default, -1);
        }

        if (segment.Key is null)
        {
            text.Append('[').Append(segment.Index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
        }
        else if (IsSimpleName(segment.Key))
        {
            if (text.Length > 0)
            {
                text.Append('.');
            }

            text.Append(segment.Key);
        }
        else
        {
            text.Append("[\"");
            foreach (var c in segment.Key)
            {
                if (c is '"' or '\\')
                {
                    text.Append('\\');
                }

                text.Append(c);
            }

            text.Append("\"]");
        }
    }

    // A bare segment must not be mistaken for an index or split by the path parser: letters, digits, '_' and '-',
    // not starting with a digit.
    private static bool IsSimpleName(string key)
    {
        if (key.Length == 0 || char.IsAsciiDigit(key[0]))
        {
            return false;
        }

        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '$'))
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct Segment(string? Key, JsonProperty Property, int Index);
}
