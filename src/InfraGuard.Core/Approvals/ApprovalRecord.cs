using System.Text.Json;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Approvals;

/// <summary>
/// Whether the signed audit log, not just the request's state column, says a request was approved: the decision
/// entries for exactly its plan hash, genuine and signed by a key of the log. What the apply gate checks.
/// </summary>
public static class ApprovalRecord
{
    /// <summary>Null when the record holds; else why the approval cannot be trusted.</summary>
    /// <param name="request">The request as stored (state approved).</param>
    /// <param name="entries">The audit entries whose subject is the request, in any order.</param>
    /// <param name="keys">The log's public keys.</param>
    public static string? Problem(ChangeRequest request, IEnumerable<AuditEntry> entries, IReadOnlyList<AuditPublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(keys);
        var approvers = new HashSet<string>(StringComparer.Ordinal);
        var approved = false;
        var brokeGlass = false;
        foreach (var entry in entries.OrderBy(e => e.Seq))
        {
            if (entry.Kind is not (AuditEventTypes.ApprovalGranted or AuditEventTypes.RequestStateChanged or FlowAuditEvents.BreakGlassUsed) || !AuditVerifier.IsGenuine(entry, keys))
            {
                continue;
            }

            using var payload = JsonDocument.Parse(entry.Payload);
            var root = payload.RootElement;
            if (Text(root, "request") != request.Id || Text(root, "plan_hash") != request.PlanHash)
            {
                continue;
            }

            if (entry.Kind == AuditEventTypes.ApprovalGranted && root.TryGetProperty("approver", out var approver))
            {
                approvers.Add(Text(approver, "person") ?? string.Empty);
            }

            // A break-glass approves without approvers: the signed entry names who broke the glass and opens the review.
            brokeGlass |= entry.Kind == FlowAuditEvents.BreakGlassUsed && Text(root, "to_state") == "approved";
            approved |= brokeGlass || Text(root, "to_state") == "approved"
                && (entry.Kind == AuditEventTypes.ApprovalGranted || Text(root.GetProperty("actor"), "identity") == PersonRef.System.RawIdentity);
        }

        return !approved
            ? $"the audit log holds no signed decision approving {request.Id} for plan {request.PlanHash[..Math.Min(12, request.PlanHash.Length)]}; the stored state was not reached through a decision. Nothing is applied: run 'infraguard audit verify' and investigate"
            : !brokeGlass && request.Decision == Risk.Decision.Review && approvers.Count < Math.Max(1, request.RequiredApprovals.Count)
                ? $"the audit log holds {approvers.Count} signed approval(s) of {request.Id}, but its tier needs {request.RequiredApprovals.Count}; nothing is applied"
                : null;
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
