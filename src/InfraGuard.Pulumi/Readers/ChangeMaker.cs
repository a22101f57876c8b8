using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Turns folded <see cref="ChangeDraft"/>s into engine-neutral, redacted <see cref="ResourceChange"/>s, in two
/// phases: <see cref="Prepare"/> redacts every draft's maps into one batch, which is parsed once, then
/// <see cref="Make"/> builds each change. One instance per read: it caches what repeats across resources.
/// </summary>
internal sealed class ChangeMaker(RedactedMaps maps)
{
    private readonly Dictionary<string, List<PropertyPath.Segment>> _paths = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> _providerPackages = new(StringComparer.Ordinal);

    /// <summary>The bytes of the maps <see cref="Prepare"/> will redact for <paramref name="draft"/>.</summary>
    public static long MapBytes(ChangeDraft draft) => StateView.PrimaryBytes(draft.Best!.Old) + StateView.PrimaryBytes(draft.Best.New);

    /// <summary>First phase: redacts the draft's maps into the batch.</summary>
    public PreparedChange Prepare(ChangeDraft draft)
    {
        var step = draft.Best!;
        var sensitive = new SensitivePaths();
        return new PreparedChange(draft, sensitive, new StateView(step.Old, sensitive, maps), new StateView(step.New, sensitive, maps));
    }

    /// <summary>Second phase, after <see cref="RedactedMaps.Parse"/>: builds the change.</summary>
    public ResourceChange Make(PreparedChange prepared, bool failedByDiagnostic)
    {
        var (draft, sensitive, before, after) = prepared;
        var step = draft.Best!;
        var type = NonEmpty(step.Type) ?? step.New?.Type ?? step.Old?.Type
            ?? (PulumiUrn.TryParse(draft.Urn, out var typeUrn) ? typeUrn.Type : string.Empty);
        var provider = ProviderPackage(step.Provider)
            ?? ProviderPackage(step.New?.Provider)
            ?? ProviderPackage(step.Old?.Provider)
            ?? PulumiUrn.TypePackage(type);
        var properties = Properties(draft.Op, step, before, after);

        return new ResourceChange
        {
            Address = draft.Urn,
            Name = PulumiUrn.NameOf(draft.Urn) ?? draft.Urn,
            Type = type,
            Provider = provider,
            Op = draft.Op,
            EngineOp = draft.EngineOp,
            ReplaceOrder = draft.Op == ChangeOp.Replace ? draft.Order : null,
            Before = before.Values,
            After = after.Values,
            Properties = properties,
            ReplaceReasons = ReplaceReasons(draft.Op, step),
            Protected = step.Old?.Protect == true || step.New?.Protect == true,
            RetainOnDelete = step.Old?.RetainOnDelete == true || step.New?.RetainOnDelete == true,
            SensitivePaths = sensitive.Paths,
            Failed = draft.Failed || failedByDiagnostic,
        };
    }

    private string? ProviderPackage(string? reference)
    {
        if (reference is null)
        {
            return null;
        }

        if (!_providerPackages.TryGetValue(reference, out var package))
        {
            package = PulumiUrn.ProviderPackage(reference);
            _providerPackages[reference] = package;
        }

        return package;
    }

    private List<PropertyPath.Segment> Segments(string path)
    {
        if (!_paths.TryGetValue(path, out var segments))
        {
            segments = PropertyPath.Parse(path);
            _paths[path] = segments;
        }

        return segments;
    }

    private List<PropertyChange> Properties(ChangeOp op, PulumiStep step, StateView before, StateView after)
    {
        var changes = new List<PropertyChange>();
        if (step.DetailedDiff is { Count: > 0 } detailed)
        {
            foreach (var entry in detailed)
            {
                // An added path has no value before and a deleted one none after: no need to look.
                var kind = KindOf(entry.Kind);
                var segments = Segments(entry.Path);
                changes.Add(new PropertyChange(
                    entry.Path,
                    kind,
                    kind == PropertyChangeKind.Add ? null : before.ValueAt(segments),
                    kind == PropertyChangeKind.Delete ? null : after.ValueAt(segments),
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
            var segments = Segments(path);
            var old = before.ValueAt(segments);
            var @new = after.ValueAt(segments);
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

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>A draft whose maps were redacted, waiting for the batch to be parsed.</summary>
internal sealed record PreparedChange(ChangeDraft Draft, SensitivePaths Sensitive, StateView Before, StateView After);

/// <summary>
/// The redacted values of one side of a change: the state's inputs, or its outputs when it has no inputs. Paths
/// missing there are looked up in the other map (a diff with <c>inputDiff:false</c> compares against outputs).
/// </summary>
internal sealed class StateView
{
    private readonly RawState? _state;
    private readonly SensitivePaths _sensitive;
    private readonly RedactedMaps _maps;
    private readonly bool _primaryIsInputs;
    private readonly int _primary = -1;
    private JsonObject? _values;
    private JsonElement? _secondary;
    private bool _secondaryDone;

    /// <summary>Redacts the primary map into the batch (its secret paths are noted now, in this order).</summary>
    public StateView(RawState? state, SensitivePaths sensitive, RedactedMaps maps)
    {
        _state = state;
        _sensitive = sensitive;
        _maps = maps;
        if (state is null)
        {
            return;
        }

        _primaryIsInputs = PrimaryIsInputs(state);
        var primary = _primaryIsInputs ? state.Inputs : state.Outputs;
        if (primary.IsObject)
        {
            _primary = maps.Add(state.Bytes(primary), sensitive);
        }
    }

    /// <summary>The length of the map a view of <paramref name="state"/> redacts first.</summary>
    public static int PrimaryBytes(RawState? state) =>
        state is null ? 0 : PrimaryIsInputs(state) ? state.Inputs.Length : state.Outputs.Length;

    /// <summary>Redacted values, or null when the state is absent (create: before; delete: after). After the batch is parsed.</summary>
    public JsonObject? Values => _state is null ? null : _values ??= _primary >= 0 ? _maps[_primary] : [];

    /// <summary>A copy of the value at the path, or null when absent. After the batch is parsed.</summary>
    public JsonNode? ValueAt(IReadOnlyList<PropertyPath.Segment> path)
    {
        if (_state is null)
        {
            return null;
        }

        if (_primary >= 0 && PropertyPath.TryLookup(_maps.Element(_primary), path, out var value))
        {
            return PropertyPath.ToNode(value);
        }

        if (!_secondaryDone)
        {
            _secondaryDone = true;
            var secondary = _primaryIsInputs ? _state.Outputs : _state.Inputs;
            _secondary = secondary.IsObject ? _maps.RedactOne(_state.Bytes(secondary), _sensitive) : null;
        }

        return _secondary is { } other && PropertyPath.TryLookup(other, path, out value) ? PropertyPath.ToNode(value) : null;
    }

    private static bool PrimaryIsInputs(RawState state) => state.Inputs.HasMembers || !state.Outputs.HasMembers;

    /// <summary>Top-level keys whose values differ between two maps.</summary>
    public static IEnumerable<string> DifferingKeys(JsonObject? before, JsonObject? after)
    {
        var keys = (before?.Select(p => p.Key) ?? []).Union(after?.Select(p => p.Key) ?? [], StringComparer.Ordinal);
        return keys.Where(k => !JsonNode.DeepEquals(before?[k], after?[k])).ToList();
    }
}
