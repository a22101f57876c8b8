using InfraGuard.Core.Engine;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Runs;

/// <summary>How a guarded run ended. The CLI maps each to one exit code.</summary>
public enum RunOutcome
{
    /// <summary>The plan was applied.</summary>
    Applied,

    /// <summary>The preview found nothing to change.</summary>
    NoChanges,

    /// <summary>Policy blocked the plan.</summary>
    Blocked,

    /// <summary>A reviewer rejected it, or it was cancelled.</summary>
    Rejected,

    /// <summary>Nobody decided in time, the approval lapsed, or the wait limit passed.</summary>
    Expired,

    /// <summary>The plan or the stack's state changed since approval; nothing was applied.</summary>
    PlanChanged,

    /// <summary>The engine failed in preview or apply.</summary>
    EngineFailed,

    /// <summary>The run was interrupted (Ctrl-C, SIGTERM) and recorded as cancelled.</summary>
    Cancelled,

    /// <summary>The request says approved, but the signed audit log does not hold that approval; nothing was applied.</summary>
    Untrusted,
}

/// <summary>Everything one guarded run needs to know. Nothing here is a verdict: the authority scores the evidence.</summary>
/// <param name="Target">Stack, project directory and checked pass-through args.</param>
/// <param name="EngineOptions">Extra environment for the engine and the kill token.</param>
/// <param name="Project">Project label for the request.</param>
/// <param name="ActorKind">What the runner says it is (the authority may only make it stricter).</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="DeclaredTier">A tier the project asks for (stricter only).</param>
/// <param name="OnBehalfOf">The person an agent acts for (raw identity), if any.</param>
/// <param name="CommitAuthors">Authors of the change's commits (raw identities).</param>
/// <param name="CiRunId">CI run id (idempotency) and <paramref name="CiRunUrl"/> link.</param>
/// <param name="CiRunUrl">Link to the CI run.</param>
/// <param name="Wait">How long to wait for a decision at most; null waits until the request expires.</param>
/// <param name="PollInterval">How often to look for a decision.</param>
/// <param name="HeartbeatInterval">How often to tell the notifier the run is still waiting.</param>
/// <param name="EngineGrants">Ask the authority for approval tokens for the engine's preview and apply (Pulumi CrossGuard packs check them).</param>
/// <param name="ApplyCredentials">
/// Called once the request is approved, just before the apply: environment variables for the apply only (cloud
/// credentials issued for this approved request). A <see cref="GrantRefusedException"/> stops the run (untrusted).
/// </param>
public sealed record GuardedRunRequest(
    EngineTarget Target,
    EngineRunOptions EngineOptions,
    string Project,
    ActorKind ActorKind,
    string? JobType,
    string? DeclaredTier,
    string? OnBehalfOf,
    IReadOnlyList<string> CommitAuthors,
    string? CiRunId,
    string? CiRunUrl,
    TimeSpan? Wait,
    TimeSpan PollInterval,
    TimeSpan HeartbeatInterval,
    bool EngineGrants = false,
    Func<ChangeRequest, CancellationToken, Task<IReadOnlyDictionary<string, string>>>? ApplyCredentials = null)
{
    /// <summary>Apply without waiting under the tier's break-glass (the authority checks the authenticated person is in its group).</summary>
    public Approvals.BreakGlassAsk? BreakGlass { get; init; }
}

/// <summary>The result of a guarded run.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Message">One sentence for the user: what happened and what to do next.</param>
/// <param name="Assessment">The assessment, when the preview got that far.</param>
/// <param name="Request">The change request, when one was made or found.</param>
/// <param name="Diagnostics">Redacted engine diagnostics, when the engine failed.</param>
public sealed record GuardedRunResult(RunOutcome Outcome, string Message, Assessment? Assessment = null, ChangeRequest? Request = null, string? Diagnostics = null);

/// <summary>
/// The guarded <c>up</c>: fingerprint → preview → evidence to the authority, which scores it with its own policy →
/// allow | block | review; review waits for an independent decision; before applying, the plan hash and state
/// fingerprint are checked again, the authority checks the signed record of the approval, and exactly the approved
/// plan is applied. Every step is recorded through the store with audit entries. Ports only: no I/O here.
/// </summary>
public sealed class GuardedRun(IEngine engine, IRunAuthority authority, IChangeStore store, INotifier notifier, TimeProvider time)
{
    /// <summary>The identity InfraGuard records for transitions it makes itself (policy allow, expiry, supersession).</summary>
    public static readonly PersonRef System = PersonRef.System;

    /// <summary>Runs the whole flow. Cancellation (Ctrl-C) is recorded and reported as <see cref="RunOutcome.Cancelled"/>.</summary>
    public async Task<GuardedRunResult> RunAsync(GuardedRunRequest run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ChangeRequest? request = null;
        try
        {
            await engine.CheckAsync(cancellationToken).ConfigureAwait(false);
            var fingerprint = await engine.FingerprintStateAsync(run.Target, cancellationToken).ConfigureAwait(false);
            await notifier.ProgressAsync($"Previewing stack {run.Target.Stack} …", cancellationToken).ConfigureAwait(false);
            var previewOptions = run.EngineGrants
                ? WithEnvironment(run.EngineOptions, (await authority.PreviewGrantAsync(run.Target.Stack, fingerprint, cancellationToken).ConfigureAwait(false)).Environment)
                : run.EngineOptions;
            var preview = await engine.PreviewAsync(run.Target, previewOptions, cancellationToken).ConfigureAwait(false);
            if (preview.Stopped != EngineStop.None)
            {
                // The engine was interrupted (Ctrl-C) or timed out; it has been asked to stop and unlock the stack.
                return cancellationToken.IsCancellationRequested
                    ? await CancelledAsync(run, null, "preview").ConfigureAwait(false)
                    : new(RunOutcome.EngineFailed, $"The preview was stopped ({preview.Stopped.ToString().ToLowerInvariant()}); nothing was applied.", Diagnostics: preview.Diagnostics);
            }

            // A failed preview is the engine's failure (exit 7) unless a mandatory policy of the engine's own caused it:
            // then the authority sees the violation in the evidence and blocks.
            var mandatoryViolation = preview.Changes.Violations.Any(v => v.EnforcementLevel == "mandatory");
            if (!mandatoryViolation && (preview.ExitCode != 0 || !preview.Changes.Complete))
            {
                return new(RunOutcome.EngineFailed, $"The preview failed (exit {preview.ExitCode}); nothing was applied. Fix the error below and run again.", Diagnostics: preview.Diagnostics);
            }

            var submission = await authority.SubmitAsync(Evidence(run, preview, fingerprint), cancellationToken).ConfigureAwait(false);
            var assessment = submission.Assessment;
            if (assessment.Decision == Decision.Block)
            {
                var why = assessment.Notes.Count > 0
                    ? string.Join(" ", assessment.Notes)
                    : $"its score {assessment.Score} is at or above block-at {assessment.BlockAt} in tier {assessment.Tier}.";
                return new(RunOutcome.Blocked, $"Blocked by policy: this change cannot be applied through InfraGuard. {why} See the findings.", assessment);
            }

            if (!submission.HasChanges || submission.Request is null)
            {
                return new(RunOutcome.NoChanges, "No changes: the stack is up to date.", assessment);
            }

            request = submission.Request;
            if (request.State != RequestState.Approved)
            {
                if (request.State == RequestState.Pending)
                {
                    await notifier.RequestOpenedAsync(request, submission.Created, cancellationToken).ConfigureAwait(false);
                }

                var waited = await WaitAsync(run, request, cancellationToken).ConfigureAwait(false);
                if (waited.Outcome is not null)
                {
                    return waited.Outcome;
                }

                request = waited.Request;
            }

            return await ApplyApprovedAsync(run, request, assessment, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await CancelledAsync(run, request, request is null ? "preview" : request.State.ToString().ToLowerInvariant()).ConfigureAwait(false);
        }
    }

    private RunEvidence Evidence(GuardedRunRequest run, PreviewResult preview, string fingerprint) => new(
        engine.Kind,
        run.Target.Stack,
        run.Project,
        preview.EngineOutput,
        preview.Plan,
        fingerprint,
        run.ActorKind,
        run.JobType,
        run.DeclaredTier,
        run.OnBehalfOf,
        run.CommitAuthors,
        run.CiRunId,
        run.CiRunUrl,
        run.BreakGlass,
        run.Target.Run);

    private async Task<GuardedRunResult> CancelledAsync(GuardedRunRequest run, ChangeRequest? request, string phase)
    {
        await authority.RecordCancelledAsync(run.Target.Stack, request?.Id, phase, CancellationToken.None).ConfigureAwait(false);
        return new(RunOutcome.Cancelled, $"Interrupted during {phase}: the engine was asked to stop and the cancellation was recorded.", request?.Assessment, request);
    }
    private Task<(GuardedRunResult? Outcome, ChangeRequest Request)> WaitAsync(GuardedRunRequest run, ChangeRequest request, CancellationToken cancellationToken) =>
        new DecisionWait(run.Wait, run.PollInterval, run.HeartbeatInterval, "nothing was applied").WaitAsync(store, notifier, time, request, cancellationToken);

    private async Task<GuardedRunResult> ApplyApprovedAsync(GuardedRunRequest run, ChangeRequest request, Assessment assessment, CancellationToken cancellationToken)
    {
        if (time.GetUtcNow() >= request.ExpiresAt)
        {
            Must(await store.TransitionAsync(request.Id, RequestState.Expired, System, "the approval lapsed before apply", cancellationToken).ConfigureAwait(false));
            return new(RunOutcome.Expired, $"The approval of {request.Id} lapsed before it was applied; re-run to ask again.", assessment, request);
        }

        // The approval is for this plan on this state. If anything moved, the approval is void.
        var fingerprint = await engine.FingerprintStateAsync(run.Target, cancellationToken).ConfigureAwait(false);
        var plan = await store.GetArtifactAsync(request.Id, ArtifactKind.SavedPlan, cancellationToken).ConfigureAwait(false);
        var planChanged = plan is null;
        if (planChanged || !string.Equals(fingerprint, request.StateFingerprint, StringComparison.Ordinal))
        {
            var why = planChanged ? "the approved plan is missing from the store" : "the stack's state changed since the plan was approved";
            Must(await store.TransitionAsync(request.Id, RequestState.Superseded, System, why, cancellationToken).ConfigureAwait(false));
            return new(RunOutcome.PlanChanged, $"Nothing was applied: {why}. Re-run to request approval for the new plan.", assessment, request);
        }

        // The authority hands out the engine's token and starts the apply only when its signed log holds the approval.
        EngineGrant? grant = null;
        IReadOnlyDictionary<string, string>? credentials = null;
        RequestOutcome started;
        try
        {
            grant = run.EngineGrants ? await authority.ApplyGrantAsync(request, cancellationToken).ConfigureAwait(false) : null;
            credentials = run.ApplyCredentials is null ? null : await run.ApplyCredentials(request, cancellationToken).ConfigureAwait(false);
            started = await authority.BeginApplyAsync(request.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (GrantRefusedException e)
        {
            started = RequestOutcome.Fail(new DecisionRefused(request.Id, e.Message));
        }

        if (started.Error is DecisionRefused refused)
        {
            return new(RunOutcome.Untrusted, $"Nothing was applied: {refused.Reason}.", assessment, request);
        }

        request = Must(started);
        var options = grant is null ? run.EngineOptions : WithEnvironment(run.EngineOptions, grant.Environment);
        options = credentials is null ? options : WithEnvironment(options, credentials);
        var progress = new Progress<string>(line => _ = notifier.ProgressAsync(line, CancellationToken.None));
        var result = await engine.ApplyAsync(run.Target, plan!.Content, options, progress, cancellationToken).ConfigureAwait(false);

        // The outcome is stored even when the run was interrupted: an apply that started is never left unrecorded.
        var outcome = new ApplyOutcome(result.Succeeded && result.Stopped == EngineStop.None, result.ExitCode, result.Counts, result.Diagnostics);
        request = Must(await store.CompleteApplyAsync(request.Id, outcome, CancellationToken.None).ConfigureAwait(false));
        await notifier.ApplyFinishedAsync(request, outcome, CancellationToken.None).ConfigureAwait(false);
        if (result.Stopped != EngineStop.None && cancellationToken.IsCancellationRequested)
        {
            return await CancelledAsync(run, request, "apply").ConfigureAwait(false);
        }

        if (result.StalePlan)
        {
            return new(RunOutcome.PlanChanged, $"Nothing was applied: the engine refused the approved plan of {request.Id} because the state changed since it was made. Re-run to request approval for the new plan.", assessment, request, result.Diagnostics);
        }

        return outcome.Succeeded
            ? new(RunOutcome.Applied, $"Applied the approved plan of {request.Id}.", assessment, request)
            : new(RunOutcome.EngineFailed, $"The apply of {request.Id} failed (exit {result.ExitCode}); see the engine's output.", assessment, request, result.Diagnostics);
    }

    private static EngineRunOptions WithEnvironment(EngineRunOptions options, IReadOnlyDictionary<string, string> extra) =>
        options with { Environment = Merge(options.Environment, extra) };

    private static ChangeRequest Must(RequestOutcome outcome) =>
        outcome.Request ?? throw new InvalidOperationException(outcome.Error?.Message ?? "The store refused the operation.");

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        var merged = new Dictionary<string, string>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b)
        {
            merged[k] = v;
        }

        return merged;
    }
}
