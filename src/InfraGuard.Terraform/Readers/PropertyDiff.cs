using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Deep diff of a resource's raw <c>before</c> and <c>after</c> into <see cref="PropertyChange"/>s. Objects are compared
/// key by key (a merge over Terraform's sorted keys, a lookup table otherwise) and lists element by element, down to
/// <see cref="MaxDepth"/>; below that a changed subtree is one update. Null and absent are the same. Comparison uses the
/// raw values, so a changed secret is reported (as <c>[secret]</c> → <c>[secret]</c>) and an unchanged one is not;
/// the values put into the changes are redacted copies written by <see cref="ValueRedactor"/>. Call <see cref="Diff"/>
/// after <see cref="ValueRedactor.Begin"/>, <see cref="Build"/> once the redactor has parsed the batch, and
/// <see cref="Clear"/> with the redactor's.
/// </summary>
internal sealed class PropertyDiff(ValueRedactor redactor, StringPool strings)
{
    /// <summary>Path depth below which changed subtrees are reported whole.</summary>
    public const int MaxDepth = 8;

    // A key that only after_unknown names gets a marker value of its own, not a copy.
    private const int OmittedUnknown = -2;

    private readonly PropertyPath _path = new(strings);
    private readonly List<Pending> _changes = [];
    private IReadOnlyList<string> _replacePaths = [];

    /// <summary>Finds the changed paths and adds their redacted values to the redactor; gives where they are kept, for <see cref="Build"/>.</summary>
    public Range Diff(JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, IReadOnlyList<string> replacePaths)
    {
        var start = _changes.Count;
        _replacePaths = replacePaths;
        DiffObject(before, after, sensitive, unknown, depth: 1);
        return start.._changes.Count;
    }

    /// <summary>The changes one <see cref="Diff"/> found, once the redactor has parsed their values.</summary>
    public IReadOnlyList<PropertyChange> Build(Range found)
    {
        var pending = CollectionsMarshal.AsSpan(_changes)[found];
        if (pending.IsEmpty)
        {
            return [];
        }

        var built = new PropertyChange[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            var c = pending[i];
            var after = c.After == OmittedUnknown ? JsonValue.Create(Redaction.UnknownMarker) : redactor.Node(c.After);
            built[i] = new PropertyChange(c.Path, c.Kind, redactor.Node(c.Before), after, c.ForcesReplace);
        }

        return built;
    }

    /// <summary>Forgets the changes found in the batch.</summary>
    public void Clear() => _changes.Clear();

    private void DiffValue(JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, bool secretName, int depth)
    {
        var beforePresent = !IsNull(before);
        var afterPresent = !IsNull(after) || unknown.IsSet;
        if (!beforePresent && !afterPresent)
        {
            return;
        }

        if (!beforePresent || !afterPresent || unknown.IsSet)
        {
            var kind = !beforePresent ? PropertyChangeKind.Add : !afterPresent ? PropertyChangeKind.Delete : PropertyChangeKind.Update;
            Emit(kind, before, after, sensitive, unknown, secretName);
        }
        else if (sensitive.IsSet || secretName)
        {
            if (!Equal(before, after))
            {
                Emit(PropertyChangeKind.Update, before, after, sensitive, unknown, secretName);
            }
        }
        else if (depth < MaxDepth && before.ValueKind == JsonValueKind.Object && after.ValueKind == JsonValueKind.Object)
        {
            DiffObject(before, after, sensitive, unknown, depth + 1);
        }
        else if (depth < MaxDepth && before.ValueKind == JsonValueKind.Array && after.ValueKind == JsonValueKind.Array)
        {
            DiffArray(before, after, sensitive, unknown, depth + 1);
        }
        else if (!Equal(before, after) || unknown.Any)
        {
            Emit(PropertyChangeKind.Update, before, after, sensitive, unknown, secretName);
        }
    }

    private void DiffObject(JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, int depth)
    {
        var beforeObject = before.ValueKind == JsonValueKind.Object;
        var afterObject = after.ValueKind == JsonValueKind.Object;
        if (beforeObject && afterObject && !(IsSorted(before) && IsSorted(after)))
        {
            DiffUnsortedObject(before, after, sensitive, unknown, depth);
        }
        else
        {
            var beforeItems = beforeObject ? before.EnumerateObject() : default;
            var afterItems = afterObject ? after.EnumerateObject() : default;
            var hasBefore = beforeObject && beforeItems.MoveNext();
            var hasAfter = afterObject && afterItems.MoveNext();
            while (hasBefore || hasAfter)
            {
                var order = !hasBefore ? 1 : !hasAfter ? -1 : Name(beforeItems.Current).SequenceCompareTo(Name(afterItems.Current));
                if (order == 0)
                {
                    Visit(beforeItems.Current, beforeItems.Current.Value, afterItems.Current.Value, sensitive, unknown, depth);
                    hasBefore = beforeItems.MoveNext();
                    hasAfter = afterItems.MoveNext();
                }
                else if (order < 0)
                {
                    Visit(beforeItems.Current, beforeItems.Current.Value, default, sensitive, unknown, depth);
                    hasBefore = beforeItems.MoveNext();
                }
                else
                {
                    Visit(afterItems.Current, default, afterItems.Current.Value, sensitive, unknown, depth);
                    hasAfter = afterItems.MoveNext();
                }
            }
        }

        AddOmittedUnknowns(before, after, unknown);
    }

    // Hand-written or re-serialised plans may not keep Terraform's sorted key order: match names by scanning
    // (objects are small; comparing raw UTF-8 names allocates nothing).
    private void DiffUnsortedObject(JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, int depth)
    {
        foreach (var property in before.EnumerateObject())
        {
            Visit(property, property.Value, Find(after, Name(property)), sensitive, unknown, depth);
        }

        foreach (var property in after.EnumerateObject())
        {
            if (Find(before, Name(property)).ValueKind == JsonValueKind.Undefined)
            {
                Visit(property, default, property.Value, sensitive, unknown, depth);
            }
        }
    }

    private static JsonElement Find(JsonElement value, ReadOnlySpan<byte> rawName)
    {
        foreach (var property in value.EnumerateObject())
        {
            if (Name(property).SequenceEqual(rawName))
            {
                return property.Value;
            }
        }

        return default;
    }

    private void Visit(JsonProperty property, JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, int depth)
    {
        // Values written alike with nothing unknown at or below them cannot change: the masks and the name need no look.
        var unknownChild = unknown.Child(property);
        if (unknownChild.IsEmpty && before.ValueKind != JsonValueKind.Undefined && after.ValueKind != JsonValueKind.Undefined
            && JsonMarshal.GetRawUtf8Value(before).SequenceEqual(JsonMarshal.GetRawUtf8Value(after)))
        {
            return;
        }

        _path.Push(property);
        DiffValue(before, after, sensitive.Child(property), unknownChild, redactor.IsSecretName(property), depth);
        _path.Pop();
    }

    // Keys that after omits and before never had, named only by after_unknown.
    private void AddOmittedUnknowns(JsonElement before, JsonElement after, SensitivityMask unknown)
    {
        if (!unknown.FirstIsObject)
        {
            return;
        }

        foreach (var marker in unknown.First.EnumerateObject())
        {
            if (marker.Value.ValueKind == JsonValueKind.True
                && !(after.ValueKind == JsonValueKind.Object && ValueRedactor.Has(after, marker))
                && !(before.ValueKind == JsonValueKind.Object && ValueRedactor.Has(before, marker)))
            {
                _path.Push(marker);
                var path = _path.ToString();
                _changes.Add(new Pending(path, PropertyChangeKind.Add, ValueRedactor.Absent, OmittedUnknown, ForcesReplace(path)));
                _path.Pop();
            }
        }
    }

    private void DiffArray(JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, int depth)
    {
        var beforeItems = before.EnumerateArray();
        var afterItems = after.EnumerateArray();
        var sensitiveItems = sensitive.EnumerateItems();
        var unknownItems = unknown.EnumerateItems();
        var hasBefore = beforeItems.MoveNext();
        var hasAfter = afterItems.MoveNext();
        for (var i = 0; hasBefore || hasAfter; i++)
        {
            _path.Push(i);
            DiffValue(hasBefore ? beforeItems.Current : default, hasAfter ? afterItems.Current : default, sensitiveItems.Next(), unknownItems.Next(), secretName: false, depth);
            _path.Pop();
            hasBefore = hasBefore && beforeItems.MoveNext();
            hasAfter = hasAfter && afterItems.MoveNext();
        }
    }

    private void Emit(PropertyChangeKind kind, JsonElement before, JsonElement after, SensitivityMask sensitive, SensitivityMask unknown, bool secretName)
    {
        var path = _path.ToString();
        var beforeSlot = redactor.AddValue(before, sensitive, default, secretName);
        var afterSlot = redactor.AddValue(after, sensitive, unknown, secretName);
        _changes.Add(new Pending(path, kind, beforeSlot, afterSlot, ForcesReplace(path)));
    }

    private bool ForcesReplace(string path)
    {
        for (var i = 0; i < _replacePaths.Count; i++)
        {
            var replacePath = _replacePaths[i];
            if (PropertyPath.IsSameOrBeneath(path, replacePath) || PropertyPath.IsSameOrBeneath(replacePath, path))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Equal(JsonElement before, JsonElement after) =>
        JsonMarshal.GetRawUtf8Value(before).SequenceEqual(JsonMarshal.GetRawUtf8Value(after)) || JsonElement.DeepEquals(before, after);

    private static bool IsSorted(JsonElement value)
    {
        ReadOnlySpan<byte> previous = default;
        var first = true;
        foreach (var property in value.EnumerateObject())
        {
            var name = Name(property);
            if (!first && previous.SequenceCompareTo(name) >= 0)
            {
                return false;
            }

            previous = name;
            first = false;
        }

        return true;
    }

    private static bool IsNull(JsonElement value) => value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    private static ReadOnlySpan<byte> Name(JsonProperty property) => JsonMarshal.GetRawUtf8PropertyName(property);

    /// <summary>A change found, its values given as <see cref="ValueRedactor"/> slots.</summary>
    private readonly record struct Pending(string Path, PropertyChangeKind Kind, int Before, int After, bool ForcesReplace);
}
