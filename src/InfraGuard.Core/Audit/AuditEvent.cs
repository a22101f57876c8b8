using System.Text.Json.Nodes;

namespace InfraGuard.Core.Audit;

/// <summary>
/// An event to append. Its payload is the canonical JSON object <c>{"at":…,"request":…,"type":…, …fields}</c>.
/// Fields hold ids, hashes, identities and reasons only, never secrets or property values.
/// </summary>
/// <param name="Type">Event type, e.g. <see cref="AuditEventTypes.ApprovalGranted"/>.</param>
/// <param name="At">When it happened (formatted with <see cref="CanonicalJson.FormatTimestamp"/>).</param>
/// <param name="Request">The change request it concerns, if any.</param>
/// <param name="Fields">Further fields: strings, integers, booleans, arrays and objects of those.</param>
public sealed record AuditEvent(string Type, DateTimeOffset At, string? Request, IReadOnlyDictionary<string, JsonNode?> Fields)
{
    /// <summary>The canonical payload bytes.</summary>
    /// <exception cref="ArgumentException">A field is named <c>type</c>, <c>at</c> or <c>request</c>.</exception>
    public byte[] ToPayload()
    {
        var obj = new JsonObject
        {
            ["type"] = Type,
            ["at"] = CanonicalJson.FormatTimestamp(At),
        };
        if (Request is not null)
        {
            obj["request"] = Request;
        }

        foreach (var (name, value) in Fields)
        {
            if (obj.ContainsKey(name))
            {
                throw new ArgumentException($"Audit field '{name}' is reserved.", nameof(Fields));
            }

            obj[name] = value?.DeepClone();
        }

        return CanonicalJson.Serialize(obj);
    }
}

/// <summary>The audit event types InfraGuard writes.</summary>
public static class AuditEventTypes
{
    /// <summary>A change request was stored with its plan and hashes.</summary>
    public const string PlanSubmitted = "plan.submitted";

    /// <summary>An approver approved (carries plan and policy-pack hashes).</summary>
    public const string ApprovalGranted = "approval.granted";

    /// <summary>An approver rejected (carries plan and policy-pack hashes).</summary>
    public const string ApprovalDenied = "approval.denied";

    /// <summary>A decision the approval rules refused (self-approval, ineligible, …); nothing changed but the attempt is evidence.</summary>
    public const string ApprovalRefused = "approval.refused";

    /// <summary>A request changed state (expired, superseded, cancelled, …).</summary>
    public const string RequestStateChanged = "request.state-changed";

    /// <summary>Apply started.</summary>
    public const string DeployStarted = "deploy.started";

    /// <summary>Apply finished (applied or failed).</summary>
    public const string DeployCompleted = "deploy.completed";

    /// <summary>A plan was scored and blocked by policy (no request is made for a blocked plan).</summary>
    public const string RiskScored = "risk.scored";

    /// <summary>A guarded run was interrupted (Ctrl-C, SIGTERM) and stopped the engine.</summary>
    public const string RunCancelled = "run.cancelled";

    /// <summary>An approval token (CrossGuard grant) was issued to a runner; names the token id, never the token.</summary>
    public const string GrantIssued = "grant.issued";

    /// <summary>The approval-token key was rotated (not the audit key: the log's signatures are unaffected).</summary>
    public const string TokenKeyRotated = "token-key.rotated";

    /// <summary>The OIDC issuer's key ring changed: a new signing key (the old one still published), or retired keys dropped from the JWKS.</summary>
    public const string OidcKeyChanged = "oidc-key.changed";

    /// <summary>The signing key was rotated; signed by the old key, names the new one.</summary>
    public const string KeyRotated = "key.rotated";
}
