using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Facts;

/// <summary>
/// One resource as an assessment sees it: the change, the facts every rule looks at (op, flags, shared type name),
/// and its changed leaves, computed on first use and then shared by every rule and detector of the assessment.
/// </summary>
/// <remarks>
/// An assessment walks the resources once per rule; the views sit together in memory, so a rule that only needs
/// the op or the type does not go back to each change's own data.
/// </remarks>
internal sealed class ResourceView
{
    private LeafChange[]? _leaves;
    private SharedName? _type;

    /// <summary>A view of <paramref name="resource"/>.</summary>
    public ResourceView(ResourceChange resource)
    {
        Resource = resource;
        Op = resource.Op;
        Failed = resource.Failed;
        RetainOnDelete = resource.RetainOnDelete;
    }

    /// <summary>The change.</summary>
    public ResourceChange Resource { get; }

    /// <summary><see cref="ResourceChange.Op"/>.</summary>
    public ChangeOp Op { get; }

    /// <summary><see cref="ResourceChange.Failed"/>.</summary>
    public bool Failed { get; }

    /// <summary><see cref="ResourceChange.RetainOnDelete"/>.</summary>
    public bool RetainOnDelete { get; }

    /// <summary>The shared resource type token.</summary>
    public SharedName Type => _type ??= SharedName.Of(Resource.Type);

    /// <summary><see cref="LeafChange.Of"/> of the resource, computed once.</summary>
    public LeafChange[] Leaves => _leaves ??= LeafChange.Of(Resource);

    /// <summary>A view of each change, in order.</summary>
    public static ResourceView[] Of(IReadOnlyList<ResourceChange> changes)
    {
        var views = new ResourceView[changes.Count];
        for (var i = 0; i < views.Length; i++)
        {
            views[i] = new ResourceView(changes[i]);
        }

        return views;
    }
}
