using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// Deep diff of two redacted resource values into <see cref="PropertyChange"/>s. Objects are compared key by key and
/// lists element by element down to <see cref="MaxDepth"/>; below that a changed subtree is one update. A value that
/// is null or absent counts as absent. Secret markers are compared by their raw values, so a changed secret is reported
/// (as <c>[secret]</c> → <c>[secret]</c>) and an unchanged one is not.
/// </summary>
internal sealed class PropertyDiff(RedactingValueBuilder values)
{
    /// <summary>Path depth below which changed subtrees are reported whole.</summary>
    public const int MaxDepth = 8;

    private readonly PropertyPath _path = new();
    private readonly List<PropertyChange> _changes = [];
    private IReadOnlyList<string> _replacePaths = [];

    public IReadOnlyList<PropertyChange> Diff(JsonObject? before, JsonObject? after, IReadOnlyList<string> replacePaths)
    {
        _changes.Clear();
        _replacePaths = replacePaths;
        DiffObject(before ?? [], after ?? [], depth: 1);
        return _changes.Count == 0 ? [] : [.. _changes];
    }

    private void DiffNode(JsonNode? before, JsonNode? after, int depth)
    {
        if (before is null && after is null)
        {
            return;
        }

        if (before is null)
        {
            Emit(PropertyChangeKind.Add, null, after);
        }
        else if (after is null)
        {
            Emit(PropertyChangeKind.Delete, before, null);
        }
        else if (values.IsUnknownMarker(after) || values.IsUnknownMarker(before))
        {
            Emit(PropertyChangeKind.Update, before, after);
        }
        else if (before is JsonObject beforeObject && after is JsonObject afterObject && depth < MaxDepth)
        {
            DiffObject(beforeObject, afterObject, depth + 1);
        }
        else if (before is JsonArray beforeArray && after is JsonArray afterArray && depth < MaxDepth)
        {
            DiffArray(beforeArray, afterArray, depth + 1);
        }
        else if (!Same(before, after))
        {
            Emit(PropertyChangeKind.Update, before, after);
        }
    }

    private void DiffObject(JsonObject before, JsonObject after, int depth)
    {
        foreach (var (key, beforeValue) in before)
        {
            after.TryGetPropertyValue(key, out var afterValue);
            _path.Push(key);
            DiffNode(beforeValue, afterValue, depth);
            _path.Pop();
        }

        foreach (var (key, afterValue) in after)
        {
            if (!before.ContainsKey(key))
            {
                _path.Push(key);
                DiffNode(null, afterValue, depth);
                _path.Pop();
            }
        }
    }

    private void DiffArray(JsonArray before, JsonArray after, int depth)
    {
        var count = Math.Max(before.Count, after.Count);
        for (var i = 0; i < count; i++)
        {
            _path.Push(i);
            DiffNode(i < before.Count ? before[i] : null, i < after.Count ? after[i] : null, depth);
            _path.Pop();
        }
    }

    // Marker-aware deep equality: secrets by raw value, unknowns never equal, primitives by value.
    private bool Same(JsonNode? before, JsonNode? after)
    {
        if (before is null || after is null)
        {
            return before is null && after is null;
        }

        var beforeSecret = values.IsSecretMarker(before, out var beforeRaw);
        var afterSecret = values.IsSecretMarker(after, out var afterRaw);
        if (beforeSecret || afterSecret)
        {
            return beforeSecret && afterSecret && JsonElement.DeepEquals(beforeRaw, afterRaw);
        }

        if (values.IsUnknownMarker(before) || values.IsUnknownMarker(after))
        {
            return false;
        }

        switch (before, after)
        {
            case (JsonObject b, JsonObject a):
                if (b.Count != a.Count)
                {
                    return false;
                }

                foreach (var (key, value) in b)
                {
                    if (!a.TryGetPropertyValue(key, out var other) || !Same(value, other))
                    {
                        return false;
                    }
                }

                return true;
            case (JsonArray b, JsonArray a):
                if (b.Count != a.Count)
                {
                    return false;
                }

                for (var i = 0; i < b.Count; i++)
                {
                    if (!Same(b[i], a[i]))
                    {
                        return false;
                    }
                }

                return true;
            case (JsonValue b, JsonValue a):
                return SameValue(b, a);
            default:
                return false;
        }
    }

    private static bool SameValue(JsonValue before, JsonValue after)
    {
        if (before.TryGetValue<string>(out var bs))
        {
            return after.TryGetValue<string>(out var s) && string.Equals(bs, s, StringComparison.Ordinal);
        }

        if (before.TryGetValue<long>(out var bl) && after.TryGetValue<long>(out var al))
        {
            return bl == al;
        }

        if (before.TryGetValue<bool>(out var bb))
        {
            return after.TryGetValue<bool>(out var ab) && bb == ab;
        }

        return JsonNode.DeepEquals(before, after);
    }

    private void Emit(PropertyChangeKind kind, JsonNode? before, JsonNode? after)
    {
        var path = _path.ToString();
        var forcesReplace = false;
        foreach (var replacePath in _replacePaths)
        {
            if (PropertyPath.IsSameOrBeneath(path, replacePath) || PropertyPath.IsSameOrBeneath(replacePath, path))
            {
                forcesReplace = true;
                break;
            }
        }

        _changes.Add(new PropertyChange(path, kind, Copy(before), Copy(after), forcesReplace));
    }

    // A node has one parent: the change gets its own copy. Marker copies are plain marker strings.
    private static JsonNode? Copy(JsonNode? node) => node?.DeepClone();
}
