using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Risk;

/// <summary>
/// Evaluates one rule's <see cref="RuleMatch"/> conditions during one assessment. Answers that depend only on a
/// resource type, a provider or a path are remembered, so each distinct one is matched against the globs once.
/// </summary>
internal sealed class RuleMatcher
{
    private readonly RuleMatch _match;
    private readonly uint _ops;
    private readonly bool _opsAreBits;
    private readonly Dictionary<string, bool>? _types;
    private readonly Dictionary<(string Type, string? Provider), bool>? _providers;
    private readonly Dictionary<LeafPath, bool>? _paths;
    private readonly bool[]? _nameOnly;
    private readonly KeyValuePair<string, IReadOnlyList<string>>[] _tags;

    /// <summary>A matcher for <paramref name="match"/>.</summary>
    public RuleMatcher(RuleMatch match)
    {
        _match = match;
        _opsAreBits = true;
        foreach (var op in match.Ops)
        {
            _ops |= Bit(op);
            _opsAreBits &= Bit(op) != 0;
        }

        _tags = [.. match.Tags];
        _types = match.Types.Count > 0 ? new(StringComparer.Ordinal) : null;
        _providers = match.Providers.Count > 0 ? new() : null;
        if (match.Change is { } change)
        {
            _paths = [];
            _nameOnly = new bool[change.Paths.Count];
            for (var i = 0; i < _nameOnly.Length; i++)
            {
                var pattern = change.Paths[i].Pattern;
                _nameOnly[i] = !pattern.Contains('.', StringComparison.Ordinal) && !pattern.Contains('[', StringComparison.Ordinal);
            }
        }
    }

    /// <summary>True when the rule has no resource-level condition: every resource matches.</summary>
    public bool MatchesEveryResource => _match.IsResourceAgnostic;

    /// <summary>Run-level conditions: tiers, actor kinds, job types, run kinds.</summary>
    public static bool AppliesToRun(RuleMatch match, string tier, AssessmentContext context, RunKind run)
    {
        if (match.Runs.Count > 0 && !match.Runs.Contains(run))
        {
            return false;
        }

        if (match.Tiers.Count > 0 && !match.Tiers.Contains(tier, StringComparer.OrdinalIgnoreCase))
        {
            return false;
        }

        if (match.Actors.Count > 0 && !match.Actors.Contains(context.ActorKind))
        {
            return false;
        }

        return match.Jobs.Count == 0 || (context.JobType is { } job && match.Jobs.Any(g => g.IsMatch(job)));
    }

    /// <summary>Resource-level conditions: ops, types, providers, tags.</summary>
    public bool Matches(ResourceView view)
    {
        if (_match.Ops.Count > 0 && !(_opsAreBits ? (_ops & Bit(view.Op)) != 0 : _match.Ops.Contains(view.Op)))
        {
            return false;
        }

        var r = view.Resource;
        if (_types is not null && !MatchesType(r.Type))
        {
            return false;
        }

        if (_providers is not null && !MatchesProvider(r))
        {
            return false;
        }

        if (_tags.Length > 0)
        {
            foreach (var (key, accepted) in _tags)
            {
                if (ResourceFacts.Tag(r, key) is not { } value || !accepted.Contains(value, StringComparer.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Hits of a rule without a detector: one per matching property, or one per resource when it has no property condition.</summary>
    public IEnumerable<DetectorHit> PropertyHits(PolicyRule rule, ResourceView[] resources)
    {
        for (var v = 0; v < resources.Length; v++)
        {
            var r = resources[v].Resource;
            if (rule.Match.Change is not { } change)
            {
                yield return DetectorHit.On(r, $"{rule.Summary} ({ChangeOps.Name(r.Op)} of {r.Name})");
                continue;
            }

            var leaves = resources[v].Leaves;
            for (var i = 0; i < leaves.Length; i++)
            {
                var leaf = leaves[i];
                if (Matches(change, leaf))
                {
                    var before = leaf.BeforeDisplay ?? "unset";
                    var after = leaf.AfterDisplay ?? "unset";
                    yield return DetectorHit.On(r, $"{rule.Summary} ({leaf.Path}: {before} → {after})", leaf.Path, before, after);
                }
            }
        }
    }

    // Ops run from Unknown (-1) to Refresh (9): one bit each; anything else has no bit and is looked up in the list.
    private static uint Bit(ChangeOp op) => (uint)((int)op + 1) < 32 ? 1u << ((int)op + 1) : 0;

    private bool MatchesType(string type)
    {
        if (!_types!.TryGetValue(type, out var matches))
        {
            matches = _match.Types.Any(g => g.IsMatch(type));
            _types[type] = matches;
        }

        return matches;
    }

    private bool MatchesProvider(ResourceChange r)
    {
        if (!_providers!.TryGetValue((r.Type, r.Provider), out var matches))
        {
            matches = ResourceFacts.ProviderNames(r).Any(p => _match.Providers.Any(g => g.IsMatch(p)));
            _providers[(r.Type, r.Provider)] = matches;
        }

        return matches;
    }

    private bool Matches(PropertyMatch change, LeafChange leaf)
    {
        if (!_paths!.TryGetValue(leaf.At, out var pathMatches))
        {
            pathMatches = false;
            for (var i = 0; i < change.Paths.Count && !pathMatches; i++)
            {
                var g = change.Paths[i];
                pathMatches = g.IsMatch(leaf.Path) || (_nameOnly![i] && g.IsMatch(leaf.Name));
            }

            _paths[leaf.At] = pathMatches;
        }

        if (!pathMatches)
        {
            return false;
        }

        if (change.From.Count > 0 && (leaf.BeforeIsOpaque || !change.From.Contains(leaf.BeforeText ?? string.Empty, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (change.To.Count > 0 && (leaf.AfterIsOpaque || !change.To.Contains(leaf.AfterText ?? string.Empty, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        return change.Direction switch
        {
            ChangeDirection.Down => leaf.CompareValues() < 0,
            ChangeDirection.Up => leaf.CompareValues() > 0,
            _ => true,
        };
    }
}
