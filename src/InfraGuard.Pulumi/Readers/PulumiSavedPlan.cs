using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// The per-resource operations of a saved update plan (<c>pulumi preview --save-plan</c>: <c>resourcePlans</c>, URN →
/// <c>steps</c>), folded the way <see cref="PulumiEventLogReader"/> folds an event log's steps, so that an authority
/// can check that a plan and the log submitted with it describe the same change.
/// </summary>
public static class PulumiSavedPlan
{
    /// <summary>
    /// Null when every resource that either side creates, updates, deletes, replaces, imports or forgets has the same
    /// operation on the other side; else the first difference in document order, in words.
    /// </summary>
    /// <exception cref="PlanReadException">The plan is not a JSON object with <c>resourcePlans</c>.</exception>
    public static string? Mismatch(ChangeSet changes, byte[] plan, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var planned = Operations(plan, sourceName);
        var logged = new Dictionary<string, ResourceChange>(StringComparer.Ordinal);
        foreach (var change in changes.Changes.Where(c => Mutates(c.Op)))
        {
            logged[change.Address] = change;
        }

        foreach (var (urn, (op, retained)) in planned)
        {
            if (!logged.TryGetValue(urn, out var change))
            {
                return $"the plan would {ChangeOps.Name(op)} {urn}, which the engine output does not change";
            }

            // A delete of a retainOnDelete resource only forgets it; the plan must say the resource is retained too.
            var same = change.Op == op || (change.Op == ChangeOp.Forget && op == ChangeOp.Delete && retained);
            if (!same)
            {
                return $"the plan would {ChangeOps.Name(op)} {urn}, but the engine output says {ChangeOps.Name(change.Op)}";
            }
        }

        var extra = logged.Keys.FirstOrDefault(urn => !planned.ContainsKey(urn));
        return extra is null ? null : $"the engine output would {ChangeOps.Name(logged[extra].Op)} {extra}, which the plan does not change";
    }

    private static Dictionary<string, (ChangeOp Op, bool Retained)> Operations(byte[] plan, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(plan);
        try
        {
            using var document = JsonDocument.Parse(plan);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("resourcePlans", out var resources)
                || resources.ValueKind != JsonValueKind.Object)
            {
                throw new PlanReadException(sourceName, null, null, "the saved plan has no 'resourcePlans' object", "the file 'pulumi preview --save-plan' wrote");
            }

            var operations = new Dictionary<string, (ChangeOp, bool)>(StringComparer.Ordinal);
            foreach (var resource in resources.EnumerateObject())
            {
                var steps = resource.Value.ValueKind == JsonValueKind.Object && resource.Value.TryGetProperty("steps", out var s) && s.ValueKind == JsonValueKind.Array
                    ? s.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList()
                    : [];
                var op = Fold(steps);
                if (Mutates(op))
                {
                    operations[resource.Name] = (op, Retained(resource.Value));
                }
            }

            return operations;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new PlanReadException(sourceName, null, null, $"the saved plan is not JSON of the expected shape ({e.Message})", "the file 'pulumi preview --save-plan' wrote", e);
        }
    }

    private static ChangeOp Fold(List<string> steps) =>
        steps.Any(PulumiOps.IsReplacementStep) ? ChangeOp.Replace
        : steps.Count == 0 ? ChangeOp.Same
        : steps.Select(step => step switch
        {
            PulumiOps.Same => ChangeOp.Same,
            PulumiOps.Create => ChangeOp.Create,
            PulumiOps.Update => ChangeOp.Update,
            PulumiOps.Delete => ChangeOp.Delete,
            PulumiOps.Discard => ChangeOp.Forget,
            PulumiOps.Import => ChangeOp.Import,
            PulumiOps.Read => ChangeOp.Read,
            PulumiOps.Refresh => ChangeOp.Refresh,
            _ => ChangeOp.Unknown,
        }).OrderBy(Rank).First();

    // The strongest step names the resource's op: unknown first (fail closed), then deletes, then the rest.
    private static int Rank(ChangeOp op) => op switch
    {
        ChangeOp.Unknown => 0,
        ChangeOp.Delete => 1,
        ChangeOp.Forget => 2,
        ChangeOp.Update => 3,
        ChangeOp.Create => 4,
        ChangeOp.Import => 5,
        _ => 6,
    };

    private static bool Retained(JsonElement resourcePlan) =>
        resourcePlan.ValueKind == JsonValueKind.Object
        && resourcePlan.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.Object
        && state.TryGetProperty("retainOnDelete", out var r) && r.ValueKind == JsonValueKind.True;

    private static bool Mutates(ChangeOp op) => op is not (ChangeOp.Same or ChangeOp.Read or ChangeOp.Refresh);
}
