using System.Text.RegularExpressions;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy.Detectors;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Core.Policy;

/// <summary>Turns the YAML tree of a pack into a <see cref="PolicyPack"/>, collecting every error.</summary>
internal sealed partial class PolicyParser(string source, YamlWalker y)
{
    private static readonly string[] TopFields = ["apiVersion", "name", "description", "tiers", "rules", "identities", "invariants", "stateful-types", "actions"];
    private static readonly string[] TierFields = ["stacks", "default", "review-at", "block-at", "approvals", "actor-weights", "job-weights", "description", "require-server", "require-attested-requester", "targets", "remind-after", "escalate-after", "escalate-to", "break-glass"];
    private static readonly string[] BreakGlassFields = ["group", "review-within"];
    private static readonly string[] ApprovalFields = ["count", "from", "expires-after"];
    private static readonly string[] RuleFields = ["id", "summary", "description", "detector", "with", "match", "score", "block"];
    private static readonly string[] MatchFields = ["ops", "types", "providers", "change", "tags", "actors", "jobs", "tiers", "runs"];
    private static readonly string[] ChangeFields = ["path", "from", "to", "direction"];
    private static readonly string[] IdentityFields = ["groups", "people"];
    private static readonly string[] GroupFields = ["description"];
    private static readonly string[] PersonFields = ["id", "name", "logins", "emails", "chat", "groups", "kind"];
    private static readonly string[] InvariantFields = ["deletion-protection", "min-backup-retention-days", "private-data-classes", "classification-tag"];
    private static readonly string[] Directions = ["up", "down"];
    private static readonly string[] IdentityKinds = ["member", "guest", "bot"];

    private static readonly TimeSpan DefaultExpiry = TimeSpan.FromHours(4);

    public IReadOnlyList<PolicyError> Errors => y.Errors;

    public PolicyPack? Parse(YamlNode root, string hash)
    {
        if (y.Mapping(root, "the policy file") is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, "the policy file", TopFields);
        y.Required(map, f, "apiVersion", "the policy file");
        y.Required(map, f, "tiers", "the policy file");
        if (f.TryGetValue("apiVersion", out var api) && y.Scalar(api.Value, "'apiVersion'") is { } version && version != PolicyPack.ApiVersionV1)
        {
            y.Error(api.Value, $"unsupported apiVersion '{version}'; valid: {PolicyPack.ApiVersionV1}");
        }

        var name = f.TryGetValue("name", out var n) ? y.Scalar(n.Value, "'name'") : null;
        var identities = f.TryGetValue("identities", out var ids) ? Identities(ids.Value) : IdentityMap.Empty;
        var tiers = f.TryGetValue("tiers", out var t) ? Tiers(t.Value, identities) : [];

        // Names as written, so that one broken tier does not make every reference to it an error too.
        var tierNames = t.Value is YamlMappingNode tierMap
            ? tierMap.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? string.Empty).ToList()
            : tiers.Select(x => x.Name).ToList();
        var extraTypes = f.TryGetValue("stateful-types", out var st) ? y.Globs(st.Value, "'stateful-types'").Select(g => g.Pattern).ToList() : [];
        var rules = f.TryGetValue("rules", out var r) ? Rules(r.Value, tierNames) : [];
        var invariants = f.TryGetValue("invariants", out var inv) ? Invariants(inv.Value, tierNames) : new Dictionary<string, TierInvariants>();
        var actions = f.TryGetValue("actions", out var ac) ? Actions(ac.Value, tierNames, rules) : ActionPolicy.Empty;

        if (y.Errors.Count > 0)
        {
            return null;
        }

        return new PolicyPack
        {
            Source = source,
            Hash = hash,
            Name = name,
            Tiers = tiers,
            Rules = rules,
            Identities = identities,
            Invariants = invariants,
            StatefulTypes = StatefulCatalogue.Default.With(extraTypes),
            Actions = actions,
        };
    }

    private List<TierPolicy> Tiers(YamlNode node, IdentityMap identities)
    {
        var tiers = new List<TierPolicy>();
        if (y.Mapping(node, "'tiers'") is not { } map)
        {
            return tiers;
        }

        if (map.Children.Count == 0)
        {
            y.Error(map, "'tiers' is empty; define at least one tier, e.g. 'development: { default: true, review-at: 1000 }'");
        }

        foreach (var (keyNode, value) in map.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            if (!NameShape().IsMatch(name) || name == "default")
            {
                y.Error(keyNode, $"tier name '{name}' is not valid; use lower-case letters, digits and '-' (and not 'default')");
                continue;
            }

            if (Tier(name, value, identities) is { } tier)
            {
                tiers.Add(tier);
            }
        }

        var defaults = tiers.Where(x => x.IsDefault).ToList();
        if (defaults.Count > 1)
        {
            y.Error(map, $"more than one tier is marked 'default: true' ({string.Join(", ", defaults.Select(x => x.Name))}); mark exactly one");
        }
        else if (defaults.Count == 0 && tiers.Count > 0)
        {
            var catchAll = tiers.Where(x => x.Stacks.Count == 0).ToList();
            if (catchAll.Count == 1)
            {
                var index = tiers.IndexOf(catchAll[0]);
                tiers[index] = catchAll[0] with { IsDefault = true };
            }
            else
            {
                y.Error(map, "no default tier: mark the catch-all tier with 'default: true' (or leave exactly one tier without 'stacks')");
            }
        }

        return tiers;
    }

    private TierPolicy? Tier(string name, YamlNode node, IdentityMap identities)
    {
        var where = $"tier '{name}'";
        if (y.Mapping(node, where) is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, where, TierFields);
        y.Required(map, f, "review-at", where);
        var stacks = f.TryGetValue("stacks", out var s) ? y.Globs(s.Value, $"'stacks' of {where}") : [];
        var targets = f.TryGetValue("targets", out var tg) ? y.Globs(tg.Value, $"'targets' of {where}") : [];
        var isDefault = f.TryGetValue("default", out var d) && y.Bool(d.Value, $"'default' in {where}") == true;
        var requireServer = f.TryGetValue("require-server", out var rs) && y.Bool(rs.Value, $"'require-server' in {where}") == true;
        var requireAttested = f.TryGetValue("require-attested-requester", out var rq) && y.Bool(rq.Value, $"'require-attested-requester' in {where}") == true;
        var reviewAt = f.TryGetValue("review-at", out var ra) ? y.WholeNumber(ra.Value, $"'review-at' in {where}", 1, int.MaxValue) : null;
        var blockAt = f.TryGetValue("block-at", out var ba) ? y.WholeNumber(ba.Value, $"'block-at' in {where}", 1, int.MaxValue) : int.MaxValue;
        if (reviewAt is { } r && blockAt is { } b && b < r)
        {
            y.Error(ba.Value, $"'block-at' ({b}) in {where} is below 'review-at' ({r}); block-at must be at least review-at");
        }

        var approvals = f.TryGetValue("approvals", out var ap) ? Approvals(ap.Value, where, identities) : new ApprovalRequirement(1, [], DefaultExpiry);
        var (remindAfter, escalateAfter, escalateTo, breakGlass) = FollowUps(f, where, approvals, identities);
        var actorWeights = new Dictionary<ActorKind, decimal>();
        if (f.TryGetValue("actor-weights", out var aw) && y.Mapping(aw.Value, $"'actor-weights' in {where}") is { } awMap)
        {
            foreach (var (k, v) in awMap.Children)
            {
                var kind = (k as YamlScalarNode)?.Value ?? string.Empty;
                if (!ActorKinds.TryParse(kind, out var actor))
                {
                    y.Error(k, $"unknown actor kind '{kind}' in 'actor-weights' of {where}; valid actor kinds: {string.Join(", ", ActorKinds.All.Select(ActorKinds.Name))}");
                }
                else if (y.Number(v, $"weight for '{kind}' in {where}", 0m, 100m) is { } w)
                {
                    actorWeights[actor] = w;
                }
            }
        }

        var jobWeights = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase);
        if (f.TryGetValue("job-weights", out var jw) && y.Mapping(jw.Value, $"'job-weights' in {where}") is { } jwMap)
        {
            foreach (var (k, v) in jwMap.Children)
            {
                var job = (k as YamlScalarNode)?.Value ?? string.Empty;
                if (y.Number(v, $"weight for job '{job}' in {where}", 0m, 100m) is { } w)
                {
                    jobWeights[job] = w;
                }
            }
        }

        if (reviewAt is null || blockAt is null || approvals is null)
        {
            return null;
        }

        return new TierPolicy
        {
            Name = name,
            Stacks = stacks,
            IsDefault = isDefault,
            ReviewAt = reviewAt.Value,
            BlockAt = blockAt.Value,
            Approvals = approvals,
            ActorWeights = actorWeights,
            JobWeights = jobWeights,
            RequireServer = requireServer,
            RequireAttestedRequester = requireAttested,
            Targets = targets,
            RemindAfter = remindAfter,
            EscalateAfter = escalateAfter,
            EscalateTo = escalateTo,
            BreakGlass = breakGlass,
        };
    }

    /// <summary>The tier's approval flow over time: reminders, escalation and break-glass.</summary>
    private (TimeSpan? RemindAfter, TimeSpan? EscalateAfter, List<string> EscalateTo, BreakGlassPolicy? BreakGlass) FollowUps(
        IReadOnlyDictionary<string, (YamlNode Key, YamlNode Value)> f, string where, ApprovalRequirement? approvals, IdentityMap identities)
    {
        var expiry = approvals?.ExpiresAfter ?? DefaultExpiry;
        TimeSpan? remind = null;
        if (f.TryGetValue("remind-after", out var rm) && y.DurationValue(rm.Value, $"'remind-after' in {where}") is { } r)
        {
            remind = r;
            if (r >= expiry)
            {
                y.Error(rm.Value, $"'remind-after' ({Duration.Format(r)}) in {where} is not before the approvals' 'expires-after' ({Duration.Format(expiry)}), so no reminder would ever be sent; make it shorter than {Duration.Format(expiry)}");
            }
        }

        TimeSpan? escalate = null;
        if (f.TryGetValue("escalate-after", out var ea) && y.DurationValue(ea.Value, $"'escalate-after' in {where}") is { } e)
        {
            escalate = e;
            if (e >= expiry)
            {
                y.Error(ea.Value, $"'escalate-after' ({Duration.Format(e)}) in {where} is not before the approvals' 'expires-after' ({Duration.Format(expiry)}), so the request would expire first; make it shorter than {Duration.Format(expiry)}");
            }
        }

        var escalateTo = new List<string>();
        if (f.TryGetValue("escalate-to", out var et))
        {
            IEnumerable<(YamlNode Node, string Value)> items = et.Value is YamlScalarNode one ? [(one, one.Value ?? string.Empty)] : y.List(et.Value, $"'escalate-to' of {where}");
            foreach (var (itemNode, principal) in items)
            {
                if (CheckPrincipal(itemNode, principal, where, identities))
                {
                    escalateTo.Add(principal);
                }
            }
        }

        if (escalate is not null && !f.ContainsKey("escalate-to"))
        {
            y.Error(ea.Value, $"'escalate-after' in {where} needs 'escalate-to' (who is told and may decide then), e.g. 'escalate-to: group:engineering-managers'");
        }
        else if (escalate is null && f.TryGetValue("escalate-to", out var lone))
        {
            y.Error(lone.Value, $"'escalate-to' in {where} needs 'escalate-after' (how long a request waits before it escalates), e.g. 'escalate-after: 2h'");
        }

        BreakGlassPolicy? breakGlass = null;
        if (f.TryGetValue("break-glass", out var bg) && y.Mapping(bg.Value, $"'break-glass' in {where}") is { } bgMap)
        {
            var what = $"'break-glass' in {where}";
            var bf = y.Fields(bgMap, what, BreakGlassFields);
            y.Required(bgMap, bf, "group", what);
            var within = bf.TryGetValue("review-within", out var rw) ? y.DurationValue(rw.Value, $"'review-within' of {what}") : BreakGlassPolicy.DefaultReviewWithin;
            if (bf.TryGetValue("group", out var g) && y.Scalar(g.Value, $"'group' of {what}") is { } group)
            {
                if (!group.StartsWith("group:", StringComparison.Ordinal) || group.Length == "group:".Length)
                {
                    y.Error(g.Value, $"'group' of {what} must be 'group:NAME' (a group of people who may break the glass), not '{group}'");
                }
                else if (CheckPrincipal(g.Value, group, where, identities) && within is { } w)
                {
                    breakGlass = new BreakGlassPolicy(group, w);
                }
            }
        }

        return (remind, escalate, escalateTo, breakGlass);
    }

    private ApprovalRequirement? Approvals(YamlNode node, string where, IdentityMap identities)
    {
        var what = $"'approvals' in {where}";
        if (y.Mapping(node, what) is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, what, ApprovalFields);
        var count = f.TryGetValue("count", out var c) ? y.WholeNumber(c.Value, $"'count' of {what}", 1, 20) : 1;
        var expires = f.TryGetValue("expires-after", out var e) ? y.DurationValue(e.Value, $"'expires-after' of {what}") : DefaultExpiry;
        var from = new List<string>();
        if (f.TryGetValue("from", out var fr))
        {
            foreach (var (itemNode, principal) in y.List(fr.Value, $"'from' of {what}"))
            {
                if (CheckPrincipal(itemNode, principal, where, identities))
                {
                    from.Add(principal);
                }
            }
        }

        return count is null || expires is null ? null : new ApprovalRequirement(count.Value, from, expires.Value);
    }

    private bool CheckPrincipal(YamlNode node, string principal, string where, IdentityMap identities)
    {
        if (principal.StartsWith("group:", StringComparison.Ordinal) && principal.Length > "group:".Length)
        {
            var group = principal["group:".Length..];
            if (identities.Groups.Count > 0 && !identities.Groups.Any(g => g.Name == group))
            {
                y.Error(node, $"unknown group '{group}' in approvals of {where}; groups defined under identities: {string.Join(", ", identities.Groups.Select(g => g.Name))}");
                return false;
            }

            return true;
        }

        if (principal.StartsWith("person:", StringComparison.Ordinal) && principal.Length > "person:".Length)
        {
            var person = principal["person:".Length..];
            if (identities.People.Count > 0 && identities.FindById(person) is null)
            {
                y.Error(node, $"unknown person '{person}' in approvals of {where}; people defined under identities: {string.Join(", ", identities.People.Select(p => p.Id))}");
                return false;
            }

            return true;
        }

        y.Error(node, $"approver '{principal}' in {where} must be 'group:NAME' or 'person:ID'");
        return false;
    }

    private List<PolicyRule> Rules(YamlNode node, IReadOnlyList<string> tiers)
    {
        var rules = new List<PolicyRule>();
        if (node is not YamlSequenceNode seq)
        {
            y.Error(node, $"'rules' must be a list of rules ('- id: ...'), found {YamlWalker.Describe(node)}");
            return rules;
        }

        var firstLine = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var item = seq.Children[i];
            if (Rule(item, i + 1, tiers) is not { } rule)
            {
                continue;
            }

            if (firstLine.TryGetValue(rule.Id, out var line))
            {
                y.Error(item, $"duplicate rule id '{rule.Id}' (first defined at line {line}); rule ids must be unique");
                continue;
            }

            firstLine[rule.Id] = rule.Line;
            rules.Add(rule);
        }

        return rules;
    }

    private PolicyRule? Rule(YamlNode node, int index, IReadOnlyList<string> tiers)
    {
        if (y.Mapping(node, $"rule #{index}") is not { } map)
        {
            return null;
        }

        var id = map.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "id").Value is YamlScalarNode idNode ? idNode.Value : null;
        var where = id is null ? $"rule #{index}" : $"rule '{id}'";
        var errorsBefore = y.Errors.Count;
        var f = y.Fields(map, where, RuleFields);
        y.Required(map, f, "id", where);
        y.Required(map, f, "score", where);
        if (id is not null && !NameShape().IsMatch(id))
        {
            y.Error(f["id"].Value, $"rule id '{id}' is not valid; use lower-case letters, digits and '-'");
        }

        IDetector? detector = null;
        if (f.TryGetValue("detector", out var d) && y.Scalar(d.Value, $"'detector' of {where}") is { } detectorId)
        {
            detector = BuiltInDetectors.Find(detectorId);
            if (detector is null)
            {
                y.Error(d.Value, $"unknown detector '{detectorId}' in {where}; valid detectors: {string.Join(", ", BuiltInDetectors.All.Select(x => x.Id))}");
            }
        }

        var options = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (f.TryGetValue("with", out var w))
        {
            Options(w, where, detector, !f.ContainsKey("detector"), options);
        }

        var match = f.TryGetValue("match", out var m) ? Match(m.Value, where, tiers) : RuleMatch.Any;
        if (match?.Change is not null && f.ContainsKey("detector"))
        {
            y.Error(m.Value, $"{where} has both 'detector' and 'match.change'; a detector decides which properties count, so remove one");
        }

        var score = f.TryGetValue("score", out var s) ? Score(s.Value, where, tiers) : null;
        var (blockAll, blockTiers) = f.TryGetValue("block", out var b) ? Block(b.Value, where, tiers) : (false, []);
        var summary = f.TryGetValue("summary", out var su) ? y.Scalar(su.Value, $"'summary' of {where}") : null;
        if (summary is null && !f.ContainsKey("summary"))
        {
            summary = detector?.Summary;
            if (summary is null)
            {
                y.Error(map, $"{where} is missing 'summary' (only rules with a detector may leave it out)");
            }
        }

        if (y.Errors.Count > errorsBefore || id is null || summary is null || match is null || score is null)
        {
            return null;
        }

        return new PolicyRule
        {
            Id = id,
            Summary = summary,
            Detector = detector?.Id,
            DetectorOptions = options,
            Match = match,
            Score = score,
            BlocksEverywhere = blockAll,
            BlockTiers = blockTiers,
            Line = (int)map.Start.Line,
        };
    }

    private void Options((YamlNode Key, YamlNode Value) with, string where, IDetector? detector, bool noDetector, Dictionary<string, decimal> into)
    {
        if (y.Mapping(with.Value, $"'with' of {where}") is not { } map)
        {
            return;
        }

        if (detector is null)
        {
            if (noDetector)
            {
                y.Error(with.Key, $"'with' in {where} sets detector options, but the rule names no detector");
            }

            return;
        }

        foreach (var (k, v) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? string.Empty;
            var option = detector.Options.FirstOrDefault(o => o.Name == name);
            if (option is null)
            {
                var valid = detector.Options.Count == 0 ? "it has none" : "valid options: " + string.Join(", ", detector.Options.Select(o => o.Name));
                y.Error(k, $"unknown option '{name}' for detector '{detector.Id}' in {where}; {valid}");
            }
            else if (y.Number(v, $"option '{name}' of {where}", option.Min, option.Max) is { } value)
            {
                into[name] = value;
            }
        }
    }

    private RuleMatch? Match(YamlNode node, string where, IReadOnlyList<string> tiers)
    {
        var what = $"'match' of {where}";
        if (y.Mapping(node, what) is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, what, MatchFields);
        var ops = new List<ChangeOp>();
        if (f.TryGetValue("ops", out var o))
        {
            foreach (var (itemNode, text) in y.List(o.Value, $"'ops' of {where}"))
            {
                if (ChangeOps.TryParse(text, out var op))
                {
                    ops.Add(op);
                }
                else
                {
                    y.Error(itemNode, $"unknown op '{text}' in {where}; valid ops: {string.Join(", ", ChangeOps.All.Select(ChangeOps.Name))}");
                }
            }
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

        var runs = new List<RunKind>();
        if (f.TryGetValue("runs", out var r))
        {
            foreach (var (itemNode, text) in y.List(r.Value, $"'runs' of {where}"))
            {
                if (RunKinds.TryParse(text, out var run))
                {
                    runs.Add(run);
                }
                else
                {
                    y.Error(itemNode, $"unknown run kind '{text}' in {where}; valid run kinds: {string.Join(", ", RunKinds.All.Select(RunKinds.Name))}");
                }
            }
        }

        var tags = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (f.TryGetValue("tags", out var t) && y.Mapping(t.Value, $"'tags' of {where}") is { } tagMap)
        {
            foreach (var (k, v) in tagMap.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? string.Empty;
                tags[key] = y.List(v, $"tag '{key}' of {where}").Select(x => x.Value).ToList();
            }
        }

        return new RuleMatch
        {
            Ops = ops,
            Types = f.TryGetValue("types", out var ty) ? y.Globs(ty.Value, $"'types' of {where}") : [],
            Providers = f.TryGetValue("providers", out var p) ? y.Globs(p.Value, $"'providers' of {where}") : [],
            Change = f.TryGetValue("change", out var c) ? Change(c.Value, where) : null,
            Tags = tags,
            Actors = actors,
            Runs = runs,
            Jobs = f.TryGetValue("jobs", out var j) ? y.Globs(j.Value, $"'jobs' of {where}") : [],
            Tiers = f.TryGetValue("tiers", out var ti) ? TierList(ti.Value, $"'tiers' of {where}", tiers) : [],
        };
    }

    private PropertyMatch? Change(YamlNode node, string where)
    {
        var what = $"'change' of {where}";
        if (y.Mapping(node, what) is not { } map)
        {
            return null;
        }

        var f = y.Fields(map, what, ChangeFields);
        y.Required(map, f, "path", what);
        var direction = ChangeDirection.Any;
        if (f.TryGetValue("direction", out var d) && y.Scalar(d.Value, $"'direction' of {what}") is { } text)
        {
            if (text == "up")
            {
                direction = ChangeDirection.Up;
            }
            else if (text == "down")
            {
                direction = ChangeDirection.Down;
            }
            else
            {
                y.Error(d.Value, $"unknown direction '{text}' in {what}; valid directions: {string.Join(", ", Directions)}");
            }
        }

        return new PropertyMatch(
            f.TryGetValue("path", out var p) ? y.Globs(p.Value, $"'path' of {what}", literalBrackets: true) : [],
            f.TryGetValue("from", out var fr) ? y.List(fr.Value, $"'from' of {what}").Select(x => x.Value).ToList() : [],
            f.TryGetValue("to", out var to) ? y.List(to.Value, $"'to' of {what}").Select(x => x.Value).ToList() : [],
            direction);
    }

    private RuleScore? Score(YamlNode node, string where, IReadOnlyList<string> tiers)
    {
        if (node is YamlScalarNode)
        {
            return y.WholeNumber(node, $"'score' of {where}", 0, 1_000_000) is { } flat ? RuleScore.Flat(flat) : null;
        }

        if (y.Mapping(node, $"'score' of {where}") is not { } map)
        {
            return null;
        }

        var perTier = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var fallback = 0;
        var ok = true;
        foreach (var (k, v) in map.Children)
        {
            var tier = (k as YamlScalarNode)?.Value ?? string.Empty;
            if (tier != "default" && !tiers.Contains(tier, StringComparer.Ordinal))
            {
                y.Error(k, $"unknown tier '{tier}' in 'score' of {where}; valid: {string.Join(", ", tiers.Append("default"))}");
                ok = false;
                continue;
            }

            if (y.WholeNumber(v, $"score for '{tier}' in {where}", 0, 1_000_000) is not { } points)
            {
                ok = false;
            }
            else if (tier == "default")
            {
                fallback = points;
            }
            else
            {
                perTier[tier] = points;
            }
        }

        return ok ? new RuleScore(perTier, fallback) : null;
    }

    private (bool All, IReadOnlyList<string> Tiers) Block(YamlNode node, string where, IReadOnlyList<string> tiers)
    {
        if (node is YamlScalarNode)
        {
            return (y.Bool(node, $"'block' of {where} (true, false or a list of tiers)") == true, []);
        }

        return (false, TierList(node, $"'block' of {where}", tiers));
    }

    private List<string> TierList(YamlNode node, string what, IReadOnlyList<string> tiers)
    {
        var result = new List<string>();
        foreach (var (itemNode, tier) in y.List(node, what))
        {
            if (tiers.Contains(tier, StringComparer.Ordinal))
            {
                result.Add(tier);
            }
            else
            {
                y.Error(itemNode, $"unknown tier '{tier}' in {what}; valid tiers: {string.Join(", ", tiers)}");
            }
        }

        return result;
    }

    private Dictionary<string, TierInvariants> Invariants(YamlNode node, IReadOnlyList<string> tiers)
    {
        var result = new Dictionary<string, TierInvariants>(StringComparer.OrdinalIgnoreCase);
        if (y.Mapping(node, "'invariants'") is not { } map)
        {
            return result;
        }

        foreach (var (k, v) in map.Children)
        {
            var tier = (k as YamlScalarNode)?.Value ?? string.Empty;
            if (!tiers.Contains(tier, StringComparer.Ordinal))
            {
                y.Error(k, $"unknown tier '{tier}' in 'invariants'; valid tiers: {string.Join(", ", tiers)}");
                continue;
            }

            var where = $"invariants of tier '{tier}'";
            if (y.Mapping(v, where) is not { } inv)
            {
                continue;
            }

            var f = y.Fields(inv, where, InvariantFields);
            var protection = f.TryGetValue("deletion-protection", out var dp) && y.Bool(dp.Value, $"'deletion-protection' in {where}") == true;
            var retention = f.TryGetValue("min-backup-retention-days", out var mr) ? y.WholeNumber(mr.Value, $"'min-backup-retention-days' in {where}", 0, 35_000) : null;
            var classes = f.TryGetValue("private-data-classes", out var pc) ? y.List(pc.Value, $"'private-data-classes' in {where}").Select(x => x.Value).ToList() : [];
            var tag = f.TryGetValue("classification-tag", out var ct) ? y.Scalar(ct.Value, $"'classification-tag' in {where}") : TierInvariants.DefaultClassificationTag;
            result[tier] = new TierInvariants(protection, retention, classes, tag ?? TierInvariants.DefaultClassificationTag);
        }

        return result;
    }

    private IdentityMap Identities(YamlNode node)
    {
        if (y.Mapping(node, "'identities'") is not { } map)
        {
            return IdentityMap.Empty;
        }

        var f = y.Fields(map, "'identities'", IdentityFields);
        var groups = new List<IdentityGroup>();
        if (f.TryGetValue("groups", out var g) && y.Mapping(g.Value, "'groups' of identities") is { } groupMap)
        {
            foreach (var (k, v) in groupMap.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? string.Empty;
                if (!NameShape().IsMatch(name))
                {
                    y.Error(k, $"group name '{name}' is not valid; use lower-case letters, digits and '-'");
                    continue;
                }

                var description = string.Empty;
                if (v is YamlScalarNode s)
                {
                    description = s.Value ?? string.Empty;
                }
                else if (y.Mapping(v, $"group '{name}'") is { } gm)
                {
                    var gf = y.Fields(gm, $"group '{name}'", GroupFields);
                    description = gf.TryGetValue("description", out var dn) ? y.Scalar(dn.Value, $"'description' of group '{name}'") ?? string.Empty : string.Empty;
                }

                groups.Add(new IdentityGroup(name, description));
            }
        }

        var people = new List<Person>();
        if (f.TryGetValue("people", out var p))
        {
            if (p.Value is not YamlSequenceNode seq)
            {
                y.Error(p.Value, $"'people' must be a list ('- id: ...'), found {YamlWalker.Describe(p.Value)}");
            }
            else
            {
                foreach (var item in seq.Children)
                {
                    if (Person(item, groups) is { } person)
                    {
                        if (people.Any(x => IdentityKey.Canonical(x.Id) == IdentityKey.Canonical(person.Id)))
                        {
                            y.Error(item, $"duplicate person id '{person.Id}'; person ids must be unique (ignoring case, width and invisible characters)");
                        }
                        else if (SharedName(people, person) is { } shared)
                        {
                            y.Error(item, $"'{shared.Name}' of person '{person.Id}' also names person '{shared.Other.Id}'; one identity must name one person");
                        }
                        else
                        {
                            people.Add(person);
                        }
                    }
                }
            }
        }

        return new IdentityMap { People = people, Groups = groups };
    }

    /// <summary>A name of <paramref name="person"/> whose canonical key already names someone else.</summary>
    private static (string Name, Person Other)? SharedName(List<Person> people, Person person)
    {
        foreach (var name in person.Names)
        {
            var key = IdentityKey.Canonical(name);
            if (people.FirstOrDefault(p => p.Names.Any(n => IdentityKey.Canonical(n) == key)) is { } other)
            {
                return (name, other);
            }
        }

        return null;
    }

    private Person? Person(YamlNode node, List<IdentityGroup> groups)
    {
        if (y.Mapping(node, "each person") is not { } map)
        {
            return null;
        }

        var id = map.Children.FirstOrDefault(kv => (kv.Key as YamlScalarNode)?.Value == "id").Value is YamlScalarNode idNode ? idNode.Value : null;
        var where = id is null ? "a person" : $"person '{id}'";
        var f = y.Fields(map, where, PersonFields);
        y.Required(map, f, "id", where);
        var memberOf = new List<string>();
        if (f.TryGetValue("groups", out var g))
        {
            foreach (var (itemNode, group) in y.List(g.Value, $"'groups' of {where}"))
            {
                if (groups.Count > 0 && !groups.Any(x => x.Name == group))
                {
                    y.Error(itemNode, $"unknown group '{group}' for {where}; groups defined under identities: {string.Join(", ", groups.Select(x => x.Name))}");
                }
                else
                {
                    memberOf.Add(group);
                }
            }
        }

        var kind = IdentityKind.Member;
        if (f.TryGetValue("kind", out var k) && y.Scalar(k.Value, $"'kind' of {where}") is { } kindText)
        {
            var index = Array.IndexOf(IdentityKinds, kindText);
            if (index < 0)
            {
                y.Error(k.Value, $"unknown kind '{kindText}' for {where}; valid kinds: {string.Join(", ", IdentityKinds)}");
            }
            else
            {
                kind = (IdentityKind)index;
            }
        }

        if (id is null)
        {
            return null;
        }

        return new Person(
            id,
            f.TryGetValue("name", out var n) ? y.Scalar(n.Value, $"'name' of {where}") ?? id : id,
            f.TryGetValue("logins", out var l) ? y.List(l.Value, $"'logins' of {where}").Select(x => x.Value).ToList() : [],
            f.TryGetValue("emails", out var e) ? y.List(e.Value, $"'emails' of {where}").Select(x => x.Value).ToList() : [],
            f.TryGetValue("chat", out var c) ? y.List(c.Value, $"'chat' of {where}").Select(x => x.Value).ToList() : [],
            memberOf,
            kind);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex NameShape();
}
