namespace InfraGuard.Core.Changes;

/// <summary>
/// The logical operation a change performs, independent of the engine that planned it.
/// Engines' own step names (Pulumi's <c>create-replacement</c>, Terraform's <c>["delete","create"]</c>) are folded
/// into these; the raw engine name is kept on <see cref="ResourceChange.EngineOp"/>.
/// </summary>
public enum ChangeOp
{
    /// <summary>An operation InfraGuard does not know. Always scored as the highest risk (fail closed).</summary>
    Unknown = -1,

    /// <summary>No change (Pulumi <c>same</c>, Terraform <c>no-op</c>).</summary>
    Same = 0,

    /// <summary>A new resource.</summary>
    Create,

    /// <summary>An in-place update.</summary>
    Update,

    /// <summary>A physical delete.</summary>
    Delete,

    /// <summary>Destroy and re-create; see <see cref="ResourceChange.ReplaceOrder"/>.</summary>
    Replace,

    /// <summary>A data source or external resource read (Pulumi <c>read</c>, Terraform <c>read</c>).</summary>
    Read,

    /// <summary>An existing resource adopted into state (Pulumi <c>import</c>).</summary>
    Import,

    /// <summary>Removed from state without touching the cloud resource (retain-on-delete, Terraform <c>forget</c>, Pulumi <c>discard</c>).</summary>
    Forget,

    /// <summary>State refreshed from the provider; not a change the plan makes.</summary>
    Refresh,
}

/// <summary>The order of the two halves of a replacement.</summary>
public enum ReplaceOrder
{
    /// <summary>The new resource is created before the old one is deleted (Pulumi's default).</summary>
    CreateBeforeDelete,

    /// <summary>The old resource is deleted first: there is a window with no resource at all.</summary>
    DeleteBeforeCreate,
}

/// <summary>How one property path changed.</summary>
public enum PropertyChangeKind
{
    /// <summary>The path is new.</summary>
    Add,

    /// <summary>The path is removed.</summary>
    Delete,

    /// <summary>The value at the path changed.</summary>
    Update,
}

/// <summary>Which engine produced a change set.</summary>
public enum EngineKind
{
    /// <summary>Pulumi (engine event log or <c>preview --json</c>).</summary>
    Pulumi,

    /// <summary>Terraform or OpenTofu (<c>show -json</c>).</summary>
    Terraform,
}

/// <summary>String names of <see cref="ChangeOp"/> used in every output format and in policy files.</summary>
public static class ChangeOps
{
    /// <summary>The lower-case name of <paramref name="op"/> (<c>create</c>, <c>replace</c>, <c>unknown</c> …).</summary>
    public static string Name(ChangeOp op) => Names.Of(op);

    /// <summary>Every op in display order.</summary>
    public static IReadOnlyList<ChangeOp> All { get; } =
    [
        ChangeOp.Create, ChangeOp.Update, ChangeOp.Replace, ChangeOp.Delete, ChangeOp.Forget,
        ChangeOp.Import, ChangeOp.Read, ChangeOp.Refresh, ChangeOp.Same, ChangeOp.Unknown,
    ];

    /// <summary>Parses a name produced by <see cref="Name"/>; false for anything else.</summary>
    public static bool TryParse(string name, out ChangeOp op)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.OrdinalIgnoreCase))
            {
                op = candidate;
                return true;
            }
        }

        op = ChangeOp.Unknown;
        return false;
    }
}
