using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// <c>approval.refused</c>: a decision the approval rules refused, recorded so that self-approval attempts and
/// ineligible approvers show in the evidence. The rule is named from the refusal's wording (Core/Approvals words
/// each refusal once); anything not recognised is <c>other</c>, with the full reason kept beside it.
/// </summary>
public static class Refusals
{
    /// <summary>The rule names, in the order the approval rules check them.</summary>
    private static readonly (string Prefix, string Rule)[] Rules =
    [
        ("A reason of at least", "reason-too-short"),
        ("This request expired", "expired"),
        ("This decision is for plan", "plan-mismatch"),
        ("Your identity is empty", "no-identity"),
        ("Bots, apps and service accounts", "bot-or-service-account"),
        ("Guest and restricted", "guest-account"),
        ("You requested this change", "self-approval"),
        ("The agent that requested this change acts on your behalf", "agent-principal"),
        ("You authored a commit", "commit-author"),
        ("You are not eligible", "ineligible-approver"),
        ("You have already decided", "already-decided"),
    ];

    /// <summary>The rule a refusal reason states, or <c>other</c>.</summary>
    public static string RuleOf(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        foreach (var (prefix, rule) in Rules)
        {
            if (reason.StartsWith(prefix, StringComparison.Ordinal))
            {
                return rule;
            }
        }

        return "other";
    }

    /// <summary>The event for a refused decision on <paramref name="request"/>.</summary>
    public static AuditEvent Event(ChangeRequest request, RequestDecision attempt, string reason)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentNullException.ThrowIfNull(reason);
        return new(AuditEventTypes.ApprovalRefused, attempt.At, request.Id, new Dictionary<string, JsonNode?>
        {
            ["approver"] = new JsonObject { ["person"] = attempt.Approver.PersonId, ["identity"] = attempt.Approver.RawIdentity },
            ["channel"] = attempt.Channel.ToString().ToLowerInvariant(),
            ["verdict"] = attempt.Verdict.ToString().ToLowerInvariant(),
            ["rule"] = RuleOf(reason),
            ["refusal"] = reason,
            ["plan_hash"] = request.PlanHash,
            ["tier"] = request.Tier,
        });
    }
}
