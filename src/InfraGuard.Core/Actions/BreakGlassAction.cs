using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Runs;

namespace InfraGuard.Core.Actions;

/// <summary>
/// <c>infraguard exec --break-glass</c>: the same rules as <c>up --break-glass</c> (<see cref="BreakGlassGate"/>), for an
/// action. An action that needs review is admitted or refused before anything is stored (a refusal is an
/// <see cref="ActionRefusedException"/> with the <c>break-glass-…</c> code, audited as <c>breakglass.refused</c>); an
/// admitted one is stored by <paramref name="actions"/> and at once approved under break-glass, with its review opened.
/// Allowed actions need no glass and blocked ones stay blocked.
/// </summary>
public sealed class BreakGlassAction(ActionAuthority actions, PolicyPack policy, IChangeStore store, IAuditLog audit, IApprovalFlow? flow, TimeProvider time, Submitter submitter)
{
    /// <summary>Submits <paramref name="proposal"/> under break-glass.</summary>
    /// <exception cref="ActionRefusedException">The action is malformed, or the break-glass is refused (code <c>break-glass-…</c>).</exception>
    public async Task<ActionSubmission> SubmitAsync(ActionProposal proposal, BreakGlassAsk ask, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        ArgumentNullException.ThrowIfNull(ask);
        var assessment = actions.Assess(proposal);
        BreakGlassUse? use = null;
        if (assessment.Decision == Decision.Review)
        {
            var shown = proposal.Action.Redacted();
            var admission = await BreakGlassGate.AdmitAsync(policy, policy.FindTier(assessment.Tier)!, submitter, assessment.ActorKind, shown.Target ?? shown.Program, ask, flow, audit, time, cancellationToken).ConfigureAwait(false);
            use = admission.Use ?? throw new ActionRefusedException(admission.Rule!, admission.Message!);
        }

        var submission = await actions.SubmitActionAsync(proposal, cancellationToken).ConfigureAwait(false);
        return use is not null && submission.Request is { State: RequestState.Pending } request
            ? submission with { Request = await BreakGlassGate.RecordAsync(use, request, flow!, store, cancellationToken).ConfigureAwait(false) }
            : submission;
    }
}

/// <summary>An <see cref="IActionAuthority"/> whose submissions go through <paramref name="submit"/> (a break-glass one); starting and cancelling stay <paramref name="inner"/>'s.</summary>
public sealed class BreakGlassActions(IActionAuthority inner, Func<ActionProposal, CancellationToken, Task<ActionSubmission>> submit) : IActionAuthority
{
    /// <inheritdoc/>
    public Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, CancellationToken cancellationToken) => submit(proposal, cancellationToken);

    /// <inheritdoc/>
    public Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken) => inner.BeginApplyAsync(requestId, cancellationToken);

    /// <inheritdoc/>
    public Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken) => inner.RecordCancelledAsync(stack, requestId, phase, cancellationToken);
}
