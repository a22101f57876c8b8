using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Runs;

/// <summary>What <see cref="BreakGlassGate.AdmitAsync"/> decided: the use to record, or why not (a <c>break-glass-…</c> rule).</summary>
/// <param name="Use">The break-glass to record once the request exists (its <see cref="BreakGlassUse.RequestId"/> is still empty).</param>
/// <param name="Rule">The refusal's rule code, when refused.</param>
/// <param name="Message">The refusal's sentence for the person, when refused.</param>
public sealed record BreakGlassAdmission(BreakGlassUse? Use, string? Rule, string? Message);

/// <summary>
/// Break-glass for every kind of request (<c>up</c> through <see cref="ChangeAuthority"/>, <c>exec</c> through
/// <see cref="Actions.BreakGlassAction"/>): decided before anything is stored, so a refused one leaves only its
/// <c>breakglass.refused</c> entry; recorded (<c>breakglass.used</c>, approved, review opened) once the request exists.
/// </summary>
public static class BreakGlassGate
{
    /// <summary>
    /// The break-glass this submission may use, or a refusal, audited as <c>breakglass.refused</c>. The person is the
    /// authenticated requester, never one the evidence names; an agent never breaks the glass; a local run (no flow
    /// store) proves nobody's identity.
    /// </summary>
    public static async Task<BreakGlassAdmission> AdmitAsync(
        PolicyPack policy, TierPolicy tier, Submitter submitter, ActorKind actorKind, string subject, BreakGlassAsk ask,
        IApprovalFlow? flow, IAuditLog audit, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(submitter);
        ArgumentNullException.ThrowIfNull(ask);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(time);
        var person = ApprovalDesk.ApproverFor(policy.Identities, submitter.Requester);
        var refusal = flow is null
            ? ((string Rule, string Message)?)("break-glass-needs-server", "Break-glass needs the approval server (--server): a local run proves nobody's identity. Nothing was applied.")
            : BreakGlassRules.Refusal(tier, person, actorKind, ask);
        var personRef = new PersonRef(person.PersonId, submitter.Requester);
        if (refusal is { } r)
        {
            await audit.AppendAsync(BreakGlassRules.Refused(subject, tier.Name, personRef, submitter.SubmittedBy, ask, r.Rule, time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
            return new BreakGlassAdmission(null, r.Rule, r.Message);
        }

        var now = time.GetUtcNow();
        return new BreakGlassAdmission(
            new BreakGlassUse(string.Empty, personRef, ask.Incident.Trim(), ask.Reason.Trim(), tier.Name, now, now + tier.BreakGlass!.ReviewWithin, Math.Max(1, tier.Approvals.Count)),
            null,
            null);
    }

    /// <summary>Records an admitted break-glass on the stored, pending <paramref name="request"/>; returns the request as it now stands.</summary>
    public static async Task<ChangeRequest> RecordAsync(BreakGlassUse use, ChangeRequest request, IApprovalFlow flow, IChangeStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(use);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(flow);
        ArgumentNullException.ThrowIfNull(store);
        var used = await flow.BreakGlassAsync(use with { RequestId = request.Id }, cancellationToken).ConfigureAwait(false);
        return used.Request ?? await store.GetAsync(request.Id, cancellationToken).ConfigureAwait(false) ?? request;
    }
}
