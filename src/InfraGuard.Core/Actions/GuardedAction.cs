using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Runs;

namespace InfraGuard.Core.Actions;

/// <summary>One guarded action (<c>infraguard exec</c>).</summary>
/// <param name="Proposal">The exact action and its claimed context.</param>
/// <param name="Wait">How long to wait for a decision at most; null until the request expires.</param>
/// <param name="PollInterval">How often to look for a decision.</param>
/// <param name="HeartbeatInterval">How often to tell the notifier the run is still waiting.</param>
/// <param name="Credentials">
/// Called once the request is approved, before it starts: environment variables for the command only (cloud
/// credentials issued for this approved request). A <see cref="GrantRefusedException"/> stops the run.
/// </param>
/// <param name="CloseOnCancel">
/// When the caller gives up before the action starts, also withdraw its request (pending or approved → cancelled, with
/// an audit entry), so no approval is left open to be used: an MCP gateway's cancelled call. False keeps it open for a
/// re-run to pick up (<c>infraguard exec</c> after Ctrl-C).
/// </param>
public sealed record GuardedActionRequest(
    ActionProposal Proposal,
    TimeSpan? Wait,
    TimeSpan PollInterval,
    TimeSpan HeartbeatInterval,
    Func<ChangeRequest, CancellationToken, Task<IReadOnlyDictionary<string, string>>>? Credentials = null,
    bool CloseOnCancel = false);

/// <summary>How a guarded action ended: the run's outcome, and the command's exit code when it ran.</summary>
/// <param name="Run">Outcome, message, assessment and request, as for <c>up</c> (<see cref="RunOutcome.Applied"/>: the command ran).</param>
/// <param name="ExitCode">The command's exit code, when it ran.</param>
public sealed record GuardedActionResult(GuardedRunResult Run, int? ExitCode = null);

/// <summary>
/// The guarded action: submit the exact action to the authority, which scores it with its own pack → allow | block |
/// review; review waits for an independent decision; then the action's hash is checked against the approved one,
/// credentials for the approved request are fetched, the authority starts it (only with the signed approval, only for
/// the submitter), the command runs exactly once, and its exit code is recorded as the outcome. Ports only: no I/O here.
/// </summary>
public sealed class GuardedAction(IActionAuthority authority, IChangeStore store, INotifier notifier, TimeProvider time)
{
    /// <summary>Runs the flow; <paramref name="execute"/> runs the command with the extra environment and returns its exit code.</summary>
    public async Task<GuardedActionResult> RunAsync(
        GuardedActionRequest run, Func<IReadOnlyDictionary<string, string>, CancellationToken, Task<int>> execute, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(execute);
        var action = run.Proposal.Action;
        ChangeRequest? request = null;
        try
        {
            // Nothing to fetch between approval and start: an allowed action is started with its submission, in one
            // transaction (the authority starts it only for this submitter, exactly as it would below).
            var submission = await authority.SubmitActionAsync(run.Proposal with { StartWhenAllowed = run.Credentials is null }, cancellationToken).ConfigureAwait(false);
            var assessment = submission.Assessment;
            if (assessment.Decision == Decision.Block || submission.Request is null)
            {
                var why = assessment.Notes.Count > 0 ? string.Join(" ", assessment.Notes) : $"its score {assessment.Score} is at or above block-at {assessment.BlockAt} in tier {assessment.Tier}.";
                return new(new(RunOutcome.Blocked, $"Blocked by policy: this action cannot run through InfraGuard. {why}", assessment));
            }

            request = submission.Request;
            if (request.State == RequestState.Pending)
            {
                await notifier.RequestOpenedAsync(request, submission.Created, cancellationToken).ConfigureAwait(false);
            }

            if (request.State != RequestState.Approved && !submission.Started)
            {
                var waited = await new DecisionWait(run.Wait, run.PollInterval, run.HeartbeatInterval, "nothing was run")
                    .WaitAsync(store, notifier, time, request, cancellationToken).ConfigureAwait(false);
                if (waited.Outcome is { } ended)
                {
                    return new(ended);
                }

                request = waited.Request;
            }

            // What was approved is the hash of the exact action; this process runs only the action it hashes itself.
            var hash = action.Hash();
            if (!string.Equals(hash, request.PlanHash, StringComparison.Ordinal))
            {
                return new(new(RunOutcome.PlanChanged, $"Nothing was run: change request {request.Id} approved action {request.PlanHash[..12]}, but this command hashes to {hash[..12]}. Re-run to ask for approval of this exact command.", assessment, request));
            }

            IReadOnlyDictionary<string, string> environment = new Dictionary<string, string>();
            var started = submission.Started ? RequestOutcome.Ok(request) : null;
            try
            {
                environment = run.Credentials is null ? environment : await run.Credentials(request, cancellationToken).ConfigureAwait(false);
                started ??= await authority.BeginApplyAsync(request.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (GrantRefusedException e)
            {
                started = RequestOutcome.Fail(new DecisionRefused(request.Id, e.Message));
            }

            if (started.Error is DecisionRefused refused)
            {
                return new(new(RunOutcome.Untrusted, $"Nothing was run: {refused.Reason}.", assessment, request));
            }

            if (started.Request is not { } applying)
            {
                return new(new(RunOutcome.Rejected, $"Nothing was run: change request {request.Id} could not be started ({started.Error?.Message}); another run may have started it.", assessment, request));
            }

            await notifier.ProgressAsync($"Running the approved action of {applying.Id}: {applying.Action?.Display() ?? action.Program}", cancellationToken).ConfigureAwait(false);
            var exitCode = await execute(environment, cancellationToken).ConfigureAwait(false);

            // The outcome is recorded even when the run was interrupted: an action that started is never left unrecorded.
            var outcome = new ApplyOutcome(exitCode == 0, exitCode, new Dictionary<Changes.ChangeOp, int>(), string.Empty);
            var completed = await store.CompleteApplyAsync(applying.Id, outcome, CancellationToken.None).ConfigureAwait(false);
            request = completed.Request ?? applying;
            return new(new(RunOutcome.Applied, exitCode == 0
                ? $"Ran the approved action of {request.Id} (exit 0)."
                : $"Ran the approved action of {request.Id}; the command exited {exitCode}.", assessment, request), exitCode);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var phase = request is null ? "submission" : request.State.ToString().ToLowerInvariant();
            await authority.RecordCancelledAsync(request?.Stack ?? action.Target ?? action.Program, request?.Id, phase, CancellationToken.None).ConfigureAwait(false);
            if (run.CloseOnCancel && request is { State: RequestState.Pending or RequestState.Approved })
            {
                // Withdrawn only if it has not moved on: a request another run already started is left to that run.
                var closed = await store.TransitionAsync(request.Id, RequestState.Cancelled, PersonRef.System, $"the caller gave up while the request was {phase}; nothing was run", CancellationToken.None).ConfigureAwait(false);
                request = closed.Request ?? request;
            }

            return new(new(RunOutcome.Cancelled, $"Interrupted during {phase}: nothing was run, and the cancellation was recorded.", request?.Assessment, request));
        }
    }
}
