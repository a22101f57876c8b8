using System.Text.RegularExpressions;
using InfraGuard.Core.Facts;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Core.Policy;

/// <summary>The <c>actions:</c> section.</summary>
internal sealed partial class PolicyParser
{
    private static readonly string[] ActionFields = ["default-tier", "data-classes", "kinds", "rules"];
    private static readonly string[] KindFields = ["summary", "phrase", "match", "score", "description"];
    private static readonly string[] KindMatchFields = ["commands", "tools", "args", "args-regex"];
    private static readonly string[] ActionRuleFields = ["id", "summary", "description", "match", "score", "block"];
    private static readonly string[] ActionMatchFields = ["kinds", "commands", "tools", "args", "args-regex", "targets", "data-classes", "actors", "jobs", "tiers", "on-behalf-of"];

    /// <summary>Longest regular expression accepted in <c>args-regex</c>.</summary>
    private const int MaxRegexLength = 500;

    private ActionPolicy Actions(YamlNode node, IReadOnlyList<string> tiers, IReadOnlyList<PolicyRule> infraRules)
    {
        if (y.Mapping(node, "'actions'") is not { } map)
        {
            return ActionPolicy.Empty;
        }

        var f = y.Fields(map, "'actions'", ActionFields);
        string? defaultTier = null;
        if (f.TryGetValue("default-tier", out var dt) && y.Scalar(dt.Value, "'default-tier' of actions") is { } tierName)
        {
            if (tiers.Contains(tierName, StringComparer.Ordinal))
            {
                defaultTier = tierName;
            }
            else
            {
                y.Error(dt.Value, $"unknown tier '{tierName}' in 'default-tier' of actions; valid tiers: {string.Join(", ", tiers)}");
            }
        }

        var classes = new List<DataClass>();
        if (f.TryGetValue("data-classes", out var dc) && y.Mapping(dc.Value, "'data-classes' of actions") is { } classMap)
        {
            foreach (var (k, v) in classMap.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? string.Empty;
                if (!NameShape().IsMatch(name))
                {
                    y.Error(k, $"data class '{name}' is not valid; use lower-case letters, digits and '-'");
                    continue;
                }

                classes.Add(new DataClass(name, y.Globs(v, $"data class '{name}'")));
            }
        }

        var kinds = new List<ActionKindPolicy>();
        var declared = new List<string>(); // every well-named kind, even one with mistakes inside: rules may name it
        if (f.TryGetValue("kinds", out var kn) && y.Mapping(kn.Value, "'kinds' of actions") is { } kindMap)
        {
            foreach (var (k, v) in kindMap.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? string.Empty;
                if (!KindShape().IsMatch(name))
                {
                    y.Error(k, $"action kind '{name}' is not valid; use dotted lower-case words such as data.export or iam.assume-role");
                }
                else if (name is RequestKinds.InfraApply or RequestKinds.InfraRefreshOnly)
                {
                    y.Error(k, $"action kind '{name}' is built in: infrastructure changes are scored by 'rules:'; remove it from 'actions.kinds'");
                }
                else
                {
                    declared.Add(name);
                    if (Kind(name, v, tiers) is { } kind)
                    {
                        kinds.Add(kind);
                    }
                }
            }
        }

        var rules = new List<ActionRule>();
        if (f.TryGetValue("rules", out var r))
        {
            if (r.Value is not YamlSequenceNode seq)
            {
                y.Error(r.Value, $"'rules' of actions must be a list of rules ('- id: ...'), found {YamlWalker.Describe(r.Value)}");
            }
            else
            {
                var ids = new HashSet<string>(infraRules.Select(x => x.Id), StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < seq.Children.Count; i++)
                {
                    if (ActionRuleOf(seq.Children[i], i + 1, tiers, declared, classes) is not { } rule)
                    {
                        continue;
                    }

                    if (!ids.Add(rule.Id))
                    {
                        y.Error(seq.Children[i], $"duplicate rule id '{rule.Id}' in actions; rule ids must be unique across 'rules' and 'actions.rules'");
                        continue;
                    }

                    rules.Add(rule);
                }
            }
        }

        return new ActionPolicy { DefaultTier = defaultTier, DataClasses = classes, Kinds = kinds, Rules = rules };
    }

    private ActionKindPolicy? Kind(string name, YamlNode node, IReadOnlyList<string> tiers)
    {
        var where = $"action kind '{name}'";
        if (y.Mapping(node, where) is not { } map)
        {
            return null;
        }

        var errorsBefore = y.Errors.Count;
        var f = y.Fields(map, where, KindFields);
        y.Required(map, f, "summary", where);
        y.Required(map, f, "score", where);
        var matches = new List<ActionMatch>();
        if (f.TryGetValue("match", out var m))
        {
            IEnumerable<YamlNode> alternatives = m.Value is YamlSequenceNode seq ? seq.Children : [m.Value];
            foreach (var alternative in alternatives)
            {
                if (ActionMatchOf(alternative, where, KindMatchFields, tiers, [], []) is { } match)
                {
                    matches.Add(match);
                }
            }
        }

        var summary = f.TryGetValue("summary", out var su) ? y.Scalar(su.Value, $"'summary' of {where}") : null;
        var phrase = f.TryGetValue("phrase", out var ph) ? y.Scalar(ph.Value, $"'phrase' of {where}") : $"run {name} on";
        var score = f.TryGetValue("score", out var s) ? Score(s.Value, where, tiers) : null;
        return y.Errors.Count > errorsBefore || summary is null || phrase is null || score is null
            ? null
            : new ActionKindPolicy { Name = name, Summary = summary, Phrase = phrase, Match = matches, Score = score, Line = (int)map.Start.Line };
    }

    private ActionRule? ActionRuleOf(YamlNode node, int index, IReadOnlyList<string> tiers, IReadOnlyList<string> kinds, IReadOnlyList<DataClass> classes)
    {
        if (y.Mapping(node, $"action rule #{index}") is not { } map)
        {
            return null;
        }

        var id = map.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "id").Value is YamlScalarNode idNode ? idNode.Value : null;
        var where = id is null ? $"action rule #{index}" : $"action rule '{id}'";
        var errorsBefore = y.Errors.Count;
        var f = y.Fields(map, where, ActionRuleFields);
        y.Required(map, f, "id", where);
        y.Required(map, f, "summary", where);
        y.Required(map, f, "score", where);
        if (id is not null && !NameShape().IsMatch(id))
        {
            y.Error(f["id"].Value, $"rule id '{id}' is not valid; use lower-case letters, digits and '-'");
        }

        var match = f.TryGetValue("match", out var m)
            ? ActionMatchOf(m.Value, where, ActionMatchFields, tiers, kinds, [.. classes.Select(c => c.Name)])
            : new ActionMatch();
        var summary = f.TryGetValue("summary", out var su) ? y.Scalar(su.Value, $"'summary' of {where}") : null;
        var score = f.TryGetValue("score", out var s) ? Score(s.Value, where, tiers) : null;
        var (blockAll, blockTiers) = f.TryGetValue("block", out var b) ? Block(b.Value, where, tiers) : (false, []);
        return y.Errors.Count > errorsBefore || id is null || summary is null || match is null || score is null
            ? null
            : new ActionRule { Id = id, Summary = summary, Match = match, Score = score, BlocksEverywhere = blockAll, BlockTiers = blockTiers, Line = (int)map.Start.Line };
    }

    private ActionMatch? ActionMatchOf(YamlNode node, string where, IReadOnlyList<string> fields, IReadOnlyList<string> tiers, IReadOnlyList<string> kinds, IReadOnlyList<string> classes)
    {
        var what = $"'match' of {where}";
        if (y.Mapping(node, what) is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, what, fields);
        List<string> Named(string field, IReadOnlyList<string> valid, string noun)
        {
            var result = new List<string>();
            if (!f.TryGetValue(field, out var entry))
            {
                return result;
            }

            foreach (var (itemNode, text) in y.List(entry.Value, $"'{field}' of {where}"))
            {
                if (valid.Contains(text, StringComparer.Ordinal))
                {
                    result.Add(text);
                }
                else
                {
                    y.Error(itemNode, $"unknown {noun} '{text}' in {where}; valid: {(valid.Count == 0 ? "none defined" : string.Join(", ", valid))}");
                }
            }

            return result;
        }

        var actors = new List<ActorKind>();
        if (f.TryGetValue("actors", out var a))
        {
            foreach (var (itemNode, text) in y.List(a.Value, $"'actors' of {where}"))
            {
                if (ActorKinds.TryParse(text, out var actor))
                {
                    actors.Add(actor);
                }
                else
                {
                    y.Error(itemNode, $"unknown actor kind '{text}' in {where}; valid actor kinds: {string.Join(", ", ActorKinds.All.Select(ActorKinds.Name))}");
                }
            }
        }

        var regexes = new List<ArgsPattern>();
        if (f.TryGetValue("args-regex", out var rx))
        {
            foreach (var (itemNode, text) in y.List(rx.Value, $"'args-regex' of {where}"))
            {
                if (text.Length > MaxRegexLength)
                {
                    y.Error(itemNode, $"regular expression in 'args-regex' of {where} is {text.Length} characters long; at most {MaxRegexLength} are allowed");
                }
                else if (ArgsPattern.Problem(text) is { } problem)
                {
                    y.Error(itemNode, $"bad regular expression '{text}' in 'args-regex' of {where}: {problem} (the non-backtracking engine has no look-arounds, backreferences or atomic groups; use globs in 'args' for simple cases)");
                }
                else
                {
                    regexes.Add(new ArgsPattern(text));
                }
            }
        }

        List<Glob> Globs(string field) => f.TryGetValue(field, out var entry) ? [.. y.Globs(entry.Value, $"'{field}' of {where}")] : [];
        return new ActionMatch
        {
            Kinds = Named("kinds", kinds, "action kind"),
            Commands = Globs("commands"),
            Tools = Globs("tools"),
            Args = Globs("args"),
            ArgsRegex = regexes,
            Targets = Globs("targets"),
            DataClasses = Named("data-classes", classes, "data class"),
            Actors = actors,
            Jobs = Globs("jobs"),
            Tiers = f.TryGetValue("tiers", out var ti) ? TierList(ti.Value, $"'tiers' of {where}", tiers) : [],
            OnBehalfOf = Globs("on-behalf-of"),
        };
    }

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex KindShape();
}
