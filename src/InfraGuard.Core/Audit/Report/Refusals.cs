using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// <c>approval.refused</c>: a decision the approval rules refused, recorded so that self-approval attempts and
/// ineligible approvers show in the evidence, with the rule that refused it (<see cref="DecisionRefused.Rule"/>).
/// </summary>
public static class Refusals
{
    /// <summary>The event for <paramref name="refusal"/> of <paramref name="attempt"/> on <paramref name="request"/>.</summary>
    public static AuditEvent Event(ChangeRequest request, RequestDecision attempt, DecisionRefused refusal)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(refusal);
        return new(AuditEventTypes.ApprovalRefused, attempt.At, request.Id, new Dictionary<string, JsonNode?>
        {
            ["approver"] = new JsonObject { ["person"] = attempt.Approver.PersonId, ["identity"] = attempt.Approver.RawIdentity },
            ["channel"] = attempt.Channel.Name.ToLowerInvariant(),
            ["verdict"] = attempt.Verdict.ToString().ToLowerInvariant(),
            ["rule"] = refusal.Rule,
            ["refusal"] = refusal.Reason,
            ["plan_hash"] = request.PlanHash,
            ["tier"] = request.Tier,
        });
    }
}
