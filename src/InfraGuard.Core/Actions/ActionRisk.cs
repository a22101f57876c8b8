using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Actions;

/// <summary>The context of an action besides the action itself, as the authority established it.</summary>
/// <param name="ActorKind">Who asks (the authority only makes it stricter than the caller says).</param>
/// <param name="OnBehalfOf">The person an agent acts for, resolved to a person id; they can never approve.</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="DeclaredTier">A tier the caller asks for; it can only make the tier stricter.</param>
public sealed record ActionContext(ActorKind ActorKind, string? OnBehalfOf = null, string? JobType = null, string? DeclaredTier = null);

/// <summary>
/// Scores a <see cref="ProposedAction"/> with the pack's <c>actions:</c> section, the way <see cref="RiskEngine"/>
/// scores a change set: pure and deterministic; the same tier thresholds, actor and job weights, approvals and expiry.
/// The action is scored as its declared kind and as every kind it is recognised as (a <c>pg_dump</c> declared as
/// <c>db.read</c> still scores as <c>data.export</c>); its data class is the first class whose patterns match its
/// target or any argument.
/// </summary>
public static class ActionRisk
{
    /// <summary>Assesses <paramref name="action"/>.</summary>
    /// <exception cref="ActionRefusedException">The declared kind is not defined in the pack.</exception>
    public static Assessment Assess(ProposedAction action, ActionContext context, PolicyPack pack)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pack);
        var declared = pack.Actions.FindKind(action.Kind)
            ?? throw new ActionRefusedException("unknown-kind", $"Action kind '{action.Kind}' is not defined in the policy pack ({pack.Source}); defined kinds: {(pack.Actions.Kinds.Count == 0 ? "none" : string.Join(", ", pack.Actions.Kinds.Select(k => k.Name)))}. Add it under 'actions.kinds' or use one of those.");

        var tier = TierOf(action, context, pack);
        var words = action.Words();
        var program = action.Program;
        var isCommand = action.Argv is not null;
        var recognition = new ActionFacts([], isCommand, program, words, action.Target, null, context.ActorKind, context.JobType, tier.Name, context.OnBehalfOf);
        var kinds = new List<ActionKindPolicy> { declared };
        kinds.AddRange(pack.Actions.Kinds.Where(k => k != declared && k.Match.Any(m => m.Matches(recognition))));
        var dataClass = DataClassOf(action, pack);
        var facts = recognition with { Kinds = [.. kinds.Select(k => k.Name)], DataClass = dataClass };

        var weight = tier.WeightFor(context.ActorKind, context.JobType);
        var address = action.Target ?? program;
        var classNote = dataClass is null ? string.Empty : $" (data class {dataClass})";
        var findings = new List<Finding>();
        foreach (var kind in kinds)
        {
            var points = RiskEngine.RoundPoints(kind.Score.For(tier.Name) * weight);
            if (points > 0)
            {
                var why = kind == declared ? kind.Summary : $"{kind.Summary} (the {(isCommand ? "command" : "tool call")} is recognised as {kind.Name})";
                findings.Add(new Finding(kind.Name, address, kind.Name, ChangeOp.Update, null, null, null, points, why + classNote));
            }
        }

        foreach (var rule in pack.Actions.Rules.Where(r => r.Match.Matches(facts)))
        {
            var points = RiskEngine.RoundPoints(rule.Score.For(tier.Name) * weight);
            var blocks = rule.BlocksIn(tier.Name);
            if (points > 0 || blocks)
            {
                findings.Add(new Finding(rule.Id, address, declared.Name, ChangeOp.Update, null, null, null, points, rule.Summary + classNote, blocks));
            }
        }

        findings.Sort((a, b) => b.Points != a.Points ? b.Points.CompareTo(a.Points) : string.CompareOrdinal(a.RuleId, b.RuleId));
        var score = (int)Math.Min(int.MaxValue, findings.Sum(f => (long)f.Points));
        var notes = new List<string>();
        notes.AddRange(kinds.Where(k => k != declared).Select(k => $"Declared as {declared.Name}, but the {(isCommand ? "command" : "tool call")} is also recognised as {k.Name}; it is scored as both."));
        var blocking = findings.Where(f => f.Blocking).Select(f => f.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        notes.AddRange(blocking.Select(id => $"Rule '{id}' blocks any matching action in tier '{tier.Name}'."));
        var decision = blocking.Count > 0 || score >= tier.BlockAt ? Decision.Block : score >= tier.ReviewAt ? Decision.Review : Decision.Allow;
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

    /// <summary>The first data class (in the pack's order) whose patterns match the action's target or any of its arguments, or null.</summary>
    public static string? DataClassOf(ProposedAction action, PolicyPack pack)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(pack);
        var words = action.Words();
        return pack.Actions.DataClasses.FirstOrDefault(c => c.Patterns.Any(g => (action.Target is { } t && g.IsMatch(t)) || words.Any(g.IsMatch)))?.Name;
    }

    /// <summary>The tier the pack gives the target, unless the caller asks for a stricter one.</summary>
    public static TierPolicy TierOf(ProposedAction action, ActionContext context, PolicyPack pack)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(pack);
        var tier = pack.ResolveActionTier(action.Target);
        return context.DeclaredTier is { Length: > 0 } asked && pack.FindTier(asked) is { } stricter && stricter.IsStricterThan(tier) ? stricter : tier;
    }
}

/// <summary>The authority refused an action: malformed, or of a kind the pack does not define. The message says why and what to do.</summary>
public sealed class ActionRefusedException(string code, string message) : Exception(message)
{
    /// <summary>A short machine code: <c>bad-action</c>, <c>unknown-kind</c>.</summary>
    public string Code { get; } = code;
}
