using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Risk;

/// <summary>
/// One resource as an assessment sees it: the change, its shared type name, and its changed leaves, computed on
/// first use and then shared by every rule and detector of the assessment.
/// </summary>
internal sealed class ResourceView(ResourceChange resource)
{
    private IReadOnlyList<LeafChange>? _leaves;
    private SharedName? _type;

    /// <summary>The change.</summary>
    public ResourceChange Resource { get; } = resource;

    /// <summary>The shared resource type token.</summary>
    public SharedName Type => _type ??= SharedName.Of(Resource.Type);

    /// <summary><see cref="LeafChange.Of"/> of the resource, computed once.</summary>
    public IReadOnlyList<LeafChange> Leaves => _leaves ??= LeafChange.Of(Resource);

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
