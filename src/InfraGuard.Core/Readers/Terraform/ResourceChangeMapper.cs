using System.Globalization;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>
/// Maps one <c>resource_changes[]</c> or <c>resource_drift[]</c> element to a redacted <see cref="ResourceChange"/>.
/// One instance per read: it keeps caches and scratch space between elements.
/// </summary>
internal sealed class ResourceChangeMapper : IDisposable
{
    private readonly StringPool _strings = new();
    private readonly ValueRedactor _values;
    private readonly PropertyDiff _diff;
    private IReadOnlyList<string> _lastSensitivePaths = [];

    public ResourceChangeMapper()
    {
        _values = new ValueRedactor(new SecretNames(), _strings);
        _diff = new PropertyDiff(_values, _strings);
    }

    public void Dispose() => _values.Dispose();

    /// <summary>Reads only <c>change.actions</c>: enough to count a no-op without building anything.</summary>
    public (ChangeOp Op, ReplaceOrder? Order, string EngineOp) ReadActions(JsonElement element)
    {
        if (!element.TryGetProperty("change"u8, out var change) || change.ValueKind != JsonValueKind.Object
            || !change.TryGetProperty("actions"u8, out var actions) || actions.ValueKind != JsonValueKind.Array)
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
        if (op == ChangeOp.Same && change.TryGetProperty("importing"u8, out var importing) && importing.ValueKind == JsonValueKind.Object)
        {
            op = ChangeOp.Import;
        }

        return (op, order, string.Join(',', names));
    }

    /// <summary>Builds the full change. <paramref name="position"/> labels errors (<c>resource_changes[3]</c>).</summary>
    public ResourceChange Map(JsonElement element, (ChangeOp Op, ReplaceOrder? Order, string EngineOp) actions, ElementPosition position)
    {
        var type = RepeatedString(element, "type"u8)
            ?? throw new TerraformShapeException($"{position} has no \"type\"", "Every resource change names its resource type; was the file edited by hand?");
        var address = OptionalString(element, "address"u8) ?? ComposeAddress(element, type);
        var deposed = OptionalString(element, "deposed"u8);
        if (deposed is not null)
        {
            address = $"{address} (deposed object {deposed})";
        }

        var change = element.TryGetProperty("change"u8, out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var replacePaths = ReplacePaths(change);

        var sensitive = new SensitivityMask(Property(change, "before_sensitive"u8), Property(change, "after_sensitive"u8));
        var unknown = new SensitivityMask(Property(change, "after_unknown"u8));
        var rawBefore = Property(change, "before"u8);
        var rawAfter = Property(change, "after"u8);

        // One redacted copy of every value the change keeps, parsed once.
        _values.Begin();
        var before = _values.AddRoot(rawBefore, sensitive, default);
        var after = _values.AddRoot(rawAfter, sensitive, unknown);
        var sensitivePaths = SensitivePaths();
        _diff.Diff(rawBefore, rawAfter, sensitive, unknown, replacePaths);
        _values.Finish();

        return new ResourceChange
        {
            Address = address,
            Name = address,
            Type = type,
            Provider = RepeatedString(element, "provider_name"u8),
            Op = actions.Op,
            EngineOp = actions.EngineOp,
            ReplaceOrder = actions.Order,
            Before = _values.Object(before),
            After = _values.Object(after),
            Properties = _diff.Build(),
            ReplaceReasons = replacePaths,
            Reason = RepeatedString(element, "action_reason"u8) ?? ImpliedReason(change, deposed),
            SensitivePaths = sensitivePaths,
        };
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

    private static string? ImpliedReason(JsonElement change, string? deposed)
    {
        if (deposed is not null)
        {
            return "deposed object left by an earlier create-before-destroy replacement";
        }

        return Property(change, "importing"u8).ValueKind == JsonValueKind.Object ? "imports an existing object" : null;
    }

    private static List<string> ReplacePaths(JsonElement change)
    {
        var paths = Property(change, "replace_paths"u8);
        if (paths.ValueKind != JsonValueKind.Array)
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

        return result;
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
    private string? RepeatedString(JsonElement element, ReadOnlySpan<byte> name)
    {
        var value = Property(element, name);
        return value.ValueKind == JsonValueKind.String ? _strings.Get(value) : OptionalString(element, name);
    }

    private static string? OptionalString(JsonElement element, ReadOnlySpan<byte> name)
    {
        var value = Property(element, name);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
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
