using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy;

/// <summary>
/// The pack's <c>actions:</c> section: the privileged actions InfraGuard guards besides infrastructure changes
/// (exporting data, assuming elevated privileges, reading secrets …). Kinds say what an action of each kind looks
/// like and what it scores; rules add points for arguments, targets, data classes and the same context as
/// infrastructure rules; tiers, thresholds, approvers and expiry are the pack's own.
/// </summary>
public sealed record ActionPolicy
{
    /// <summary>No actions defined: every action kind is unknown and refused.</summary>
    public static ActionPolicy Empty { get; } = new();

    /// <summary>The tier of an action whose target no tier's <c>targets:</c> claims; null for the pack's default tier.</summary>
    public string? DefaultTier { get; init; }

    /// <summary>Data classes in file order (the first whose patterns match wins, so list the strictest first).</summary>
    public IReadOnlyList<DataClass> DataClasses { get; init; } = [];

    /// <summary>Action kinds in file order.</summary>
    public IReadOnlyList<ActionKindPolicy> Kinds { get; init; } = [];

    /// <summary>Scoring rules in file order.</summary>
    public IReadOnlyList<ActionRule> Rules { get; init; } = [];

    /// <summary>The kind called <paramref name="name"/> (case-insensitive), or null.</summary>
    public ActionKindPolicy? FindKind(string name) =>
        Kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The rule with this id (case-insensitive), or null.</summary>
    public ActionRule? FindRule(string id) =>
        Rules.FirstOrDefault(r => string.Equals(r.Id, id, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A data class and the patterns (over an action's target and arguments) that put an action in it.</summary>
/// <param name="Name">The class (<c>restricted</c>, <c>confidential</c>).</param>
/// <param name="Patterns">Globs; any match on the target or on any argument puts the action in the class.</param>
public sealed record DataClass(string Name, IReadOnlyList<Glob> Patterns);

/// <summary>
/// One action kind: what its commands or tool calls look like (<see cref="Match"/>: the server recognises a kind by
/// itself, so a command declared as something milder is still scored as what it is), and its base points per tier.
/// </summary>
public sealed record ActionKindPolicy
{
    /// <summary>The kind's name (<c>data.export</c>).</summary>
    public required string Name { get; init; }

    /// <summary>One line saying what the kind is and why it is guarded.</summary>
    public required string Summary { get; init; }

    /// <summary>The verb phrase for the request's sentence (<c>export data from</c>): "… wants to export data from orders/customers".</summary>
    public required string Phrase { get; init; }

    /// <summary>Alternatives: an action is of this kind when it is declared so or any alternative matches. Empty: only when declared.</summary>
    public IReadOnlyList<ActionMatch> Match { get; init; } = [];

    /// <summary>Base points per tier for any action of this kind.</summary>
    public required RuleScore Score { get; init; }

    /// <summary>1-based line in the pack.</summary>
    public int Line { get; init; }

    /// <summary>Multi-line human description for <c>policy explain</c>.</summary>
    public string Describe() => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"action kind {Name}: {Summary}").Append('\n')
        .Append("  recognised by: ").Append(Match.Count == 0 ? "being declared (infraguard exec --action " + Name + ")" : "being declared, or " + string.Join(" | ", Match.Select(m => m.Describe()))).Append('\n')
        .Append("  score: ").Append(ActionRule.ScoreText(Score)).Append('\n')
        .Append("  points are multiplied by the tier's actor and job weights and rounded half up")
        .ToString();
}

/// <summary>One scoring rule for actions: every condition given must hold; an empty list means any.</summary>
public sealed record ActionRule
{
    /// <summary>Unique rule id (shared with infrastructure rules' ids).</summary>
    public required string Id { get; init; }

    /// <summary>One-line reason shown with findings.</summary>
    public required string Summary { get; init; }

    /// <summary>Conditions.</summary>
    public required ActionMatch Match { get; init; }

    /// <summary>Points per tier.</summary>
    public required RuleScore Score { get; init; }

    /// <summary>Tiers in which a match blocks whatever the score.</summary>
    public IReadOnlyList<string> BlockTiers { get; init; } = [];

    /// <summary>A match blocks in every tier.</summary>
    public bool BlocksEverywhere { get; init; }

    /// <summary>1-based line in the pack.</summary>
    public int Line { get; init; }

    /// <summary>True when a match blocks in <paramref name="tier"/>.</summary>
    public bool BlocksIn(string tier) => BlocksEverywhere || BlockTiers.Contains(tier, StringComparer.OrdinalIgnoreCase);

    /// <summary>Multi-line human description for <c>policy explain</c>.</summary>
    public string Describe() => new StringBuilder()
        .Append(CultureInfo.InvariantCulture, $"action rule {Id}: {Summary}").Append('\n')
        .Append("  matches: ").Append(Match.Describe()).Append('\n')
        .Append("  score: ").Append(ScoreText(Score)).Append('\n')
        .Append("  points are multiplied by the tier's actor and job weights and rounded half up").Append('\n')
        .Append("  blocks: ").Append(BlocksEverywhere ? "in every tier" : BlockTiers.Count > 0 ? "in " + string.Join(", ", BlockTiers) : "only when the total reaches the tier's block-at")
        .ToString();

    internal static string ScoreText(RuleScore score)
    {
        var perTier = string.Join(", ", score.PerTier.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value}")));
        return (perTier.Length > 0 ? perTier + ", " : string.Empty) + string.Create(CultureInfo.InvariantCulture, $"other tiers {score.Default}");
    }
}

/// <summary>
/// Conditions on an action. Globs match whole strings, case-insensitively, without backtracking; regular
/// expressions run with .NET's non-backtracking engine (time linear in the input) and a match timeout.
/// </summary>
public sealed record ActionMatch
{
    /// <summary>How long one regular expression may run on one argument.</summary>
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Action kinds (rules only).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = [];

    /// <summary>Program names (the file name of the first argument: <c>pg_dump</c>, <c>aws</c>).</summary>
    public IReadOnlyList<Glob> Commands { get; init; } = [];

    /// <summary>Tool names (MCP tool calls).</summary>
    public IReadOnlyList<Glob> Tools { get; init; } = [];

    /// <summary>Each pattern must match at least one argument (a tool call's arguments as <c>name=value</c>).</summary>
    public IReadOnlyList<Glob> Args { get; init; } = [];

    /// <summary>Each regular expression must match (somewhere in) at least one argument.</summary>
    public IReadOnlyList<ArgsPattern> ArgsRegex { get; init; } = [];

    /// <summary>Target patterns (rules only).</summary>
    public IReadOnlyList<Glob> Targets { get; init; } = [];

    /// <summary>Data classes (rules only).</summary>
    public IReadOnlyList<string> DataClasses { get; init; } = [];

    /// <summary>Actor kinds (rules only).</summary>
    public IReadOnlyList<ActorKind> Actors { get; init; } = [];

    /// <summary>Job type patterns (rules only); an action without a job type never matches a non-empty list.</summary>
    public IReadOnlyList<Glob> Jobs { get; init; } = [];

    /// <summary>Tiers (rules only).</summary>
    public IReadOnlyList<string> Tiers { get; init; } = [];

    /// <summary>Patterns over the person an agent acts for (rules only); an action on nobody's behalf never matches a non-empty list.</summary>
    public IReadOnlyList<Glob> OnBehalfOf { get; init; } = [];

    /// <summary>True when every condition holds for <paramref name="facts"/>.</summary>
    public bool Matches(ActionFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        return (Kinds.Count == 0 || Kinds.Any(k => facts.Kinds.Contains(k, StringComparer.OrdinalIgnoreCase)))
            && (Commands.Count == 0 || (facts.IsCommand && Commands.Any(g => g.IsMatch(facts.Program))))
            && (Tools.Count == 0 || (!facts.IsCommand && Tools.Any(g => g.IsMatch(facts.Program))))
            && Args.All(g => facts.Words.Any(g.IsMatch))
            && ArgsRegex.All(r => facts.Words.Any(r.IsMatch))
            && (Targets.Count == 0 || (facts.Target is { } t && Targets.Any(g => g.IsMatch(t))))
            && (DataClasses.Count == 0 || (facts.DataClass is { } c && DataClasses.Contains(c, StringComparer.OrdinalIgnoreCase)))
            && (Actors.Count == 0 || Actors.Contains(facts.ActorKind))
            && (Jobs.Count == 0 || (facts.JobType is { } j && Jobs.Any(g => g.IsMatch(j))))
            && (Tiers.Count == 0 || Tiers.Contains(facts.Tier, StringComparer.OrdinalIgnoreCase))
            && (OnBehalfOf.Count == 0 || (facts.OnBehalfOf is { } p && OnBehalfOf.Any(g => g.IsMatch(p))));
    }

    /// <summary>The conditions in words.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        void Add(string name, IEnumerable<object> values)
        {
            var list = values.Select(v => v.ToString()).ToList();
            if (list.Count > 0)
            {
                parts.Add($"{name} {string.Join(", ", list)}");
            }
        }

        Add("kinds", Kinds);
        Add("commands", Commands.Select(g => g.Pattern));
        Add("tools", Tools.Select(g => g.Pattern));
        Add("args", Args.Select(g => g.Pattern));
        Add("args-regex", ArgsRegex.Select(r => r.Pattern));
        Add("targets", Targets.Select(g => g.Pattern));
        Add("data-classes", DataClasses);
        Add("actors", Actors.Select(a => ActorKinds.Name(a)));
        Add("jobs", Jobs.Select(g => g.Pattern));
        Add("tiers", Tiers);
        Add("on-behalf-of", OnBehalfOf.Select(g => g.Pattern));
        return parts.Count == 0 ? "every action" : string.Join("; ", parts);
    }
}

/// <summary>What action matchers look at: the action (exact, in memory only) and its context.</summary>
/// <param name="Kinds">The declared kind and every kind the action was recognised as.</param>
/// <param name="IsCommand">True for a command line, false for a tool call.</param>
/// <param name="Program">The program's file name or the tool's name.</param>
/// <param name="Words">The arguments (<see cref="Actions.ProposedAction.Words"/>).</param>
/// <param name="Target">The target, if named.</param>
/// <param name="DataClass">The data class, if any pattern matched.</param>
/// <param name="ActorKind">Who asks.</param>
/// <param name="JobType">Job label, if any.</param>
/// <param name="Tier">The tier the action falls in.</param>
/// <param name="OnBehalfOf">The person an agent acts for, resolved, if any.</param>
public sealed record ActionFacts(
    IReadOnlyList<string> Kinds,
    bool IsCommand,
    string Program,
    IReadOnlyList<string> Words,
    string? Target,
    string? DataClass,
    ActorKind ActorKind,
    string? JobType,
    string Tier,
    string? OnBehalfOf);

/// <summary>
/// An <c>args-regex</c> pattern, run with .NET's non-backtracking engine (time linear in the argument) and a match
/// timeout. The engine is built on first use: building it with case-insensitivity costs tens of milliseconds, which
/// every <c>up</c> would otherwise pay for action rules it never runs. <see cref="Problem"/> checks a pattern at load.
/// </summary>
public sealed class ArgsPattern
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

    // Constructs the non-backtracking engine rejects, so a pack that uses one is refused at load, not at first use.
    private static readonly string[] Unsupported = ["(?=", "(?!", "(?<=", "(?<!", "(?>", "(?(", "\\k<", "\\k'"];

    private readonly Lazy<Regex?> _regex;

    /// <summary>A pattern already checked with <see cref="Problem"/>.</summary>
    public ArgsPattern(string pattern)
    {
        Pattern = pattern;
        _regex = new(() =>
        {
            try
            {
                return new Regex(pattern, Options, ActionMatch.RegexTimeout);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException)
            {
                return null;
            }
        });
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Why <paramref name="pattern"/> cannot be used (syntax, or a construct without a linear-time match), or null.</summary>
    public static string? Problem(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var construct = Unsupported.FirstOrDefault(c => pattern.Contains(c, StringComparison.Ordinal))
            ?? (Regex.IsMatch(pattern, @"\\[1-9]", RegexOptions.None, TimeSpan.FromSeconds(1)) ? "\\N" : null);
        if (construct is not null)
        {
            return $"'{construct}' is a look-around, backreference, atomic group or conditional, which no linear-time engine runs";
        }

        try
        {
            _ = new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.IgnoreCase); // syntax only: cheap to build
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>True when the pattern matches somewhere in <paramref name="word"/>; running out of time, or an engine that cannot run it, counts as a match: fail closed.</summary>
    public bool IsMatch(string word)
    {
        try
        {
            return _regex.Value?.IsMatch(word) ?? true;
        }
        catch (RegexMatchTimeoutException)
        {
            return true;
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Pattern;
}

/// <summary>The kinds of request besides the action kinds a pack defines under <c>actions:</c>.</summary>
public static class RequestKinds
{
    /// <summary>The kind of a guarded <c>up</c>: apply exactly the approved plan.</summary>
    public const string InfraApply = "infra.apply";

    /// <summary>The kind of a guarded <c>up --refresh-only</c>: accept the drift of exactly the approved refresh-only plan into state.</summary>
    public const string InfraRefreshOnly = "infra.refresh-only";

    /// <summary>The request kind of a guarded run of <paramref name="run"/>.</summary>
    public static string Of(Changes.RunKind run) => run == Changes.RunKind.RefreshOnly ? InfraRefreshOnly : InfraApply;
}
