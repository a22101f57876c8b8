namespace InfraGuard.Core.Requests;

/// <summary>
/// The port for durable change requests. Every state change appends its audit entry in the same transaction; if
/// the append fails, the operation fails. Implementations: InfraGuard.Store (SQLite, PostgreSQL).
/// </summary>
public interface IChangeStore
{
    /// <summary>Stores a request (state pending) with its artifacts and a <c>plan.submitted</c> entry. Idempotent: in CI on
    /// stack + plan hash + CI run id; outside CI (no run id) on stack + plan hash among open (pending or approved)
    /// requests. A re-run gets its existing request back with <c>Created = false</c>.</summary>
    Task<CreateRequestResult> CreateAsync(NewChangeRequest request, CancellationToken cancellationToken = default);

    /// <summary>The request, or null.</summary>
    Task<ChangeRequest?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Requests, newest first.</summary>
    Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestQuery query, CancellationToken cancellationToken = default);

    /// <summary>Decisions on a request, oldest first.</summary>
    Task<IReadOnlyList<RequestDecision>> GetDecisionsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A stored artifact, decompressed and checked against its SHA-256, or null.</summary>
    Task<PlanArtifact?> GetArtifactAsync(string id, ArtifactKind kind, CancellationToken cancellationToken = default);

    /// <summary>The recorded apply outcome, or null.</summary>
    Task<ApplyOutcome?> GetApplyOutcomeAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Records a decision under the write lock: <paramref name="rule"/> sees the fresh request and existing
    /// decisions, and may transition it. Appends <c>approval.granted|denied</c> and a checkpoint.</summary>
    Task<RequestOutcome> DecideAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken = default);

    /// <summary>Moves a request along the state machine (expire, supersede, cancel, start applying), with an audit entry.</summary>
    Task<RequestOutcome> TransitionAsync(string id, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken = default);

    /// <summary>Applying → applied | failed, storing the outcome; appends <c>deploy.completed</c> and a checkpoint.</summary>
    Task<RequestOutcome> CompleteApplyAsync(string id, ApplyOutcome outcome, CancellationToken cancellationToken = default);
}
