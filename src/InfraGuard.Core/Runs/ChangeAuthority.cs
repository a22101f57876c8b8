using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Readers;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Runs;

/// <summary>
/// The one place that turns a runner's evidence into a verdict: it reads the engine output with the engine's own
/// reader, refuses a saved plan whose operations differ from that output, hashes the plan itself, resolves the tier
/// and actor kind so that the runner can only make them stricter, scores the change with <em>its</em> policy pack,
/// stores the request (approved by policy when allowed), gates the apply on the signed audit record of the approval,
/// and mints the engine's approval tokens with a key the runner never sees. The approval server runs it for every
/// runner; local mode runs it on the runner's own machine, which is why production tiers require the server.
/// </summary>
public sealed class ChangeAuthority(
    PolicyPack policy,
    IChangeStore store,
    IAuditLog audit,
    IEnumerable<IEvidenceReader> readers,
    TimeProvider time,
    IAuditSigner? tokenKey,
    Submitter submitter,
    IApprovalFlow? flow = null) : IRunAuthority
{
    /// <summary>How long an engine approval token lives: long enough for the engine to start, short enough to be useless later.</summary>
    public static readonly TimeSpan GrantLifetime = TimeSpan.FromMinutes(15);

    private readonly Dictionary<EngineKind, IEvidenceReader> _readers = readers.ToDictionary(r => r.Engine);

    /// <inheritdoc/>
    public async Task<Submission> SubmitAsync(RunEvidence evidence, CancellationToken cancellationToken)
    {
        var reader = ReaderFor(evidence);
        if (evidence.StateFingerprint is not { Length: 64 } || !evidence.StateFingerprint.All(char.IsAsciiHexDigitLower))
        {
            throw new SubmissionRefusedException("bad-evidence", "stateFingerprint must be a lower-case hex SHA-256 digest (64 characters).");
        }

        var (changes, assessment) = Score(evidence, reader);
        var planHash = evidence.SavedPlan.Length == 0 ? string.Empty : Read(() => reader.PlanHash(evidence.SavedPlan), "saved plan");

        // A preview that failed saved no plan; only a blocked verdict can stand without one.
        if (planHash.Length == 0 && assessment.Decision != Decision.Block)
        {
            throw new SubmissionRefusedException("bad-evidence", "savedPlan is empty: a change can only be submitted with the plan its preview saved.");
        }

        if (planHash.Length > 0 && reader.Mismatch(changes, evidence.SavedPlan) is { } mismatch)
        {
            throw new SubmissionRefusedException("plan-mismatch", $"The saved plan does not match the engine output: {mismatch}. Submit the plan and the output of one preview.");
        }

        if (assessment.Decision == Decision.Block)
        {
            await audit.AppendAsync(Scored(evidence, assessment, planHash), cancellationToken).ConfigureAwait(false);
            return new Submission(assessment, planHash, HasChanges(changes), null, Created: false);
        }

        if (!HasChanges(changes))
        {
            return new Submission(assessment, planHash, HasChanges: false, null, Created: false);
        }

        // Break-glass is decided before anything is stored: a refused one leaves only its audit entry.
        var breakGlass = evidence.BreakGlass is { } ask && assessment.Decision == Decision.Review
            ? await BreakGlassAsync(evidence, ask, assessment, cancellationToken).ConfigureAwait(false)
            : null;

        var artifacts = new List<(ArtifactKind, byte[])> { (ArtifactKind.SavedPlan, evidence.SavedPlan) };
        if (evidence.EngineOutput.Length > 0)
        {
            artifacts.Add((ArtifactKind.EngineOutput, evidence.EngineOutput));
        }

        var created = await store.CreateAsync(
            new NewChangeRequest
            {
                Stack = evidence.Stack,
                Project = evidence.Project,
                Requester = ApprovalDesk.Resolve(policy.Identities, submitter.Requester),
                ActorKind = assessment.ActorKind,
                OnBehalfOf = evidence.OnBehalfOf is { Length: > 0 } principal ? ApprovalDesk.Resolve(policy.Identities, principal).PersonId : null,
                CommitAuthors = [.. (evidence.CommitAuthors ?? []).Where(a => !string.IsNullOrWhiteSpace(a)).Select(a => ApprovalDesk.Resolve(policy.Identities, a).PersonId).Distinct(StringComparer.OrdinalIgnoreCase)],
                CiRunId = evidence.CiRunId,
                CiRunUrl = submitter.RunUrl ?? evidence.CiRunUrl,
                PlanHash = planHash,
                StateFingerprint = evidence.StateFingerprint,
                PolicyPackHash = policy.Hash,
                Assessment = assessment,
                Artifacts = artifacts,
                SubmittedBy = submitter.SubmittedBy,
                Attested = submitter.Attested,
                Commit = submitter.Commit,
                AllowedBecause = assessment.AllowedBecause,
                Kind = RequestKinds.Of(changes.Kind),
            },
            cancellationToken).ConfigureAwait(false);
        var request = created.Request;
        if (breakGlass is not null && request.State == RequestState.Pending)
        {
            request = await BreakGlassGate.RecordAsync(breakGlass, request, flow!, store, cancellationToken).ConfigureAwait(false);
        }

        return new Submission(assessment, planHash, HasChanges: true, request, created.Created);
    }

    /// <summary>The break-glass this submission may use (<see cref="BreakGlassGate"/>), or a <see cref="SubmissionRefusedException"/> with its <c>break-glass-…</c> code.</summary>
    private async Task<BreakGlassUse> BreakGlassAsync(RunEvidence evidence, BreakGlassAsk ask, Assessment assessment, CancellationToken cancellationToken)
    {
        var admission = await BreakGlassGate.AdmitAsync(policy, policy.FindTier(assessment.Tier)!, submitter, assessment.ActorKind, evidence.Stack, ask, flow, audit, time, cancellationToken).ConfigureAwait(false);
        return admission.Use ?? throw new SubmissionRefusedException(admission.Rule!, admission.Message!);
    }

    /// <summary>
    /// Only the verdict, for a pull-request check: the authority reads the engine output and scores it with its own
    /// pack, exactly as it would a submission, and stores nothing.
    /// </summary>
    /// <exception cref="SubmissionRefusedException">The output does not read, or names an engine this authority does not read.</exception>
    public Assessment Assess(RunEvidence evidence) => Score(evidence, ReaderFor(evidence)).Assessment;

    private IEvidenceReader ReaderFor(RunEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        return _readers.TryGetValue(evidence.Engine, out var reader)
            ? reader
            : throw new SubmissionRefusedException("unknown-engine", $"This InfraGuard cannot read {evidence.Engine} evidence; it reads {string.Join(", ", _readers.Keys)}.");
    }

    private (ChangeSet Changes, Assessment Assessment) Score(RunEvidence evidence, IEvidenceReader reader)
    {
        var changes = Read(() => reader.Read(evidence.EngineOutput), "engine output");

        // A refresh-only run applies only the drift, into state: that is what is scored (its saved plan is checked to be refresh-only).
        changes = evidence.Run == RunKind.RefreshOnly ? changes.AcceptingDrift() : changes;
        return (changes, Assess(evidence, changes));
    }

    /// <inheritdoc/>
    public async Task<EngineGrant> PreviewGrantAsync(string stack, string stateFingerprint, CancellationToken cancellationToken) =>
        await GrantAsync(null, stack, stateFingerprint, ApprovalPurpose.Preview, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task<EngineGrant> ApplyGrantAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = await store.GetAsync(request.Id, cancellationToken).ConfigureAwait(false)
            ?? throw new GrantRefusedException("not-found", $"Change request {request.Id} does not exist.");
        if (current.State != RequestState.Approved)
        {
            throw new GrantRefusedException("not-approved", $"Change request {current.Id} is {current.State.ToString().ToLowerInvariant()}; an apply token is issued only for an approved request.");
        }

        if (!string.Equals(current.SubmittedBy, submitter.SubmittedBy, StringComparison.Ordinal))
        {
            throw new GrantRefusedException("not-submitter", $"Change request {current.Id} was submitted by {current.SubmittedBy}; only that runner may obtain its apply token.");
        }

        await RequireSignedApprovalAsync(current, cancellationToken).ConfigureAwait(false);

        // A break-glass apply says so in its token, so the CrossGuard pack can refuse it where the tier has no break-glass.
        var glass = flow is null ? null : await flow.GetBreakGlassAsync(current.Id, cancellationToken).ConfigureAwait(false);
        var claim = glass is null ? null : new BreakGlassClaim(glass.Incident, glass.Actor.PersonId);
        return await GrantAsync(current.Id, current.Stack, current.PlanHash, ApprovalPurpose.Apply, cancellationToken, claim).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<RequestOutcome> BeginApplyAsync(string requestId, CancellationToken cancellationToken)
    {
        var request = await store.GetAsync(requestId, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return RequestOutcome.Fail(new RequestNotFound(requestId));
        }

        if (request.State == RequestState.Approved)
        {
            if (!string.Equals(request.SubmittedBy, submitter.SubmittedBy, StringComparison.Ordinal))
            {
                return RequestOutcome.Fail(new DecisionRefused(requestId, $"only the runner that submitted {requestId} ({request.SubmittedBy}) may apply it"));
            }

            if (await SignedApprovalProblemAsync(request, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                return RequestOutcome.Fail(new DecisionRefused(requestId, problem));
            }
        }

        return await store.TransitionAsync(requestId, RequestState.Applying, ApprovalDesk.Resolve(policy.Identities, submitter.SubmittedBy), "applying the approved plan", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task RecordCancelledAsync(string stack, string? requestId, string phase, CancellationToken cancellationToken) =>
        await audit.AppendAsync(
            new AuditEvent(AuditEventTypes.RunCancelled, time.GetUtcNow(), requestId, new Dictionary<string, JsonNode?>
            {
                ["stack"] = stack,
                ["phase"] = phase,
                ["requester"] = submitter.Requester,
                ["submitted_by"] = submitter.SubmittedBy,
            }),
            cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Null when the signed audit log holds, for this request and exactly its plan hash, the decision that approved it
    /// (enough distinct approvals, or InfraGuard's own approval by policy), each entry's hash and signature checked with
    /// the log's keys; else why not. A state column edited to <c>approved</c> without those entries is refused.
    /// </summary>
    public async Task<string?> SignedApprovalProblemAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var keys = await audit.ListKeysAsync(cancellationToken).ConfigureAwait(false);
        var entries = await audit.ListEntriesAsync(new AuditQuery(Request: request.Id, Limit: 10_000), cancellationToken).ConfigureAwait(false);
        return ApprovalRecord.Problem(request, entries, keys);
    }

    private async Task RequireSignedApprovalAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        if (await SignedApprovalProblemAsync(request, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            throw new GrantRefusedException("approval-not-recorded", problem);
        }
    }

    private async Task<EngineGrant> GrantAsync(string? requestId, string stack, string hash, ApprovalPurpose purpose, CancellationToken cancellationToken, BreakGlassClaim? breakGlass = null)
    {
        if (tokenKey is not Ed25519AuditSigner key)
        {
            throw new GrantRefusedException("no-token-key", "This authority has no approval-token key; create one with 'infraguard keys init' (it writes token-key.pem beside the audit key).");
        }

        var now = time.GetUtcNow();
        var expires = now + GrantLifetime;
        var token = ApprovalToken.Mint(key.ExportSeed(), new ApprovalTokenRequest(stack, requestId ?? "preview", hash, purpose, BreakGlass: breakGlass), now, expires);
        var tokenId = TokenId(token);
        await audit.AppendAsync(
            RequestAuditEvents.GrantIssued(requestId, stack, ApprovalToken.PurposeText(purpose), hash, tokenId, submitter.SubmittedBy, expires, now),
            cancellationToken).ConfigureAwait(false);
        return new EngineGrant(tokenId, new Dictionary<string, string> { [ApprovalToken.EnvironmentVariable] = token }, expires);
    }

    /// <summary><c>tok_</c> + 16 hex of SHA-256 of the token: names it in the audit log without revealing it.</summary>
    public static string TokenId(string token) => "tok_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)))[..16];

    private Assessment Assess(RunEvidence evidence, ChangeSet changes)
    {
        // The tier the pack gives the stack, unless the project asks for a stricter one.
        var tier = policy.FindTier(policy.ResolveTier(evidence.Stack, null))!;
        if (evidence.DeclaredTier is { Length: > 0 } declared && policy.FindTier(policy.ResolveTier(evidence.Stack, declared)) is { } asked && asked.IsStricterThan(tier))
        {
            tier = asked;
        }

        var assessment = RiskEngine.Assess(changes, policy, new AssessmentContext(evidence.Stack, ActorKindOf(evidence), evidence.JobType, tier.Name));
        if (tier.RequireAttestedRequester && !submitter.Attested)
        {
            return assessment with
            {
                Decision = Decision.Block,
                Approvals = null,
                Notes = [.. assessment.Notes, $"Tier '{tier.Name}' requires an attested requester: submit from CI with its OIDC workload-identity token (GitHub Actions 'id-token: write', GitLab 'id_tokens'), not a static runner token."],
            };
        }

        return assessment;
    }

    // A credential that fixes the actor kind wins; otherwise a runner may call itself an agent (weighed heavier), never a human.
    private ActorKind ActorKindOf(RunEvidence evidence) =>
        submitter.ActorKind ?? (evidence.ActorKind == ActorKind.Agent ? ActorKind.Agent : ActorKind.Pipeline);

    private AuditEvent Scored(RunEvidence evidence, Assessment assessment, string planHash) =>
        submitter.Blocked(time.GetUtcNow(), assessment, policy.Hash, planHash, new Dictionary<string, JsonNode?>
        {
            ["stack"] = evidence.Stack,
            ["project"] = evidence.Project,
            ["state_fingerprint"] = evidence.StateFingerprint,
        });

    private static T Read<T>(Func<T> read, string what)
    {
        try
        {
            return read();
        }
        catch (PlanReadException e)
        {
            throw new SubmissionRefusedException("bad-evidence", $"The {what} cannot be read: {e.Message}");
        }
    }

    private static bool HasChanges(ChangeSet changes) => changes.Changes.Any(c => c.Op is not (ChangeOp.Same or ChangeOp.Read or ChangeOp.Refresh));
}

/// <summary>The authority will not issue a token (not approved, not the submitter, approval not in the signed log). The message says why.</summary>
public sealed class GrantRefusedException(string code, string message) : Exception(message)
{
    /// <summary>A short machine code.</summary>
    public string Code { get; } = code;
}
