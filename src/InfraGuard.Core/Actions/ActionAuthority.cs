using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Runs;

namespace InfraGuard.Core.Actions;

/// <summary>An action as a runner or a gateway asks for it, with the context it claims (the authority only makes it stricter).</summary>
/// <param name="Action">The exact action.</param>
/// <param name="ActorKind">What the caller says it is: an agent is weighed heavier; a runner can never make itself a human.</param>
/// <param name="OnBehalfOf">The person an agent acts for (raw identity); they can never approve.</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="DeclaredTier">A tier the caller asks for; only a stricter one counts.</param>
/// <param name="CiRunId">CI run id (with the action's hash, the idempotency key).</param>
/// <param name="CiRunUrl">Link to the CI run.</param>
/// <param name="StartWhenAllowed">
/// When policy allows the action, start it in the transaction that stores it (approved by policy and applying at once,
/// for this submitter only): the caller runs it now and skips <see cref="IActionAuthority.BeginApplyAsync"/>. For a caller
/// that needs nothing between approval and start (an MCP gateway's call; not a run that fetches credentials first).
/// </param>
public sealed record ActionProposal(
    ProposedAction Action,
    ActorKind ActorKind,
    string? OnBehalfOf = null,
    string? JobType = null,
    string? DeclaredTier = null,
    string? CiRunId = null,
    string? CiRunUrl = null,
    bool StartWhenAllowed = false);

/// <summary>The authority's answer to an action.</summary>
/// <param name="Assessment">The authority's own assessment.</param>
/// <param name="ActionHash">The SHA-256 of the exact action: the thing an approval is for (and the request's plan hash).</param>
/// <param name="Action">The action as stored and shown, secrets redacted.</param>
/// <param name="Request">The stored request (allowed actions come back approved by policy, or applying when started); null when blocked.</param>
/// <param name="Created">True when the request is new; false when an earlier run's request for the same action was found.</param>
/// <param name="Started">True when the request was started with its submission (<see cref="ActionProposal.StartWhenAllowed"/>): it is applying, for this caller to run now.</param>
public sealed record ActionSubmission(Assessment Assessment, string ActionHash, ActionRecord Action, ChangeRequest? Request, bool Created, bool Started = false);

/// <summary>
/// The authority for privileged actions: the approval server, or the local store in local mode. The same ports as
/// <see cref="IRunAuthority"/> for starting and cancelling, so a request of any kind is started only when the signed
/// audit log holds its approval, and only by the credential that submitted it.
/// </summary>
public interface IActionAuthority
{
    /// <summary>Scores the action with the authority's pack and stores its request (approved by policy when allowed).</summary>
    /// <exception cref="ActionRefusedException">The action is malformed or of a kind the pack does not define.</exception>
    Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, CancellationToken cancellationToken);

    /// <summary>Moves an approved request to applying (the action is about to run), once the signed log shows its approval.</summary>
    Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Records that a run was interrupted in <paramref name="phase"/>.</summary>
    Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken);
}

/// <summary>
/// Turns an action into a verdict and a request, for <c>infraguard exec</c> (through the server's
/// <c>POST /api/v1/actions</c> or locally) and for a server-side gateway (an MCP gateway scoring tool calls): validates
/// the action, scores it with <em>its</em> pack (<see cref="ActionRisk"/>), records a block in the audit log, and stores
/// every other action as a <see cref="ChangeRequest"/> of its kind whose plan hash is the action's SHA-256, with only
/// the redacted action, so every channel shows and decides it like any change. The requester is the submitter's.
/// </summary>
public sealed class ActionAuthority(PolicyPack policy, IChangeStore store, IAuditLog audit, TimeProvider time, Submitter submitter) : IActionAuthority
{
    /// <summary>Only the verdict (a dry run for a gateway or a pull-request check); nothing is stored.</summary>
    /// <exception cref="ActionRefusedException">The action is malformed or of a kind the pack does not define.</exception>
    public Assessment Assess(ActionProposal proposal) => Score(proposal).Assessment;

    /// <inheritdoc/>
    public async Task<ActionSubmission> SubmitActionAsync(ActionProposal proposal, CancellationToken cancellationToken)
    {
        var (assessment, context, record) = Score(proposal);
        var hash = proposal.Action.Hash();
        if (assessment.Decision == Decision.Block)
        {
            await audit.AppendAsync(Blocked(record, assessment, hash), cancellationToken).ConfigureAwait(false);
            return new ActionSubmission(assessment, hash, record, null, Created: false);
        }

        var created = await store.CreateAsync(
            new NewChangeRequest
            {
                Stack = record.Target ?? record.Program,
                Project = record.Program,
                Requester = ApprovalDesk.Resolve(policy.Identities, submitter.Requester),
                ActorKind = assessment.ActorKind,
                OnBehalfOf = context.OnBehalfOf,
                CiRunId = proposal.CiRunId,
                CiRunUrl = submitter.RunUrl ?? proposal.CiRunUrl,
                PlanHash = hash,
                StateFingerprint = hash,
                PolicyPackHash = policy.Hash,
                Assessment = assessment,
                SubmittedBy = submitter.SubmittedBy,
                Attested = submitter.Attested,
                Commit = submitter.Commit,
                Kind = record.Kind,
                Action = record,
                AllowedBecause = assessment.AllowedBecause,
                StartedBy = proposal.StartWhenAllowed ? ApprovalDesk.Resolve(policy.Identities, submitter.SubmittedBy) : null,
            },
            cancellationToken).ConfigureAwait(false);
        return new ActionSubmission(assessment, hash, record, created.Request, created.Created, created.Started);
    }

    /// <inheritdoc/>
    public Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken) => Runs().BeginApplyAsync(requestId, cancellationToken);

    /// <inheritdoc/>
    public Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken) => Runs().RecordCancelledAsync(stack, requestId, phase, cancellationToken);

    // The apply gate (submitter, signed approval of exactly this hash) is the one every request kind goes through.
    private ChangeAuthority Runs() => new(policy, store, audit, [], time, null, submitter);

    private (Assessment Assessment, ActionContext Context, ActionRecord Record) Score(ActionProposal proposal)
    {
        ArgumentNullException.ThrowIfNull(proposal);
        if (proposal.Action.Problem() is { } problem)
        {
            throw new ActionRefusedException("bad-action", $"The action is not well formed: {problem}.");
        }

        // A credential that fixes the actor kind wins; otherwise a caller may call itself an agent (weighed heavier), never a human.
        var actor = submitter.ActorKind ?? (proposal.ActorKind == ActorKind.Agent ? ActorKind.Agent : ActorKind.Pipeline);
        var principal = proposal.OnBehalfOf is { Length: > 0 } raw && !string.IsNullOrWhiteSpace(raw) ? ApprovalDesk.Resolve(policy.Identities, raw).PersonId : null;
        var context = new ActionContext(actor, principal, proposal.JobType, proposal.DeclaredTier);
        var assessment = ActionRisk.Assess(proposal.Action, context, policy);
        var tier = policy.FindTier(assessment.Tier)!;
        if (tier.RequireAttestedRequester && !submitter.Attested && assessment.Decision != Decision.Block)
        {
            assessment = assessment with
            {
                Decision = Decision.Block,
                Approvals = null,
                Notes = [.. assessment.Notes, $"Tier '{tier.Name}' requires an attested requester: submit from CI with its OIDC workload-identity token (GitHub Actions 'id-token: write', GitLab 'id_tokens'), not a static runner token."],
            };
        }

        var kind = policy.Actions.FindKind(proposal.Action.Kind)!;
        var record = proposal.Action.Redacted() with
        {
            Kind = kind.Name,
            Phrase = kind.Phrase,
            DataClass = ActionRisk.DataClassOf(proposal.Action, policy),
        };
        return (assessment, context, record);
    }

    private AuditEvent Blocked(ActionRecord record, Assessment assessment, string hash) =>
        submitter.Blocked(time.GetUtcNow(), assessment, policy.Hash, hash, new Dictionary<string, JsonNode?>
        {
            ["kind"] = record.Kind,
            ["target"] = record.Target,
            ["program"] = record.Program,
        });
}
