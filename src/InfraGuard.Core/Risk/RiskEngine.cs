using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Risk;

/// <summary>
/// Scores a <see cref="ChangeSet"/> against a <see cref="PolicyPack"/>. Pure and deterministic: the same inputs
/// give an equal <see cref="Assessment"/>, findings in the same order, whatever the order of the input changes.
/// </summary>
/// <remarks>
/// Each finding's points are <c>rule score for the tier × hit factor × actor weight × job weight</c>, rounded half
/// up to a whole number (2.5 → 3) once per finding; the total score is the sum of the findings' points.
/// The decision is <see cref="Decision.Block"/> when the preview is incomplete, a mandatory engine policy failed,
/// a blocking rule fired or the score reaches the tier's <c>block-at</c>; else <see cref="Decision.Review"/> when the
/// score reaches <c>review-at</c>; else <see cref="Decision.Allow"/>.
/// </remarks>
public static class RiskEngine
{
    /// <summary>Points for the always-on <c>failed-step</c> detector when the pack has no rule for it.</summary>
    public const int ImplicitFailedStepPoints = 10;

    /// <summary>Points for the always-on <c>engine-violation</c> detector when the pack has no rule for it.</summary>
    public const int ImplicitEngineViolationPoints = 5;

    /// <summary>Assesses <paramref name="changes"/> for the run described by <paramref name="context"/>.</summary>
    public static Assessment Assess(ChangeSet changes, PolicyPack pack, AssessmentContext context)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(pack);
        ArgumentNullException.ThrowIfNull(context);

        var tier = pack.FindTier(pack.ResolveTier(context.Stack, context.Tier))!;
        var weight = tier.WeightFor(context.ActorKind, context.JobType);
        var findings = new List<Finding>();
        var views = ResourceView.Of(changes.Changes);
        foreach (var rule in pack.Rules.Concat(ImplicitRules(pack)))
        {
            Evaluate(rule, tier, weight, changes, views, pack, context, findings);
        }

        Sort(findings);
        var score = (int)Math.Min(int.MaxValue, findings.Sum(f => (long)f.Points));

        var notes = new List<string>();
        if (!changes.Complete)
        {
            notes.Add($"The preview did not complete ({changes.IncompleteReason ?? "no reason given"}); an incomplete preview is never allowed. Fix the preview error and run again.");
        }

        var mandatory = changes.Violations
            .Where(v => string.Equals(v.EnforcementLevel, "mandatory", StringComparison.OrdinalIgnoreCase))
            .Select(v => $"Mandatory policy {v.PolicyPack}/{v.Policy} failed{(v.Address is null ? string.Empty : " on " + v.Address)}: {v.Message}")
            .Order(StringComparer.Ordinal)
            .ToList();
        notes.AddRange(mandatory);

        var blockingRules = findings.Where(f => f.Blocking).Select(f => f.RuleId).Distinct().Order(StringComparer.Ordinal).ToList();
        notes.AddRange(blockingRules.Select(id => $"Rule '{id}' blocks any matching change in tier '{tier.Name}'."));

        var blocked = !changes.Complete || mandatory.Count > 0 || blockingRules.Count > 0 || score >= tier.BlockAt;
        var decision = blocked ? Decision.Block : score >= tier.ReviewAt ? Decision.Review : Decision.Allow;
        return new Assessment
        {
            Tier = tier.Name,
            Decision = decision,
            Score = score,
            ReviewAt = tier.ReviewAt,
            BlockAt = tier.BlockAt,
            Findings = findings,
            Approvals = decision == Decision.Review ? tier.Approvals : null,
            ActorKind = context.ActorKind,
            Notes = notes,
            PolicyHash = pack.Hash,
        };
    }

    /// <summary>Rounds half up (away from zero for the non-negative points used here) to an int, saturating.</summary>
    public static int RoundPoints(decimal points)
    {
        var rounded = decimal.Round(points, 0, MidpointRounding.AwayFromZero);
        return rounded >= int.MaxValue ? int.MaxValue : rounded <= 0 ? 0 : (int)rounded;
    }

    /// <summary>Rules for always-on detectors that the pack does not name (fail closed).</summary>
    internal static IEnumerable<PolicyRule> ImplicitRules(PolicyPack pack)
    {
        foreach (var id in BuiltInDetectors.AlwaysOn)
        {
            if (pack.Rules.Any(r => r.Detector == id))
            {
                continue;
            }

            var detector = BuiltInDetectors.Find(id)!;
            yield return new PolicyRule
            {
                Id = id,
                Summary = detector.Summary,
                Detector = id,
                Match = RuleMatch.Any,
                Score = RuleScore.Flat(id switch
                {
                    "failed-step" => ImplicitFailedStepPoints,
                    "engine-violation" => ImplicitEngineViolationPoints,
                    _ => 0,
                }),
            };
        }
    }

    // Adds the rule's findings. Each resource's leaves are computed once (views) and shared by every rule.
    private static void Evaluate(PolicyRule rule, TierPolicy tier, decimal weight, ChangeSet changes, ResourceView[] views, PolicyPack pack, AssessmentContext context, List<Finding> findings)
    {
        if (!RuleMatcher.AppliesToRun(rule.Match, tier.Name, context, changes.Kind))
        {
            return;
        }

        var detector = rule.Detector is null ? null : BuiltInDetectors.Find(rule.Detector);
        var blocks = rule.BlocksIn(tier.Name) || detector?.AlwaysBlocks == true;
        var basePoints = rule.Score.For(tier.Name);
        if (basePoints == 0 && !blocks)
        {
            return;
        }

        var matcher = new RuleMatcher(rule.Match);
        IReadOnlyList<ResourceChange> resources = changes.Changes;
        var selected = views;
        if (!matcher.MatchesEveryResource)
        {
            var someResources = new List<ResourceChange>();
            var someViews = new List<ResourceView>();
            foreach (var view in views)
            {
                if (matcher.Matches(view))
                {
                    someResources.Add(view.Resource);
                    someViews.Add(view);
                }
            }

            (resources, selected) = (someResources, [.. someViews]);
        }

        var hits = detector is null
            ? matcher.PropertyHits(rule, selected)
            : detector.Detect(new DetectorInput(changes, resources, pack.StatefulTypes, rule.DetectorOptions) { Views = selected });

        // Most hits earn the rule's full points: round those once.
        var fullPoints = RoundPoints(basePoints * weight);
        var seen = new HashSet<(string Address, string? Path, string Reason)>();
        foreach (var h in hits)
        {
            if (!seen.Add((h.Address, h.Path, h.Reason)))
            {
                continue;
            }

            var points = h.Factor == 1m ? fullPoints : RoundPoints(basePoints * h.Factor * weight);
            if (points > 0 || blocks)
            {
                findings.Add(new Finding(rule.Id, h.Address, h.Type, h.Op, h.Path, h.Before, h.After, points, h.Reason, blocks));
            }
        }
    }

    // Sorts in FindingOrder. The points and address, which decide nearly every comparison, sit in the array being
    // sorted, so most comparisons never touch the findings themselves. The same introsort as List.Sort with the same
    // comparison results: the same order, ties included.
    private static void Sort(List<Finding> findings)
    {
        var keyed = new (int Points, string Address, Finding Finding)[findings.Count];
        for (var i = 0; i < keyed.Length; i++)
        {
            keyed[i] = (findings[i].Points, findings[i].Address, findings[i]);
        }

        keyed.AsSpan().Sort(static (x, y) =>
        {
            var c = y.Points.CompareTo(x.Points);
            c = c != 0 ? c : string.CompareOrdinal(x.Address, y.Address);
            return c != 0 ? c : FindingOrder.Instance.Compare(x.Finding, y.Finding);
        });

        for (var i = 0; i < keyed.Length; i++)
        {
            findings[i] = keyed[i].Finding;
        }
    }

    private sealed class FindingOrder : IComparer<Finding>
    {
        public static readonly FindingOrder Instance = new();

        public int Compare(Finding? x, Finding? y)
        {
            if (x is null || y is null)
            {
                return x is null ? (y is null ? 0 : 1) : -1;
            }

            var c = y.Points.CompareTo(x.Points);
            c = c != 0 ? c : string.CompareOrdinal(x.Address, y.Address);
            c = c != 0 ? c : string.CompareOrdinal(x.RuleId, y.RuleId);
            c = c != 0 ? c : string.CompareOrdinal(x.Path, y.Path);
            c = c != 0 ? c : string.CompareOrdinal(x.Before, y.Before);
            c = c != 0 ? c : string.CompareOrdinal(x.After, y.After);
            return c != 0 ? c : string.CompareOrdinal(x.Reason, y.Reason);
        }
    }
}
