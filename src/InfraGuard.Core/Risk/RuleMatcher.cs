using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Risk;

/// <summary>Evaluates a rule's <see cref="RuleMatch"/> conditions.</summary>
internal static class RuleMatcher
{
    /// <summary>Run-level conditions: tiers, actor kinds, job types.</summary>
    public static bool AppliesToRun(RuleMatch match, string tier, AssessmentContext context)
    {
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
    public static bool MatchesResource(RuleMatch match, ResourceChange r)
    {
        if (match.Ops.Count > 0 && !match.Ops.Contains(r.Op))
        {
            return false;
        }

        if (match.Types.Count > 0 && !match.Types.Any(g => g.IsMatch(r.Type)))
        {
            return false;
        }

        if (match.Providers.Count > 0 && !ResourceFacts.ProviderNames(r).Any(p => match.Providers.Any(g => g.IsMatch(p))))
        {
            return false;
        }

        if (match.Tags.Count > 0)
        {
            var tags = ResourceFacts.Tags(r);
            foreach (var (key, accepted) in match.Tags)
            {
                if (!tags.TryGetValue(key, out var value) || !accepted.Contains(value, StringComparer.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Hits of a rule without a detector: one per matching property, or one per resource when it has no property condition.</summary>
    public static IEnumerable<DetectorHit> PropertyHits(PolicyRule rule, IReadOnlyList<ResourceChange> resources)
    {
        foreach (var r in resources)
        {
            if (rule.Match.Change is not { } change)
            {
                yield return DetectorHit.On(r, $"{rule.Summary} ({ChangeOps.Name(r.Op)} of {r.Name})");
                continue;
            }

            foreach (var leaf in LeafChange.Of(r))
            {
                if (Matches(change, leaf))
                {
                    var before = Values.Display(leaf.Before) ?? "unset";
                    var after = Values.Display(leaf.After) ?? "unset";
                    yield return DetectorHit.On(r, $"{rule.Summary} ({leaf.Path}: {before} → {after})", leaf.Path, before, after);
                }
            }
        }
    }

    private static bool Matches(PropertyMatch change, LeafChange leaf)
    {
        var pathMatches = change.Paths.Any(g => g.IsMatch(leaf.Path)
            || (!g.Pattern.Contains('.', StringComparison.Ordinal) && !g.Pattern.Contains('[', StringComparison.Ordinal) && g.IsMatch(leaf.Name)));
        if (!pathMatches)
        {
            return false;
        }

        if (change.From.Count > 0 && (Values.IsOpaque(leaf.Before) || !change.From.Contains(Values.Text(leaf.Before) ?? string.Empty, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        if (change.To.Count > 0 && (Values.IsOpaque(leaf.After) || !change.To.Contains(Values.Text(leaf.After) ?? string.Empty, StringComparer.OrdinalIgnoreCase)))
        {
            return false;
        }

        return change.Direction switch
        {
            ChangeDirection.Down => Values.Compare(leaf.Before, leaf.After) < 0,
            ChangeDirection.Up => Values.Compare(leaf.Before, leaf.After) > 0,
            _ => true,
        };
    }
}
