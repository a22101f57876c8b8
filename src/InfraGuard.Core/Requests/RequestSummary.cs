using System.Globalization;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Requests;

/// <summary>
/// The sentence that leads every channel message and the web page: who (an agent acting for whom), what, where, and
/// why it needs review — "An AI agent (cost-bot) acting for alice wants to downsize production database orders-db
/// (db.r6g.2xlarge → db.t4g.medium) and cut its backupRetentionPeriod from 14 to 1 in stack prod; it needs review:
/// score 130, review at 60." Built from the stored (already redacted) findings only.
/// </summary>
public static class RequestSummary
{
    private const int MaxPhrases = 3;

    /// <summary>The one-sentence summary of <paramref name="request"/>.</summary>
    public static string Sentence(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var a = request.Assessment;
        if (request.Action is { } action)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{Who(request)} wants to {ActionPhrase(action)} ({action.Kind}, tier {request.Tier}) with `{Shorten(action.Display())}`; {Why(request)}.");
        }

        var phrases = Phrases(request.Tier, a.Findings).ToList();
        var what = phrases.Count == 0
            ? "apply a change"
            : Join(phrases.Take(MaxPhrases).ToList()) + (phrases.Count > MaxPhrases ? $", and {phrases.Count - MaxPhrases} more" : string.Empty);
        return request.Kind == RequestKinds.InfraRefreshOnly
            ? string.Create(CultureInfo.InvariantCulture, $"{Who(request)} wants a refresh-only run that accepts drift into the state of stack {request.Stack} ({(phrases.Count == 0 ? "no finding" : what)}); {Why(request)}.")
            : string.Create(CultureInfo.InvariantCulture, $"{Who(request)} wants to {what} in stack {request.Stack}; {Why(request)}.");
    }

    /// <summary>"export data from orders/customers", or "run data.export with pg_dump" when no target was named.</summary>
    public static string ActionPhrase(Requests.ActionRecord action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var phrase = action.Phrase ?? $"run {action.Kind} on";
        var target = action.Target ?? action.Program;
        var data = action.DataClass is { } c ? $" ({c} data)" : string.Empty;
        return $"{phrase} {target}{data}";
    }

    private static string Why(ChangeRequest request)
    {
        var a = request.Assessment;
        return request.Decision switch
        {
            Decision.Block => $"it is blocked: score {a.Score}, block at {a.BlockAt}",
            Decision.Review => $"it needs review: score {a.Score}, review at {a.ReviewAt}",
            _ => $"policy allows it: score {a.Score}, review at {a.ReviewAt}",
        };
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..299] + "…";

    /// <summary>"An AI agent (bot) acting for alice", "A pipeline (ci:deploy)", or the person's id.</summary>
    public static string Who(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var actor = request.ActorKind switch
        {
            ActorKind.Agent => $"An AI agent ({request.Requester.PersonId})",
            ActorKind.Pipeline => $"A pipeline ({request.Requester.PersonId})",
            _ => request.Requester.PersonId,
        };
        return request.OnBehalfOf is { Length: > 0 } principal ? $"{actor} acting for {principal}" : actor;
    }

    private static IEnumerable<string> Phrases(string tier, IReadOnlyList<Finding> findings)
    {
        var massDeletes = findings.Count(f => f.RuleId == "mass-deletion");
        if (massDeletes > 0)
        {
            yield return $"delete {findings.Where(f => f.Op == ChangeOp.Delete).Select(f => f.Address).Distinct(StringComparer.Ordinal).Count()} resources";
        }

        foreach (var resource in findings.Where(f => f.RuleId != "mass-deletion" && f.Points > 0)
            .GroupBy(f => f.Address, StringComparer.Ordinal)
            .OrderByDescending(g => g.Sum(f => f.Points)))
        {
            var first = true;
            foreach (var f in resource.OrderByDescending(f => f.Points).DistinctBy(f => (f.RuleId, f.Path)))
            {
                var target = first ? $"{tier} {Kind(f.Type)} {NameOf(f.Address)}" : "its";
                var plain = first ? target : "it";
                yield return f.RuleId switch
                {
                    "size-downgrade" => $"downsize {target}{Change(f)}",
                    "capacity-decrease" or "retention-cut" => $"cut {(first ? target + "'s" : "its")} {Leaf(f.Path)}{FromTo(f)}",
                    "protection-removed" => $"remove the protection of {plain}",
                    "public-exposure" => $"expose {plain} publicly",
                    "iam-privilege" => $"change privileges on {plain}",
                    "secret-material" => $"change secret material of {plain}",
                    "unknown-op" => $"make a change InfraGuard cannot classify to {plain}",
                    _ => $"{Verb(f.Op)} {plain}",
                };
                first = false;
            }
        }
    }

    private static string Verb(ChangeOp op) => op switch
    {
        ChangeOp.Delete => "delete",
        ChangeOp.Replace => "replace",
        ChangeOp.Create => "create",
        ChangeOp.Update => "update",
        _ => "change",
    };

    private static string Change(Finding f) => f.Before is null && f.After is null ? string.Empty : $" ({f.Before ?? "-"} → {f.After ?? "-"})";

    private static string FromTo(Finding f) => f.Before is null && f.After is null ? string.Empty : $" from {f.Before ?? "-"} to {f.After ?? "-"}";

    private static string Leaf(string? path) => path is null ? "capacity" : path[(path.LastIndexOfAny(['.', '/']) + 1)..];

    /// <summary>The resource's name: the last part of a Pulumi URN (after <c>::</c>) or a Terraform address (after the last dot).</summary>
    private static string NameOf(string address)
    {
        var urn = address.LastIndexOf("::", StringComparison.Ordinal);
        var name = urn >= 0 ? address[(urn + 2)..] : address[(address.LastIndexOf('.') + 1)..];
        return name.Length > 0 ? name : address;
    }

    /// <summary>A word for the resource type a reviewer recognises at a glance.</summary>
    private static string Kind(string type)
    {
        var t = type.ToLowerInvariant();
        return t switch
        {
            _ when t.Contains("rds", StringComparison.Ordinal) || t.Contains("sql", StringComparison.Ordinal) || t.Contains("database", StringComparison.Ordinal) || t.Contains("dynamodb", StringComparison.Ordinal) => "database",
            _ when t.Contains("bucket", StringComparison.Ordinal) || t.Contains("storage", StringComparison.Ordinal) => "storage",
            _ when t.Contains("iam", StringComparison.Ordinal) || t.Contains("role", StringComparison.Ordinal) => "IAM resource",
            _ when t.Contains("cluster", StringComparison.Ordinal) || t.Contains("node", StringComparison.Ordinal) => "cluster",
            _ => "resource",
        };
    }

    private static string Join(List<string> parts) => parts.Count switch
    {
        1 => parts[0],
        2 => $"{parts[0]} and {parts[1]}",
        _ => string.Join(", ", parts.Take(parts.Count - 1)) + ", and " + parts[^1],
    };
}
