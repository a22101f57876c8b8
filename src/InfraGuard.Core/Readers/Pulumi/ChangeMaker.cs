using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Pulumi;

/// <summary>Turns a folded <see cref="ChangeDraft"/> into the engine-neutral, redacted <see cref="ResourceChange"/>.</summary>
internal static class ChangeMaker
{
    public static ResourceChange Make(ChangeDraft draft, bool failedByDiagnostic, SecretNames secretNames)
    {
        var step = draft.Best!;
        var sensitive = new SensitivePaths(secretNames);
        var before = new StateView(step.Old, sensitive);
        var after = new StateView(step.New, sensitive);
        var type = FirstNonEmpty(step.Type, Text(step.New, "type"), Text(step.Old, "type"))
            ?? (PulumiUrn.TryParse(draft.Urn, out var typeUrn) ? typeUrn.Type : string.Empty);
        var provider = PulumiUrn.ProviderPackage(step.Provider)
            ?? PulumiUrn.ProviderPackage(Text(step.New, "provider"))
            ?? PulumiUrn.ProviderPackage(Text(step.Old, "provider"))
            ?? PulumiUrn.TypePackage(type);
        var properties = Properties(draft.Op, step, before, after);

        return new ResourceChange
        {
            Address = draft.Urn,
            Name = PulumiUrn.TryParse(draft.Urn, out var urn) ? urn.Name : draft.Urn,
            Type = type,
            Provider = provider,
            Op = draft.Op,
            EngineOp = draft.EngineOp,
            ReplaceOrder = draft.Op == ChangeOp.Replace ? draft.Order : null,
            Before = before.Values,
            After = after.Values,
            Properties = properties,
            ReplaceReasons = ReplaceReasons(draft.Op, step),
            Protected = StateFlags.IsSet(step.Old, "protect") || StateFlags.IsSet(step.New, "protect"),
            RetainOnDelete = StateFlags.IsSet(step.Old, "retainOnDelete") || StateFlags.IsSet(step.New, "retainOnDelete"),
            SensitivePaths = sensitive.Paths,
            Failed = draft.Failed || failedByDiagnostic,
        };
    }

    private static List<PropertyChange> Properties(ChangeOp op, PulumiStep step, StateView before, StateView after)
    {
        var changes = new List<PropertyChange>();
        if (step.DetailedDiff is { Count: > 0 } detailed)
        {
            foreach (var entry in detailed)
            {
                // An added path has no value before and a deleted one none after: no need to look.
                var kind = KindOf(entry.Kind);
                changes.Add(new PropertyChange(
                    entry.Path,
                    kind,
                    kind == PropertyChangeKind.Add ? null : before.ValueAt(entry.Path),
                    kind == PropertyChangeKind.Delete ? null : after.ValueAt(entry.Path),
                    entry.Kind.EndsWith("-replace", StringComparison.Ordinal)));
            }

            return changes;
        }

        // No detailed diff (older CLIs, or the provider gave none): use the changed top-level keys, de-duplicated
        // (`diffs` can repeat a key). With no keys at all, compare the two states' top-level values.
        var keys = new List<string>();
        foreach (var key in (step.Diffs ?? []).Concat(step.Keys ?? []))
        {
            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }

        if (keys.Count == 0 && op is ChangeOp.Update or ChangeOp.Replace)
        {
            keys.AddRange(StateView.DifferingKeys(before.Values, after.Values));
        }

        foreach (var key in keys)
        {
            var path = PropertyPath.AppendKey(string.Empty, key);
            var old = before.ValueAt(path);
            var @new = after.ValueAt(path);
            var kind = old is null && @new is not null ? PropertyChangeKind.Add
                : old is not null && @new is null ? PropertyChangeKind.Delete
                : PropertyChangeKind.Update;
            changes.Add(new PropertyChange(path, kind, old, @new, step.Keys?.Contains(key) == true));
        }

        return changes;
    }

    private static List<string> ReplaceReasons(ChangeOp op, PulumiStep step)
    {
        var reasons = new List<string>();
        foreach (var key in step.Keys ?? [])
        {
            if (!reasons.Contains(key))
            {
                reasons.Add(key);
            }
        }

        // A replace can come with no `keys` and only `*-replace` kinds in the detailed diff.
        if (reasons.Count == 0 && op == ChangeOp.Replace)
        {
            foreach (var entry in step.DetailedDiff ?? [])
            {
                var key = PropertyPath.TopLevelKey(entry.Path);
                if (entry.Kind.EndsWith("-replace", StringComparison.Ordinal) && !reasons.Contains(key))
                {
                    reasons.Add(key);
                }
            }
        }

        return reasons;
    }

    private static PropertyChangeKind KindOf(string kind) => kind switch
    {
        "add" or "add-replace" => PropertyChangeKind.Add,
        "delete" or "delete-replace" => PropertyChangeKind.Delete,
        _ => PropertyChangeKind.Update,
    };

    private static string? Text(JsonObject? state, string key) =>
        state?[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    private static string? FirstNonEmpty(params string?[] values) =>
        values.FirstOrDefault(v => !string.IsNullOrEmpty(v));
}

/// <summary>Boolean flags of a serialized resource state (<c>protect</c>, <c>retainOnDelete</c>).</summary>
internal static class StateFlags
{
    public static bool IsSet(JsonObject? state, string flag) =>
        state?[flag] is JsonValue v && v.TryGetValue<bool>(out var set) && set;
}

/// <summary>
/// The redacted values of one side of a change: the state's inputs, or its outputs when it has no inputs. Paths
/// missing there are looked up in the other map (a diff with <c>inputDiff:false</c> compares against outputs).
/// </summary>
internal sealed class StateView
{
    private readonly JsonObject? _state;
    private readonly SensitivePaths _sensitive;
    private readonly string? _primaryKey;
    private JsonObject? _secondary;
    private bool _secondaryDone;

    public StateView(JsonObject? state, SensitivePaths sensitive)
    {
        _state = state;
        _sensitive = sensitive;
        if (state is null)
        {
            return;
        }

        _primaryKey = state["inputs"] is JsonObject { Count: > 0 } || state["outputs"] is not JsonObject { Count: > 0 }
            ? "inputs"
            : "outputs";
        Values = Sanitized(_primaryKey) ?? [];
    }

    /// <summary>Redacted values, or null when the state is absent (create: before; delete: after).</summary>
    public JsonObject? Values { get; }

    /// <summary>A copy of the value at <paramref name="path"/>, or null when absent.</summary>
    public JsonNode? ValueAt(string path)
    {
        var value = PropertyPath.Lookup(Values, path, out var found);
        if (!found && _state is not null)
        {
            if (!_secondaryDone)
            {
                _secondaryDone = true;
                _secondary = Sanitized(_primaryKey == "inputs" ? "outputs" : "inputs");
            }

            value = PropertyPath.Lookup(_secondary, path, out found);
        }

        return found ? value?.DeepClone() : null;
    }

    /// <summary>Top-level keys whose values differ between two maps.</summary>
    public static IEnumerable<string> DifferingKeys(JsonObject? before, JsonObject? after)
    {
        var keys = (before?.Select(p => p.Key) ?? []).Union(after?.Select(p => p.Key) ?? [], StringComparer.Ordinal);
        return keys.Where(k => !JsonNode.DeepEquals(before?[k], after?[k])).ToList();
    }

    // The state was parsed for this change alone, so its maps are detached and redacted in place, not copied.
    private JsonObject? Sanitized(string key) =>
        _state?[key] is JsonObject map && _state.Remove(key) ? PulumiValues.Sanitize(map, _sensitive) : null;
}
