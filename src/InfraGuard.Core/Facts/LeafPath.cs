using System.Collections.Concurrent;
using System.Globalization;

namespace InfraGuard.Core.Facts;

/// <summary>
/// A property path in Pulumi syntax, shared by every leaf at that path (every resource of a plan that changes
/// <c>tags.version</c> shares one), with its last named segment and, as a <see cref="SharedName"/>, the normalised
/// path and the classifications detectors make of it. Children are built and remembered from their parent, so
/// flattening the same shape again allocates no path text.
/// </summary>
internal sealed class LeafPath : SharedName
{
    private const int MaxRemembered = 65536;
    private static readonly ConcurrentDictionary<string, LeafPath> Roots = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<(LeafPath Parent, string? Key, int Index), LeafPath> Children = new();

    private LeafPath(string text, SharedName name)
        : base(text) => Name = name;

    /// <summary>The empty path: the whole state.</summary>
    public static LeafPath Empty { get; } = new(string.Empty, SharedName.Of(string.Empty));

    /// <summary>The last named segment (<see cref="LeafChange.LastName"/>).</summary>
    public SharedName Name { get; }

    /// <summary>The shared path for <paramref name="path"/> as a reader wrote it.</summary>
    public static LeafPath Parse(string path)
    {
        if (Roots.TryGetValue(path, out var known))
        {
            return known;
        }

        var made = new LeafPath(path, SharedName.Of(LeafChange.LastName(path)));
        return Roots.Count < MaxRemembered ? Roots.GetOrAdd(path, made) : made;
    }

    /// <summary>The path of property <paramref name="key"/> of the object at this path.</summary>
    public LeafPath Child(string key)
    {
        if (Children.TryGetValue((this, key, -1), out var known))
        {
            return known;
        }

        LeafPath made;
        if (key.Length > 0 && IsSimpleKey(key))
        {
            made = new LeafPath(Text.Length == 0 ? key : Text + "." + key, SharedName.Of(key));
        }
        else
        {
            var text = Text + "[\"" + key.Replace("\"", "\\\"", StringComparison.Ordinal) + "\"]";
            made = new LeafPath(text, SharedName.Of(LeafChange.LastName(text)));
        }

        return Children.Count < MaxRemembered ? Children.GetOrAdd((this, key, -1), made) : made;
    }

    /// <summary>The path of item <paramref name="index"/> of the array at this path; its last named segment is this path's.</summary>
    public LeafPath Item(int index)
    {
        if (Children.TryGetValue((this, null, index), out var known))
        {
            return known;
        }

        var made = new LeafPath(Text + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", Name);
        return Children.Count < MaxRemembered ? Children.GetOrAdd((this, null, index), made) : made;
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
