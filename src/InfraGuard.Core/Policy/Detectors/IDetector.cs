using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>A numeric setting of a detector, given in a rule's <c>with:</c> map.</summary>
/// <param name="Name">Option name (<c>min-count</c>).</param>
/// <param name="Default">Value when the rule gives none.</param>
/// <param name="Min">Smallest accepted value.</param>
/// <param name="Max">Largest accepted value.</param>
/// <param name="Description">What it changes.</param>
public sealed record DetectorOption(string Name, decimal Default, decimal Min, decimal Max, string Description);

/// <summary>What a detector looks at.</summary>
/// <param name="ChangeSet">The whole change set (for plan-wide facts such as engine violations).</param>
/// <param name="Resources">The changes left after the rule's resource conditions (ops, types, providers, tags).</param>
/// <param name="Catalogue">Stateful types.</param>
/// <param name="Options">Option values, defaults filled in.</param>
public sealed record DetectorInput(
    ChangeSet ChangeSet,
    IReadOnlyList<ResourceChange> Resources,
    StatefulCatalogue Catalogue,
    IReadOnlyDictionary<string, decimal> Options)
{
    /// <summary>An option's value (the default when unset).</summary>
    public decimal Option(DetectorOption option) => Options.TryGetValue(option.Name, out var v) ? v : option.Default;

    /// <summary>
    /// The matched resources as the assessment sees them (leaves computed once and shared by every rule), in the
    /// order of <see cref="Resources"/>; built from <see cref="Resources"/> when the caller gave none.
    /// </summary>
    internal Facts.ResourceView[] Views
    {
        get => _views ??= Facts.ResourceView.Of(Resources);
        init => _views = value;
    }

    private Facts.ResourceView[]? _views;
}

/// <summary>One thing a detector found.</summary>
/// <param name="Address">Resource address, or empty for plan-wide hits.</param>
/// <param name="Type">Resource type, or empty.</param>
/// <param name="Op">The resource's op (<see cref="ChangeOp.Same"/> for plan-wide hits).</param>
/// <param name="Path">Property path, if one is involved.</param>
/// <param name="Before">Redacted display of the value before.</param>
/// <param name="After">Redacted display of the value after.</param>
/// <param name="Reason">Sentence saying what was found.</param>
/// <param name="Factor">Fraction of the rule's points this hit earns (1 normally; less for milder variants such as a forget).</param>
public sealed record DetectorHit(
    string Address,
    string Type,
    ChangeOp Op,
    string? Path,
    string? Before,
    string? After,
    string Reason,
    decimal Factor = 1m)
{
    /// <summary>A hit on a resource.</summary>
    public static DetectorHit On(ResourceChange r, string reason, string? path = null, string? before = null, string? after = null, decimal factor = 1m) =>
        new(r.Address, r.Type, r.Op, path, before, after, reason, factor);
}

/// <summary>A built-in check that rules name with <c>detector: ID</c>.</summary>
public interface IDetector
{
    /// <summary>Detector id (<c>size-downgrade</c>).</summary>
    string Id { get; }

    /// <summary>One line: what it finds.</summary>
    string Summary { get; }

    /// <summary>Several lines: exactly what it looks at, for <c>infraguard policy explain</c>.</summary>
    string Description { get; }

    /// <summary>Settings accepted in <c>with:</c>.</summary>
    IReadOnlyList<DetectorOption> Options { get; }

    /// <summary>True when any hit blocks the change in every tier, whatever the rule says (fail closed).</summary>
    bool AlwaysBlocks => false;

    /// <summary>Finds hits. Must be deterministic and must not depend on the order of <see cref="DetectorInput.Resources"/> beyond its own output order.</summary>
    IEnumerable<DetectorHit> Detect(DetectorInput input);
}
