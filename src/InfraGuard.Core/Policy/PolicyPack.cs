using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Policy;

/// <summary>
/// A loaded, validated policy pack (<c>apiVersion: infraguard/v1</c>): tiers, scoring rules, the identity map,
/// per-tier invariants for the CrossGuard pack, and the stateful-type catalogue.
/// </summary>
public sealed record PolicyPack
{
    /// <summary>The only supported <c>apiVersion</c>.</summary>
    public const string ApiVersionV1 = "infraguard/v1";

    /// <summary>Where the text came from (file name or <c>embedded:…</c>).</summary>
    public required string Source { get; init; }

    /// <summary>SHA-256 (lower-case hex) of the normalised source text (BOM removed, line ends as LF); recorded in the audit log.</summary>
    public required string Hash { get; init; }

    /// <summary>Optional pack name.</summary>
    public string? Name { get; init; }

    /// <summary>Tiers in file order; stack patterns are tried in this order.</summary>
    public required IReadOnlyList<TierPolicy> Tiers { get; init; }

    /// <summary>Scoring rules in file order.</summary>
    public required IReadOnlyList<PolicyRule> Rules { get; init; }

    /// <summary>People and groups.</summary>
    public IdentityMap Identities { get; init; } = IdentityMap.Empty;

    /// <summary>Invariants per tier name (read by the CrossGuard pack too).</summary>
    public IReadOnlyDictionary<string, TierInvariants> Invariants { get; init; } = new Dictionary<string, TierInvariants>();

    /// <summary>Stateful resource types: the built-in catalogue plus the pack's <c>stateful-types:</c>.</summary>
    public StatefulCatalogue StatefulTypes { get; init; } = StatefulCatalogue.Default;

    /// <summary>The <c>actions:</c> section: kinds, data classes and rules for privileged actions.</summary>
    public ActionPolicy Actions { get; init; } = ActionPolicy.Empty;

    /// <summary>The catch-all tier.</summary>
    public TierPolicy DefaultTier => Tiers.First(t => t.IsDefault);

    /// <summary>
    /// The tier for a stack: <paramref name="forcedTier"/> when given (from stack config <c>infraguard:tier</c>),
    /// else the first tier in file order with a matching stack pattern, else the default tier. Stack names match
    /// case-insensitively. Throws <see cref="PolicyException"/> when the forced tier does not exist.
    /// </summary>
    public string ResolveTier(string stack, string? forcedTier)
    {
        if (!string.IsNullOrWhiteSpace(forcedTier))
        {
            return FindTier(forcedTier)?.Name
                   ?? throw new PolicyException([new PolicyError(Source, 0, 0, $"stack '{stack}' asks for tier '{forcedTier}', which this pack does not define; valid tiers: {string.Join(", ", Tiers.Select(t => t.Name))}")]);
        }

        return Tiers.FirstOrDefault(t => t.Stacks.Any(g => g.IsMatch(stack)))?.Name ?? DefaultTier.Name;
    }

    /// <summary>
    /// The tier for an action: the first tier in file order whose <c>targets</c> match <paramref name="target"/>, else
    /// <c>actions.default-tier</c>, else the default tier.
    /// </summary>
    public TierPolicy ResolveActionTier(string? target) =>
        (target is null ? null : Tiers.FirstOrDefault(t => t.Targets.Any(g => g.IsMatch(target))))
        ?? (Actions.DefaultTier is { } name ? FindTier(name) : null)
        ?? DefaultTier;

    /// <summary>The tier with this name (case-insensitive), or null.</summary>
    public TierPolicy? FindTier(string name) =>
        Tiers.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The rule with this id (case-insensitive), or null.</summary>
    public PolicyRule? FindRule(string id) =>
        Rules.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Human text for a rule id or a built-in detector id (rules first), for <c>infraguard policy explain</c>;
    /// null when neither exists.
    /// </summary>
    public string? Explain(string id)
    {
        if (FindRule(id) is { } rule)
        {
            return rule.Describe();
        }

        if (Actions.FindRule(id) is { } actionRule)
        {
            return actionRule.Describe();
        }

        if (Actions.FindKind(id) is { } kind)
        {
            return kind.Describe();
        }

        return BuiltInDetectors.Find(id) is { } detector ? BuiltInDetectors.Describe(detector) : null;
    }
}
