using System.Globalization;
using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Core.Policy;

/// <summary>Which way an ordered value must move for a property match.</summary>
public enum ChangeDirection
{
    /// <summary>Any change.</summary>
    Any,

    /// <summary>The value grows (bigger number, larger instance size, false → true).</summary>
    Up,

    /// <summary>The value shrinks (smaller number, smaller instance size, true → false).</summary>
    Down,
}

/// <summary>
/// A property condition: some changed path matching <see cref="Paths"/> whose values satisfy
/// <see cref="From"/>, <see cref="To"/> and <see cref="Direction"/>.
/// </summary>
/// <param name="Paths">Path patterns (<c>instanceClass</c>, <c>settings[*].tier</c>); a pattern with no <c>.</c> or <c>[</c> also matches the last path segment.</param>
/// <param name="From">Accepted before values (any of, case-insensitive); empty for any.</param>
/// <param name="To">Accepted after values (any of, case-insensitive); empty for any.</param>
/// <param name="Direction">Required direction of the change.</param>
public sealed record PropertyMatch(IReadOnlyList<Glob> Paths, IReadOnlyList<string> From, IReadOnlyList<string> To, ChangeDirection Direction);

/// <summary>What a rule applies to. Every condition given must hold; an empty list means "any".</summary>
public sealed record RuleMatch
{
    /// <summary>Matches every change.</summary>
    public static RuleMatch Any { get; } = new();

    /// <summary>Logical ops.</summary>
    public IReadOnlyList<ChangeOp> Ops { get; init; } = [];

    /// <summary>Resource type patterns (<c>aws:rds/*</c>, <c>aws_db_*</c>).</summary>
    public IReadOnlyList<Glob> Types { get; init; } = [];

    /// <summary>Provider patterns (<c>aws</c>, <c>google</c>, <c>registry.terraform.io/hashicorp/*</c>).</summary>
    public IReadOnlyList<Glob> Providers { get; init; } = [];

    /// <summary>Property condition (rules without a detector only).</summary>
    public PropertyMatch? Change { get; init; }

    /// <summary>Required tags: key → accepted values (any of, case-insensitive).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Tags { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Actor kinds the rule applies to.</summary>
    public IReadOnlyList<ActorKind> Actors { get; init; } = [];

    /// <summary>Job type patterns the rule applies to; a run without a job type never matches a non-empty list.</summary>
    public IReadOnlyList<Glob> Jobs { get; init; } = [];

    /// <summary>Tiers the rule applies in.</summary>
    public IReadOnlyList<string> Tiers { get; init; } = [];

    /// <summary>Run kinds the rule applies to (<c>runs: [refresh-only]</c>); empty means every kind.</summary>
    public IReadOnlyList<RunKind> Runs { get; init; } = [];

    /// <summary>True when no resource-level condition (ops, types, providers, tags) is set.</summary>
    public bool IsResourceAgnostic => Ops.Count == 0 && Types.Count == 0 && Providers.Count == 0 && Tags.Count == 0;
}

/// <summary>Points a rule gives per tier, with a default for tiers not named.</summary>
/// <param name="PerTier">Points by tier name.</param>
/// <param name="Default">Points for other tiers.</param>
public sealed record RuleScore(IReadOnlyDictionary<string, int> PerTier, int Default)
{
    /// <summary>Points in <paramref name="tier"/>.</summary>
    public int For(string tier) => PerTier.TryGetValue(tier, out var p) ? p : Default;

    /// <summary>A flat score for every tier.</summary>
    public static RuleScore Flat(int points) => new(new Dictionary<string, int>(), points);
}

/// <summary>One scoring rule of a policy pack.</summary>
public sealed record PolicyRule
{
    /// <summary>Unique rule id; findings carry it.</summary>
    public required string Id { get; init; }

    /// <summary>One-line reason shown with findings.</summary>
    public required string Summary { get; init; }

    /// <summary>Built-in detector id, or null for a rule made only of <see cref="Match"/> conditions.</summary>
    public string? Detector { get; init; }

    /// <summary>Detector options (<c>with:</c>), by name.</summary>
    public IReadOnlyDictionary<string, decimal> DetectorOptions { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Conditions.</summary>
    public required RuleMatch Match { get; init; }

    /// <summary>Points per tier.</summary>
    public required RuleScore Score { get; init; }

    /// <summary>Tiers in which any finding of this rule blocks the change whatever the score; empty for none.</summary>
    public IReadOnlyList<string> BlockTiers { get; init; } = [];

    /// <summary>Any finding of this rule blocks the change in every tier.</summary>
    public bool BlocksEverywhere { get; init; }

    /// <summary>1-based line of the rule in its file, 0 for built-in rules.</summary>
    public int Line { get; init; }

    /// <summary>True when a finding of this rule blocks in <paramref name="tier"/>.</summary>
    public bool BlocksIn(string tier) =>
        BlocksEverywhere || BlockTiers.Contains(tier, StringComparer.OrdinalIgnoreCase);

    /// <summary>Multi-line human description: what it matches and what it scores per tier.</summary>
    public string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"rule {Id}: {Summary}").Append('\n');
        if (Detector is not null)
        {
            var detector = BuiltInDetectors.Find(Detector);
            sb.Append(inv, $"  detector: {Detector}").Append(detector is null ? string.Empty : " - " + detector.Summary).Append('\n');
            if (detector is not null)
            {
                foreach (var option in detector.Options)
                {
                    var value = DetectorOptions.TryGetValue(option.Name, out var v) ? v : option.Default;
                    sb.Append(inv, $"    {option.Name}: {value} ({option.Description})").Append('\n');
                }
            }
        }

        var conditions = Conditions().ToList();
        sb.Append("  matches: ").Append(conditions.Count == 0 ? (Detector is null ? "every change" : "whatever the detector finds") : string.Join("; ", conditions)).Append('\n');
        var perTier = string.Join(", ", Score.PerTier.Select(p => string.Create(inv, $"{p.Key} {p.Value}")));
        sb.Append("  score: ").Append(perTier.Length > 0 ? perTier + ", " : string.Empty).Append(inv, $"other tiers {Score.Default}").Append('\n');
        sb.Append("  points are multiplied by the tier's actor and job weights and rounded half up").Append('\n');
        sb.Append("  blocks: ").Append(BlocksEverywhere ? "in every tier" : BlockTiers.Count > 0 ? "in " + string.Join(", ", BlockTiers) : "only when the total reaches the tier's block-at");
        return sb.ToString();
    }

    private IEnumerable<string> Conditions()
    {
        if (Match.Ops.Count > 0)
        {
            yield return "ops " + string.Join(", ", Match.Ops.Select(ChangeOps.Name));
        }

        if (Match.Types.Count > 0)
        {
            yield return "types " + string.Join(", ", Match.Types);
        }

        if (Match.Providers.Count > 0)
        {
            yield return "providers " + string.Join(", ", Match.Providers);
        }

        if (Match.Change is { } c)
        {
            var text = "property " + string.Join(" or ", c.Paths);
            if (c.From.Count > 0)
            {
                text += " from " + string.Join("|", c.From);
            }

            if (c.To.Count > 0)
            {
                text += " to " + string.Join("|", c.To);
            }

            if (c.Direction != ChangeDirection.Any)
            {
                text += " going " + (c.Direction == ChangeDirection.Up ? "up" : "down");
            }

            yield return text;
        }

        foreach (var (key, values) in Match.Tags)
        {
            yield return $"tag {key} in [{string.Join(", ", values)}]";
        }

        if (Match.Actors.Count > 0)
        {
            yield return "actors " + string.Join(", ", Match.Actors.Select(ActorKinds.Name));
        }

        if (Match.Jobs.Count > 0)
        {
            yield return "jobs " + string.Join(", ", Match.Jobs);
        }

        if (Match.Tiers.Count > 0)
        {
            yield return "tiers " + string.Join(", ", Match.Tiers);
        }

        if (Match.Runs.Count > 0)
        {
            yield return "runs " + string.Join(", ", Match.Runs.Select(RunKinds.Name));
        }
    }
}
