using System.Globalization;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>What a follow-up does: remind the approvers, escalate to a second group, or chase an overdue break-glass review.</summary>
public enum FollowUpKind
{
    /// <summary>A pending request is posted again for its approvers (<c>request.reminded</c>).</summary>
    Reminder,

    /// <summary>A pending request is escalated: the tier's <c>escalate-to</c> are told and become eligible (<c>request.escalated</c>).</summary>
    Escalation,

    /// <summary>A break-glass review is past its window (<c>breakglass.review-overdue</c>).</summary>
    ReviewOverdue,

    /// <summary>The loud announcement of a break-glass on every channel (its audit entry is <c>breakglass.used</c> itself).</summary>
    BreakGlassAlarm,
}

/// <summary>One follow-up that is due: which request, what, which occurrence (level) and who is to be told or made eligible.</summary>
/// <param name="RequestId">The change request.</param>
/// <param name="Kind">Reminder, escalation or overdue review.</param>
/// <param name="Level">Which occurrence (1 = the first reminder, 2 = the second …): with the request and kind, the key that makes it happen once.</param>
/// <param name="DueAt">When it fell due.</param>
/// <param name="Principals">For an escalation: the principals that become eligible (<c>group:NAME</c>).</param>
public sealed record FollowUp(string RequestId, FollowUpKind Kind, int Level, DateTimeOffset DueAt, IReadOnlyList<string> Principals)
{
    /// <summary>The kind as stored and audited (<c>reminder</c>, <c>escalation</c>, <c>review-overdue</c>).</summary>
    public string KindName => Names(Kind);

    /// <summary>The stored name of a kind.</summary>
    public static string Names(FollowUpKind kind) => kind switch
    {
        FollowUpKind.Reminder => "reminder",
        FollowUpKind.Escalation => "escalation",
        FollowUpKind.BreakGlassAlarm => "break-glass-alarm",
        _ => "review-overdue",
    };
}

/// <summary>
/// Decides, purely from a request, its tier and the time, which follow-ups are due. Only the newest due occurrence is
/// returned (a server that was down does not post a backlog); the store's insert-once key on request, kind and level
/// makes each one happen once however many replicas sweep.
/// </summary>
public static class FollowUpPlanner
{
    /// <summary>The follow-ups due for <paramref name="request"/> at <paramref name="now"/> under <paramref name="tier"/> (none unless pending and unexpired).</summary>
    public static IReadOnlyList<FollowUp> Due(ChangeRequest request, TierPolicy? tier, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var due = new List<FollowUp>();
        if (tier is null || request.State != RequestState.Pending || now >= request.ExpiresAt)
        {
            return due;
        }

        var waited = now - request.CreatedAt;
        if (tier.RemindAfter is { } every && every > TimeSpan.Zero && waited >= every)
        {
            var level = (int)Math.Min(int.MaxValue, waited.Ticks / every.Ticks);
            due.Add(new FollowUp(request.Id, FollowUpKind.Reminder, level, request.CreatedAt + (every * level), []));
        }

        if (tier.EscalateAfter is { } after && tier.EscalateTo.Count > 0 && waited >= after)
        {
            due.Add(new FollowUp(request.Id, FollowUpKind.Escalation, 1, request.CreatedAt + after, tier.EscalateTo));
        }

        return due;
    }

    /// <summary>
    /// The overdue follow-up of an open break-glass review at <paramref name="now"/>: level 1 when the window passed, one
    /// more each further day; null while it is within its window or complete.
    /// </summary>
    public static FollowUp? Overdue(BreakGlassUse use, int reviewsSoFar, DateTimeOffset now, IReadOnlyList<string> escalateTo)
    {
        ArgumentNullException.ThrowIfNull(use);
        ArgumentNullException.ThrowIfNull(escalateTo);
        if (reviewsSoFar >= use.ReviewersNeeded || now < use.ReviewDueAt)
        {
            return null;
        }

        var level = 1 + (int)Math.Min(int.MaxValue - 1, (now - use.ReviewDueAt).Ticks / TimeSpan.TicksPerDay);
        return new FollowUp(use.RequestId, FollowUpKind.ReviewOverdue, level, use.ReviewDueAt.AddDays(level - 1), escalateTo);
    }

    /// <summary>The break-glass announcement, due as soon as the glass is broken.</summary>
    public static FollowUp Alarm(BreakGlassUse use)
    {
        ArgumentNullException.ThrowIfNull(use);
        return new FollowUp(use.RequestId, FollowUpKind.BreakGlassAlarm, 1, use.UsedAt, []);
    }

    /// <summary>The words of the break-glass announcement.</summary>
    public static string AlarmText(BreakGlassUse use, ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(use);
        ArgumentNullException.ThrowIfNull(request);
        return $":rotating_light: BREAK-GLASS: {use.Actor.PersonId} applied change {request.Id} to {request.Stack} ({request.Tier}, score {request.Score}) without waiting for approval, " +
               $"for incident {use.Incident}: {use.Reason}. A retrospective review by {use.ReviewersNeeded} independent reviewer(s) is due by " +
               $"{use.ReviewDueAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}Z ('infraguard reviews record {request.Id}').";
    }

    /// <summary>What every channel posts for a follow-up, the same words everywhere.</summary>
    public static string Text(FollowUp followUp, ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(followUp);
        ArgumentNullException.ThrowIfNull(request);
        var waited = Duration.Format(followUp.DueAt - request.CreatedAt);
        return followUp.Kind switch
        {
            FollowUpKind.Reminder => $"Reminder: change request {request.Id} to {request.Stack} ({request.Tier}, score {request.Score}) has waited {waited} for a decision; it expires at {request.ExpiresAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}Z.",
            FollowUpKind.Escalation => $"Escalated: change request {request.Id} to {request.Stack} ({request.Tier}) has waited {waited} without a decision; {string.Join(", ", followUp.Principals)} may now decide on it too.",
            _ => $"Overdue review: the break-glass change {request.Id} to {request.Stack} ({request.Tier}) has not had its retrospective review; it was due at {followUp.DueAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}Z. " +
                 (followUp.Principals.Count > 0 ? $"Escalated to {string.Join(", ", followUp.Principals)}." : "Review it with 'infraguard reviews record'."),
        };
    }

    /// <summary>The audit entry of a follow-up that happened (<c>request.reminded</c>, <c>request.escalated</c>, <c>breakglass.review-overdue</c>).</summary>
    public static AuditEvent AuditEvent(FollowUp followUp, ChangeRequest request, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(followUp);
        ArgumentNullException.ThrowIfNull(request);
        var type = followUp.Kind switch
        {
            FollowUpKind.Reminder => FlowAuditEvents.RequestReminded,
            FollowUpKind.Escalation => FlowAuditEvents.RequestEscalated,
            _ => FlowAuditEvents.ReviewOverdue,
        };
        return new Audit.AuditEvent(type, at, request.Id, new Dictionary<string, JsonNode?>
        {
            ["stack"] = request.Stack,
            ["tier"] = request.Tier,
            ["level"] = followUp.Level,
            ["due_at"] = CanonicalJson.FormatTimestamp(followUp.DueAt),
            ["plan_hash"] = request.PlanHash,
            ["escalated_to"] = followUp.Principals.Count == 0 ? null : new JsonArray([.. followUp.Principals.Select(p => (JsonNode?)p)]),
        });
    }
}

/// <summary>The audit event types of the approval flow over time.</summary>
public static class FlowAuditEvents
{
    /// <summary>A pending request was posted again for its approvers.</summary>
    public const string RequestReminded = "request.reminded";

    /// <summary>A pending request was escalated to the tier's <c>escalate-to</c>.</summary>
    public const string RequestEscalated = "request.escalated";

    /// <summary>A delegation was granted.</summary>
    public const string DelegationGranted = "delegation.granted";

    /// <summary>A delegation was revoked.</summary>
    public const string DelegationRevoked = "delegation.revoked";

    /// <summary>A change was applied without waiting, under a tier's break-glass (the audit report reads it).</summary>
    public const string BreakGlassUsed = Audit.Report.AuditReportBuilder.BreakGlassUsed;

    /// <summary>A break-glass was refused (not in the group, an agent, no break-glass in the tier); nothing was applied.</summary>
    public const string BreakGlassRefused = "breakglass.refused";

    /// <summary>A reviewer recorded their retrospective review of a break-glass change.</summary>
    public const string BreakGlassReviewed = "breakglass.reviewed";

    /// <summary>A break-glass review passed its window without enough reviewers.</summary>
    public const string ReviewOverdue = "breakglass.review-overdue";
}
