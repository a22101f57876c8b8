using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Requests;

/// <summary>
/// The audit events a request's life produces. Fields are ids, hashes, identities and reasons only: never plan
/// values, diagnostics or secrets. Decision events carry the plan and policy-pack hashes so an approval cannot be
/// replayed for another plan.
/// </summary>
public static class RequestAuditEvents
{
    /// <summary><c>plan.submitted</c>: a request was stored.</summary>
    public static AuditEvent Submitted(ChangeRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(AuditEventTypes.PlanSubmitted, r.CreatedAt, r.Id, WithAction(r, new Dictionary<string, JsonNode?>
        {
            ["stack"] = r.Stack,
            ["project"] = r.Project,
            ["tier"] = r.Tier,
            ["requester"] = Person(r.Requester),
            ["actor_kind"] = r.ActorKind.ToString().ToLowerInvariant(),
            ["on_behalf_of"] = r.OnBehalfOf,
            ["commit_authors"] = new JsonArray([.. r.CommitAuthors.Select(a => (JsonNode?)a)]),
            ["ci_run_id"] = r.CiRunId,
            ["ci_run_url"] = r.CiRunUrl,
            ["plan_hash"] = r.PlanHash,
            ["state_fingerprint"] = r.StateFingerprint,
            ["policy_pack_hash"] = r.PolicyPackHash,
            ["score"] = r.Score,
            ["decision"] = r.Decision.ToString().ToLowerInvariant(),
            ["required_approvals"] = r.RequiredApprovals.Count,
            ["expires_at"] = CanonicalJson.FormatTimestamp(r.ExpiresAt),
            ["submitted_by"] = r.SubmittedBy,
            ["attested"] = r.Attested,
            ["commit"] = r.Commit,
        }));
    }

    /// <summary>An action request's entries also name its kind and the redacted action (the exact one's hash is <c>plan_hash</c>).</summary>
    private static Dictionary<string, JsonNode?> WithAction(ChangeRequest r, Dictionary<string, JsonNode?> fields)
    {
        if (r.Kind != RequestKinds.InfraApply)
        {
            fields["kind"] = r.Kind; // an action, or a refresh-only run (infra.refresh-only)
        }

        if (r.Action is { } a)
        {
            fields["action"] = new JsonObject
            {
                ["kind"] = a.Kind,
                ["target"] = a.Target,
                ["program"] = a.Program,
                ["argv"] = a.Argv is null ? null : new JsonArray([.. a.Argv.Select(x => (JsonNode?)x)]),
                ["tool"] = a.Tool,
                ["arguments"] = a.Arguments?.ToJsonString(), // as text: canonical JSON holds no floats
                ["data_class"] = a.DataClass,
            };
        }

        return fields;
    }

    /// <summary><c>approval.granted</c> or <c>approval.denied</c>, with the transition it caused, if any.</summary>
    public static AuditEvent Decided(ChangeRequest r, RequestDecision d, RequestState? transitionTo)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(d);
        return new(d.Verdict == Verdict.Approve ? AuditEventTypes.ApprovalGranted : AuditEventTypes.ApprovalDenied, d.At, r.Id, new Dictionary<string, JsonNode?>
        {
            ["approver"] = Person(d.Approver),
            ["channel"] = d.Channel.ToString().ToLowerInvariant(),
            ["reason"] = d.Reason,
            ["plan_hash"] = r.PlanHash,
            ["policy_pack_hash"] = r.PolicyPackHash,
            ["from_state"] = Names.Of(r.State),
            ["to_state"] = transitionTo is { } to ? Names.Of(to) : null,
        });
    }

    /// <summary><c>request.state-changed</c>, or <c>deploy.started</c> for approved → applying.</summary>
    public static AuditEvent Transitioned(ChangeRequest r, RequestState to, PersonRef actor, string reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(actor);
        var type = to == RequestState.Applying ? AuditEventTypes.DeployStarted : AuditEventTypes.RequestStateChanged;
        return new(type, at, r.Id, new Dictionary<string, JsonNode?>
        {
            ["actor"] = Person(actor),
            ["reason"] = reason,
            ["plan_hash"] = r.PlanHash,
            ["state_fingerprint"] = r.StateFingerprint,
            ["from_state"] = Names.Of(r.State),
            ["to_state"] = Names.Of(to),
        });
    }

    /// <summary><c>deploy.completed</c>: counts and exit code, never diagnostics.</summary>
    public static AuditEvent ApplyCompleted(ChangeRequest r, ApplyOutcome outcome, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(outcome);
        var counts = new JsonObject();
        foreach (var (op, n) in outcome.Counts.OrderBy(c => c.Key))
        {
            counts[op.ToString().ToLowerInvariant()] = n;
        }

        var fields = new Dictionary<string, JsonNode?>
        {
            ["plan_hash"] = r.PlanHash,
            ["succeeded"] = outcome.Succeeded,
            ["exit_code"] = outcome.ExitCode,
            ["counts"] = counts,
            ["to_state"] = Names.Of(outcome.Succeeded ? RequestState.Applied : RequestState.Failed),
            ["submitted_by"] = r.SubmittedBy,
        };
        if (r.Kind != RequestKinds.InfraApply)
        {
            fields["kind"] = r.Kind;
        }

        return new(AuditEventTypes.DeployCompleted, at, r.Id, fields);
    }

    /// <summary><c>key.rotated</c>: signed by the old key, names the new key id and raw public key (base64).</summary>
    public static AuditEvent KeyRotated(string oldKeyId, IAuditSigner newSigner, PersonRef actor, string reason, DateTimeOffset at) =>
        Rotated(AuditEventTypes.KeyRotated, oldKeyId, newSigner, actor, reason, at);

    private static AuditEvent Rotated(string type, string oldKeyId, IAuditSigner newSigner, PersonRef actor, string reason, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(newSigner);
        ArgumentNullException.ThrowIfNull(actor);
        return new(type, at, null, new Dictionary<string, JsonNode?>
        {
            ["old_key_id"] = oldKeyId,
            ["new_key_id"] = newSigner.KeyId,
            ["new_public_key"] = Convert.ToBase64String(newSigner.PublicKey.Span),
            ["actor"] = Person(actor),
            ["reason"] = reason,
        });
    }

    /// <summary><c>token-key.rotated</c>: the approval-token key was replaced; names both key ids and the new public key.</summary>
    public static AuditEvent TokenKeyRotated(string oldKeyId, IAuditSigner newSigner, PersonRef actor, string reason, DateTimeOffset at) =>
        Rotated(AuditEventTypes.TokenKeyRotated, oldKeyId, newSigner, actor, reason, at);

    /// <summary><c>grant.issued</c>: an approval token was handed to a runner. Carries the token's id, never the token.</summary>
    public static AuditEvent GrantIssued(string? requestId, string stack, string purpose, string planOrState, string tokenId, string submittedBy, DateTimeOffset expiresAt, DateTimeOffset at) =>
        new(AuditEventTypes.GrantIssued, at, requestId, new Dictionary<string, JsonNode?>
        {
            ["stack"] = stack,
            ["purpose"] = purpose,
            ["plan_hash"] = planOrState,
            ["token_id"] = tokenId,
            ["submitted_by"] = submittedBy,
            ["expires_at"] = CanonicalJson.FormatTimestamp(expiresAt),
        });

    private static JsonObject Person(PersonRef p) => new() { ["person"] = p.PersonId, ["identity"] = p.RawIdentity };

}
