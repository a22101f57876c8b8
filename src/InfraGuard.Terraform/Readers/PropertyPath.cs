using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// A mutable stack of path segments, formatted in Pulumi property-path syntax only when a path is needed
/// (<c>a.b[0].c</c>, <c>tags["kubernetes.io/name"]</c>). Reused while walking values so visiting costs nothing;
/// formatting reuses one buffer and gives pooled strings, since the same paths recur in resource after resource.
/// </summary>
internal sealed class PropertyPath(StringPool strings)
{
    private readonly List<Segment> _segments = [];
    private readonly PathText _text = new();

    public void Push(JsonProperty property) => _segments.Add(new Segment(property, -1));

    public void Push(int index) => _segments.Add(new Segment(default, index));

    public void Pop() => _segments.RemoveAt(_segments.Count - 1);

    public override string ToString()
    {
        _text.Clear();
        foreach (var segment in _segments)
        {
            if (segment.Index >= 0)
            {
                _text.AppendIndex(segment.Index);
            }
            else
            {
                _text.AppendKey(segment.Property);
            }
        }

        return strings.Get(_text.Chars);
    }

    /// <summary>Formats a Terraform path (<c>replace_paths</c> element: an array of string keys and int indexes).</summary>
    public static string Format(IEnumerable<object> steps)
    {
        var text = new PathText();
        foreach (var step in steps)
        {
            if (step is int index)
            {
                text.AppendIndex(index);
            }
            else
            {
                text.AppendKey(((string)step).AsSpan());
            }
        }

        return text.Chars.ToString();
    }

    /// <summary>True when <paramref name="path"/> equals <paramref name="prefix"/> or lies beneath it.</summary>
    public static bool IsSameOrBeneath(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal)
        && (path.Length == prefix.Length || path[prefix.Length] is '.' or '[');

    private readonly record struct Segment(JsonProperty Property, int Index);

    /// <summary>Writes path segments into a growable character buffer.</summary>
    private sealed class PathText
    {
        private readonly GrowableBuffer<char> _chars = new(128);
        private char[] _name = new char[64];

        public ReadOnlySpan<char> Chars => _chars.Written;

        public void Clear() => _chars.Length = 0;

        public void AppendIndex(int index)
        {
            Append('[');
            int written;
            while (!index.TryFormat(_chars.Free, out written, default, CultureInfo.InvariantCulture))
            {
                _chars.Grow(16);
            }

            _chars.Length += written;
            Append(']');
        }

        /// <summary>A property name, read from the raw UTF-8 without allocating unless it has escapes.</summary>
        public void AppendKey(JsonProperty property)
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            if (raw.Contains((byte)'\\'))
            {
                AppendKey(property.Name.AsSpan());
                return;
            }

            if (_name.Length < raw.Length)
            {
                _name = new char[Math.Max(raw.Length, _name.Length * 2)];
            }

            var count = Encoding.UTF8.GetChars(raw, _name);
            AppendKey(_name.AsSpan(0, count));
        }

        public void AppendKey(ReadOnlySpan<char> key)
        {
            if (IsSimpleName(key))
            {
                if (_chars.Length > 0)
                {
                    Append('.');
                }

                Append(key);
                return;
            }

            Append('[');
            Append('"');
            foreach (var c in key)
            {
                if (c is '"' or '\\')
                {
                    Append('\\');
                }

                Append(c);
            }

            Append('"');
            Append(']');
        }

        // A bare segment must not be mistaken for an index or split by the path parser: letters, digits, '_', '-'
        // and '$', not starting with a digit.
        private static bool IsSimpleName(ReadOnlySpan<char> key)
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

        private void Append(char c) => _chars.Write(c);

        private void Append(ReadOnlySpan<char> text) => _chars.Write(text);
    }
}
