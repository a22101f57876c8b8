using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Maps <c>resource_changes[]</c> and <c>resource_drift[]</c> elements to redacted <see cref="ResourceChange"/>s.
/// One instance per read: it keeps caches and scratch space between elements. Changes are built in batches, once the
/// redacted values of a batch have been parsed together (<see cref="ValueRedactor"/>): <see cref="Add"/> each element,
/// then <see cref="Flush"/> at the end.
/// </summary>
internal sealed class ResourceChangeMapper
{
    private readonly StringPool _strings = new();
    private readonly ValueRedactor _values;
    private readonly PropertyDiff _diff;
    private readonly List<Pending> _pending = [];
    private readonly Dictionary<(string, string), string> _engineOps = [];
    private IReadOnlyList<string> _lastSensitivePaths = [];

    public ResourceChangeMapper()
    {
        _values = new ValueRedactor(new SecretNames(), _strings);
        _diff = new PropertyDiff(_values, _strings);
    }

    /// <summary>Reads only <c>change.actions</c>: enough to count a no-op without building anything.</summary>
    public (ChangeOp Op, ReplaceOrder? Order, string EngineOp) ReadActions(in ChangeParts parts)
    {
        var actions = parts.Actions;
        if (actions.ValueKind != JsonValueKind.Array)
        {
            return (ChangeOp.Unknown, null, "(no change.actions)");
        }

        var names = new string[actions.GetArrayLength()];
        var i = 0;
        foreach (var action in actions.EnumerateArray())
        {
            if (action.ValueKind != JsonValueKind.String)
            {
                return (ChangeOp.Unknown, null, actions.GetRawText());
            }

            names[i++] = _strings.Get(action);
        }

        var (op, order) = TerraformActions.Classify(names);
        if (op == ChangeOp.Same && parts.Importing.ValueKind == JsonValueKind.Object)
        {
            op = ChangeOp.Import;
        }

        return (op, order, EngineOp(names));
    }

    // The action names are pooled, so a single action is its own text, and a pair ("delete,create") is joined once per read.
    private string EngineOp(string[] names)
    {
        if (names.Length == 1)
        {
            return names[0];
        }

        if (names.Length != 2)
        {
            return string.Join(',', names);
        }

        var key = (names[0], names[1]);
        if (!_engineOps.TryGetValue(key, out var text))
        {
            text = string.Join(',', names);
            _engineOps.Add(key, text);
        }

        return text;
    }

    /// <summary>
    /// Maps a change and adds it to <paramref name="into"/> when its batch is built (in the order added).
    /// <paramref name="position"/> labels errors (<c>resource_changes[3]</c>).
    /// </summary>
    public void Add(in ChangeParts parts, (ChangeOp Op, ReplaceOrder? Order, string EngineOp) actions, ElementPosition position, List<ResourceChange> into)
    {
        var type = RepeatedString(parts.Type)
            ?? throw new TerraformShapeException($"{position} has no \"type\"", "Every resource change names its resource type; was the file edited by hand?");
        var address = OptionalString(parts.Address) ?? ComposeAddress(parts.Element, type);
        var deposed = OptionalString(parts.Deposed);
        if (deposed is not null)
        {
            address = $"{address} (deposed object {deposed})";
        }

        // Members of change are absent (default) when change is not an object.
        var replacePaths = ReplacePaths(parts.ReplacePaths);
        var sensitive = SensitivityMask.Of(parts.BeforeSensitive, parts.AfterSensitive);
        var unknown = SensitivityMask.Of(parts.AfterUnknown);
        var rawBefore = parts.Before;
        var rawAfter = parts.After;

        // One redacted copy of every value the change keeps, parsed with the rest of its batch.
        _values.Begin();
        var before = _values.AddRoot(rawBefore, sensitive, default);
        var after = _values.AddRoot(rawAfter, sensitive, unknown);
        var sensitivePaths = SensitivePaths();
        var properties = _diff.Diff(rawBefore, rawAfter, sensitive, unknown, replacePaths);

        var reason = RepeatedString(parts.ActionReason) ?? ImpliedReason(parts.Importing.ValueKind == JsonValueKind.Object, deposed);
        _pending.Add(new Pending(
            address, type, RepeatedString(parts.Provider), actions, replacePaths, reason, sensitivePaths, before, after, properties, into));
        if (_values.BatchIsFull)
        {
            Flush();
        }
    }

    /// <summary>Builds the changes added since the last flush, adding each to its list.</summary>
    public void Flush()
    {
        _values.Parse();
        foreach (var p in _pending)
        {
            p.Into.Add(new ResourceChange
            {
                Address = p.Address,
                Name = p.Address,
                Type = p.Type,
                Provider = p.Provider,
                Op = p.Actions.Op,
                EngineOp = p.Actions.EngineOp,
                ReplaceOrder = p.Actions.Order,
                Before = _values.Object(p.Before),
                After = _values.Object(p.After),
                Properties = _diff.Build(p.Properties),
                ReplaceReasons = p.ReplaceReasons,
                Reason = p.Reason,
                SensitivePaths = p.SensitivePaths,
            });
        }

        _pending.Clear();
        _diff.Clear();
        _values.Clear();
    }

    // Resources of a kind follow one another and usually have the same sensitive paths: the previous change's
    // (read-only) list is reused when it is equal.
    private IReadOnlyList<string> SensitivePaths()
    {
        var paths = _values.SensitivePaths;
        if (paths.Count == 0)
        {
            return [];
        }

        if (!SameStrings(paths, _lastSensitivePaths))
        {
            _lastSensitivePaths = [.. paths];
        }

        return _lastSensitivePaths;
    }

    /// <summary>A change mapped but not built yet: its values are slots of a batch not parsed yet.</summary>
    private readonly record struct Pending(
        string Address,
        string Type,
        string? Provider,
        (ChangeOp Op, ReplaceOrder? Order, string EngineOp) Actions,
        IReadOnlyList<string> ReplaceReasons,
        string? Reason,
        IReadOnlyList<string> SensitivePaths,
        int Before,
        int After,
        Range Properties,
        List<ResourceChange> Into);

    private static bool SameStrings(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Count; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string? ImpliedReason(bool importing, string? deposed)
    {
        if (deposed is not null)
        {
            return "deposed object left by an earlier create-before-destroy replacement";
        }

        return importing ? "imports an existing object" : null;
    }

    private static string[] ReplacePaths(JsonElement paths)
    {
        if (paths.ValueKind != JsonValueKind.Array || paths.GetArrayLength() == 0)
        {
            return [];
        }

        var result = new List<string>();
        foreach (var path in paths.EnumerateArray())
        {
            if (path.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var steps = new List<object>();
            foreach (var step in path.EnumerateArray())
            {
                if (step.ValueKind == JsonValueKind.String)
                {
                    steps.Add(step.GetString()!);
                }
                else if (step.ValueKind == JsonValueKind.Number && step.TryGetInt32(out var index))
                {
                    steps.Add(index);
                }
            }

            var text = PropertyPath.Format(steps);
            if (text.Length > 0 && !result.Contains(text))
            {
                result.Add(text);
            }
        }

        return [.. result];
    }

    // Terraform 1.0.0 writes resource_drift entries without "address": rebuild it from its parts.
    private static string ComposeAddress(JsonElement element, string type)
    {
        var text = new StringBuilder();
        if (OptionalString(element, "module_address"u8) is { } module)
        {
            text.Append(module).Append('.');
        }

        if (OptionalString(element, "mode"u8) == "data")
        {
            text.Append("data.");
        }

        text.Append(type).Append('.').Append(OptionalString(element, "name"u8) ?? "?");
        var index = Property(element, "index"u8);
        if (index.ValueKind == JsonValueKind.Number)
        {
            text.Append('[').Append(index.GetRawText()).Append(']');
        }
        else if (index.ValueKind == JsonValueKind.String)
        {
            text.Append("[\"").Append(index.GetString()!.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"]");
        }

        return text.ToString();
    }

    private static JsonElement Property(JsonElement element, ReadOnlySpan<byte> name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    // Like OptionalString, for texts that recur across resources: one string per distinct text.
    private string? RepeatedString(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? _strings.Get(value) : OptionalString(value);

    private static string? OptionalString(JsonElement element, ReadOnlySpan<byte> name) => OptionalString(Property(element, name));

    private static string? OptionalString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };
}

/// <summary>
/// The members of a resource change element that the mapper reads, found in one pass over the element and one over
/// its <c>change</c> object (instead of a lookup each). A name given more than once counts once, its last value (as
/// with <see cref="JsonElement.TryGetProperty(string, out JsonElement)"/>).
/// </summary>
internal readonly struct ChangeParts
{
    private static readonly byte[][] ElementMembers = [[.. "type"u8], [.. "address"u8], [.. "deposed"u8], [.. "provider_name"u8], [.. "action_reason"u8], [.. "change"u8]];

    private static readonly byte[][] ChangeMembers =
        [[.. "actions"u8], [.. "importing"u8], [.. "before"u8], [.. "after"u8], [.. "before_sensitive"u8], [.. "after_sensitive"u8], [.. "after_unknown"u8], [.. "replace_paths"u8]];

    private readonly Members _element;
    private readonly Members _change;

    private ChangeParts(JsonElement element)
    {
        Element = element;
        Find(element, ElementMembers, _element);
        Find(Change, ChangeMembers, _change);
    }

    public JsonElement Element { get; }

    public JsonElement Type => _element[0];

    public JsonElement Address => _element[1];

    public JsonElement Deposed => _element[2];

    public JsonElement Provider => _element[3];

    public JsonElement ActionReason => _element[4];

    public JsonElement Change => _element[5];

    public JsonElement Actions => _change[0];

    public JsonElement Importing => _change[1];

    public JsonElement Before => _change[2];

    public JsonElement After => _change[3];

    public JsonElement BeforeSensitive => _change[4];

    public JsonElement AfterSensitive => _change[5];

    public JsonElement AfterUnknown => _change[6];

    public JsonElement ReplacePaths => _change[7];

    public static ChangeParts Of(JsonElement element) => new(element);

    // Sets into[i] to the value of the member named names[i], for each member the object has.
    private static void Find(JsonElement value, byte[][] names, Span<JsonElement> into)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            // The name as written, or unescaped when the plan escaped it (JSON allows "typ\u0065"; Terraform never writes that).
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);
            var name = raw.Contains((byte)'\\') ? System.Text.Encoding.UTF8.GetBytes(property.Name) : raw;
            for (var i = 0; i < names.Length; i++)
            {
                if (name.SequenceEqual(names[i]))
                {
                    into[i] = property.Value;
                    break;
                }
            }
        }
    }

    [System.Runtime.CompilerServices.InlineArray(8)]
    private struct Members
    {
        private JsonElement _first;
    }
}

/// <summary>A plan element has the wrong shape; the reader adds the source position and rethrows it as <see cref="PlanReadException"/>.</summary>
internal sealed class TerraformShapeException(string problem, string expected) : Exception(problem)
{
    public string Problem { get; } = problem;

    public string Expected { get; } = expected;
}

/// <summary>Where an element sits (<c>resource_changes[3]</c>), formatted only when an error message needs it.</summary>
internal readonly record struct ElementPosition(string Section, int Index)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Section}[{Index}]");
}
