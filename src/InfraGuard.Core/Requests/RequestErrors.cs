namespace InfraGuard.Core.Requests;

/// <summary>An expected failure of a request operation; <see cref="Message"/> says what and what to do next.</summary>
public abstract record RequestError(string Message);

/// <summary>No request has this id.</summary>
public sealed record RequestNotFound(string RequestId)
    : RequestError($"Change request {RequestId} does not exist. List requests with 'infraguard requests list'.");

/// <summary>The state machine does not allow this transition.</summary>
public sealed record IllegalTransition(string RequestId, RequestState From, RequestState To)
    : RequestError($"Change request {RequestId} is {From.ToString().ToLowerInvariant()}; it cannot become {To.ToString().ToLowerInvariant()}."
        + (RequestTransitions.IsTerminal(From) ? " It is final; start a new run to make a new request." : string.Empty));

/// <summary>The decision rule refused the decision (ineligible, not independent, …).</summary>
/// <param name="RequestId">The request.</param>
/// <param name="Reason">The sentence for the person who tried.</param>
/// <param name="Rule">Which rule refused it (<c>self-approval</c>, <c>ineligible-approver</c>, …; <c>other</c> when not a named rule).</param>
public sealed record DecisionRefused(string RequestId, string Reason, string Rule = "other")
    : RequestError($"Decision on {RequestId} refused: {Reason}");

/// <summary>This person already decided on this request (approvals are single-use).</summary>
public sealed record AlreadyDecided(string RequestId, string PersonId)
    : RequestError($"{PersonId} has already decided on {RequestId}; a person decides once per request.");

/// <summary>The outcome of a request operation: the updated request, or an error.</summary>
public sealed record RequestOutcome(ChangeRequest? Request, RequestError? Error)
{
    /// <summary>True when the operation happened.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A success.</summary>
    public static RequestOutcome Ok(ChangeRequest request) => new(request, null);

    /// <summary>A failure.</summary>
    public static RequestOutcome Fail(RequestError error) => new(null, error);
}
