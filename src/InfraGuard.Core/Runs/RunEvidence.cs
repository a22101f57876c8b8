using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Runs;

/// <summary>
/// What a runner hands the authority after a preview: evidence, never a verdict. The authority reads the engine
/// output itself, checks the saved plan against it, hashes the plan, and scores it with its own policy pack.
/// </summary>
/// <param name="Engine">Which engine wrote the evidence.</param>
/// <param name="Stack">Stack name.</param>
/// <param name="Project">Project label.</param>
/// <param name="EngineOutput">The engine's preview output (Pulumi event log, Terraform plan JSON).</param>
/// <param name="SavedPlan">The saved plan file the apply will be constrained to; empty when the preview failed.</param>
/// <param name="StateFingerprint">Lower-case hex SHA-256 of the normalised state when previewed.</param>
/// <param name="ActorKind">What the runner says it is; the authority may only make this stricter (see <see cref="ChangeAuthority"/>).</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="DeclaredTier">A tier the project asks for (stack config <c>infraguard:tier</c>); it can only make the tier stricter.</param>
/// <param name="OnBehalfOf">The person an agent acts for (raw identity); they can never approve.</param>
/// <param name="CommitAuthors">Authors of the change's commits (raw identities); they can never approve.</param>
/// <param name="CiRunId">CI run id (idempotency key).</param>
/// <param name="CiRunUrl">Link to the CI run.</param>
/// <param name="BreakGlass">Apply without waiting under the tier's break-glass: the incident and why. Who is never part of it: the authority takes the authenticated person.</param>
/// <param name="Run">What the run applies: the plan's changes, or (refresh-only) the drift into state. The engine's reader checks the saved plan is of that kind.</param>
public sealed record RunEvidence(
    EngineKind Engine,
    string Stack,
    string Project,
    byte[] EngineOutput,
    byte[] SavedPlan,
    string StateFingerprint,
    ActorKind ActorKind,
    string? JobType = null,
    string? DeclaredTier = null,
    string? OnBehalfOf = null,
    IReadOnlyList<string>? CommitAuthors = null,
    string? CiRunId = null,
    string? CiRunUrl = null,
    Approvals.BreakGlassAsk? BreakGlass = null,
    RunKind Run = RunKind.Update);

/// <summary>Who submitted evidence, as the authority established it (never from the evidence itself).</summary>
/// <param name="Requester">The person or agent who asked: a verified CI actor, a token's identity, or the local user.</param>
/// <param name="SubmittedBy">The authenticated credential's identity (a runner token's or a CI trust rule's).</param>
/// <param name="Attested">True when <paramref name="Requester"/> comes from a verified CI workload-identity token.</param>
/// <param name="Commit">The commit the verified token names, when attested.</param>
/// <param name="ActorKind">The actor kind the credential fixes, if any (a trust rule's); overrides the runner's word.</param>
/// <param name="RunUrl">The CI run link the verified token names, when attested.</param>
public sealed record Submitter(string Requester, string SubmittedBy, bool Attested, string? Commit = null, ActorKind? ActorKind = null, string? RunUrl = null)
{
    /// <summary>
    /// The <c>risk.scored</c> entry for a submission the policy blocked (no request is stored): who, what
    /// (<paramref name="subject"/>: stack and project, or kind, target and program), the tier, score and rules.
    /// </summary>
    public AuditEvent Blocked(DateTimeOffset at, Assessment assessment, string policyHash, string planHash, IReadOnlyDictionary<string, JsonNode?> subject)
    {
        ArgumentNullException.ThrowIfNull(assessment);
        ArgumentNullException.ThrowIfNull(subject);
        var payload = new Dictionary<string, JsonNode?>(subject)
        {
            ["tier"] = assessment.Tier,
            ["requester"] = Requester,
            ["submitted_by"] = SubmittedBy,
            ["attested"] = Attested,
            ["actor_kind"] = ActorKinds.Name(assessment.ActorKind),
            ["plan_hash"] = planHash,
            ["policy_pack_hash"] = policyHash,
            ["score"] = assessment.Score,
            ["decision"] = "block",
            ["rules"] = new JsonArray([.. assessment.Findings.Select(f => f.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(r => (JsonNode?)r)]),
        };
        return new(AuditEventTypes.RiskScored, at, null, payload);
    }
}

/// <summary>The authority's answer to a submission.</summary>
/// <param name="Assessment">The authority's own assessment.</param>
/// <param name="PlanHash">The plan hash the authority computed from the saved plan (empty when there is none).</param>
/// <param name="HasChanges">False when the preview found nothing to change.</param>
/// <param name="Request">The stored request (allowed changes come back approved by policy); null when blocked or nothing changes.</param>
/// <param name="Created">True when the request is new; false when an earlier run's request was found again.</param>
public sealed record Submission(Assessment Assessment, string PlanHash, bool HasChanges, ChangeRequest? Request, bool Created);

/// <summary>An approval token for the engine (CrossGuard): what it is for and the environment that carries it.</summary>
/// <param name="TokenId">A short id recorded in the audit log; never the token.</param>
/// <param name="Environment">Variables to hand only to the engine process.</param>
/// <param name="ExpiresAt">When the token stops being accepted.</param>
public sealed record EngineGrant(string TokenId, IReadOnlyDictionary<string, string> Environment, DateTimeOffset ExpiresAt);

/// <summary>
/// Reads one engine's evidence: the engine output into a change set, the saved plan into its hash, and whether the
/// plan's per-resource operations are the ones the output shows. Implemented next to each engine's driver.
/// </summary>
public interface IEvidenceReader
{
    /// <summary>The engine this reader understands.</summary>
    EngineKind Engine { get; }

    /// <summary>Reads the preview output; throws <see cref="Readers.PlanReadException"/> for malformed input.</summary>
    ChangeSet Read(byte[] engineOutput);

    /// <summary>The plan's identifying hash; throws <see cref="Readers.PlanReadException"/> when it is not a plan.</summary>
    string PlanHash(byte[] savedPlan);

    /// <summary>
    /// Null when every resource the plan touches is touched the same way in <paramref name="changes"/> and vice versa,
    /// and the plan is of the run kind <paramref name="changes"/> was read as (<see cref="ChangeSet.Kind"/>); else the first difference, in words.
    /// </summary>
    string? Mismatch(ChangeSet changes, byte[] savedPlan);
}

/// <summary>
/// The authority a guarded run answers to: the approval server, or the local store in local mode. It scores evidence
/// with its own policy, stores requests, gates the apply on the signed record of the approval, and issues the engine's
/// approval tokens. The runner never holds its keys.
/// </summary>
public interface IRunAuthority
{
    /// <summary>Reads, checks and scores the evidence; stores a request when the change needs one or is allowed.</summary>
    /// <exception cref="SubmissionRefusedException">The evidence is inconsistent or unreadable.</exception>
    Task<Submission> SubmitAsync(RunEvidence evidence, CancellationToken cancellationToken);

    /// <summary>A token that lets the engine preview <paramref name="stack"/> on state <paramref name="stateFingerprint"/>.</summary>
    Task<EngineGrant> PreviewGrantAsync(string stack, string stateFingerprint, CancellationToken cancellationToken);

    /// <summary>A token that lets the engine apply exactly the approved plan of <paramref name="request"/>; only for an approved request.</summary>
    Task<EngineGrant> ApplyGrantAsync(ChangeRequest request, CancellationToken cancellationToken);

    /// <summary>Moves an approved request to applying, once the signed audit log shows the approval of exactly its plan.</summary>
    Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken);

    /// <summary>Records that a run was interrupted (Ctrl-C, SIGTERM) in <paramref name="phase"/>, naming who submitted it.</summary>
    Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken);
}

/// <summary>The authority refused evidence: it does not read, or the plan does not match the output. The message says which and what to do.</summary>
public sealed class SubmissionRefusedException(string code, string message) : Exception(message)
{
    /// <summary>A short machine code: <c>bad-evidence</c>, <c>plan-mismatch</c>, <c>unknown-engine</c>.</summary>
    public string Code { get; } = code;
}
