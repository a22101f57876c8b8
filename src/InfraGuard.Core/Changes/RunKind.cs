namespace InfraGuard.Core.Changes;

/// <summary>What a guarded run applies.</summary>
public enum RunKind
{
    /// <summary>The plan's resource changes (and, as every apply does, the refreshed state).</summary>
    Update = 0,

    /// <summary>
    /// Only the drift the refresh found, accepted into state (Terraform/OpenTofu <c>plan -refresh-only</c>): no cloud
    /// resource is changed, but a resource deleted outside the engine is dropped from state and stops being managed.
    /// </summary>
    RefreshOnly,
}

/// <summary>Names of <see cref="RunKind"/> as written in policy packs, requests and the audit log.</summary>
public static class RunKinds
{
    /// <summary>Every run kind.</summary>
    public static IReadOnlyList<RunKind> All { get; } = [RunKind.Update, RunKind.RefreshOnly];

    /// <summary><c>update</c> or <c>refresh-only</c>.</summary>
    public static string Name(RunKind kind) => kind == RunKind.RefreshOnly ? "refresh-only" : "update";

    /// <summary>Parses a name produced by <see cref="Name"/> (case-insensitive); false for anything else.</summary>
    public static bool TryParse(string? name, out RunKind kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = RunKind.Update;
        return false;
    }
}
