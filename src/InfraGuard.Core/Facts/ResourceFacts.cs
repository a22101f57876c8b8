using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Facts;

/// <summary>Facts about a resource that rules match on: provider name and tags.</summary>
internal static class ResourceFacts
{
    private static readonly string[] TagKeys = ["tags", "tagsAll", "tags_all", "labels", "userLabels", "user_labels"];

    /// <summary>
    /// Names the provider goes by: the type's package (<c>aws</c> from <c>aws:rds/instance:Instance</c>, <c>aws</c> from
    /// <c>aws_db_instance</c>), the provider address as given, and its last segment.
    /// </summary>
    public static IEnumerable<string> ProviderNames(ResourceChange r)
    {
        var colon = r.Type.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            yield return r.Type[..colon];
        }
        else
        {
            var underscore = r.Type.IndexOf('_', StringComparison.Ordinal);
            yield return underscore > 0 ? r.Type[..underscore] : r.Type;
        }

        if (r.Provider is { Length: > 0 } p)
        {
            yield return p;
            var slash = p.LastIndexOf('/');
            if (slash >= 0 && slash < p.Length - 1)
            {
                yield return p[(slash + 1)..];
            }
        }
    }

    /// <summary>
    /// The value of tag <paramref name="key"/> (case-insensitive) in <see cref="Tags"/>, or null; reads only as far
    /// as the first usable value, in the same order <see cref="Tags"/> does.
    /// </summary>
    public static string? Tag(ResourceChange r, string key)
    {
        var state = r.After ?? r.Before;
        if (state is null)
        {
            return null;
        }

        return TagText.TryFind(state, TagKeys, key, out var fromText) ? fromText : TagFromNodes(state, key);
    }

    /// <summary><see cref="Tag"/> read from the state's nodes (building them where they are not built yet).</summary>
    internal static string? TagFromNodes(JsonObject state, string key)
    {
        foreach (var name in TagKeys)
        {
            if (Find(state[name], key) is { } text)
            {
                return text;
            }
        }

        return Find(state["metadata"] is JsonObject metadata ? metadata["labels"] : null, key);
    }

    // The first non-opaque text value under a key equal to key (case-insensitive) in source, when it is an object.
    private static string? Find(JsonNode? source, string key)
    {
        if (source is not JsonObject obj)
        {
            return null;
        }

        for (var i = 0; i < obj.Count; i++)
        {
            var (k, value) = obj.GetAt(i);
            if (string.Equals(k, key, StringComparison.OrdinalIgnoreCase) && !Values.IsOpaque(value) && Values.Text(value) is { } text)
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>
    /// The resource's tags or labels (after state, else before): <c>tags</c>, <c>tagsAll</c>/<c>tags_all</c>,
    /// <c>labels</c>, <c>metadata.labels</c>. Values that are unknown or secret are left out.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Tags(ResourceChange r)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var state = r.After ?? r.Before;
        if (state is null)
        {
            return result;
        }

        // Terraform's kubernetes_* resources hold metadata as a list of blocks: only an object has labels here.
        var sources = TagKeys.Select(k => state[k]).Append(state["metadata"] is JsonObject metadata ? metadata["labels"] : null);
        foreach (var source in sources)
        {
            if (source is not JsonObject obj)
            {
                continue;
            }

            foreach (var (key, value) in obj)
            {
                if (!result.ContainsKey(key) && !Values.IsOpaque(value) && Values.Text(value) is { } text)
                {
                    result[key] = text;
                }
            }
        }

        return result;
    }
}
