using System.Collections.Frozen;
using System.Text.Json.Serialization;

namespace InfraGuard.Core.Requests;

/// <summary>Where a change request is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RequestState>))]
public enum RequestState
{
    /// <summary>Waiting for approvers.</summary>
    Pending,

    /// <summary>Approved; may be applied.</summary>
    Approved,

    /// <summary>A reviewer rejected it (terminal).</summary>
    Rejected,

    /// <summary>Nobody decided in time, or the approval lapsed before apply (terminal).</summary>
    Expired,

    /// <summary>A newer plan for the same stack replaced it, or plan/state changed since approval (terminal).</summary>
    Superseded,

    /// <summary>The requester withdrew it (terminal).</summary>
    Cancelled,

    /// <summary>Apply is running.</summary>
    Applying,

    /// <summary>Applied successfully (terminal).</summary>
    Applied,

    /// <summary>Apply failed (terminal).</summary>
    Failed,
}

/// <summary>
/// The request state machine as a pure table. Any transition not listed is illegal.
/// <code>
/// pending  → approved | rejected | expired | superseded | cancelled
/// approved → applying | expired | superseded | cancelled
/// applying → applied | failed
/// </code>
/// (approved → expired/superseded/cancelled lets an unused approval lapse, or a changed plan/state void it.)
/// </summary>
public static class RequestTransitions
{
    /// <summary>Allowed targets for each state.</summary>
    public static FrozenDictionary<RequestState, FrozenSet<RequestState>> Table { get; } = new Dictionary<RequestState, FrozenSet<RequestState>>
    {
        [RequestState.Pending] = FrozenSet.Create(RequestState.Approved, RequestState.Rejected, RequestState.Expired, RequestState.Superseded, RequestState.Cancelled),
        [RequestState.Approved] = FrozenSet.Create(RequestState.Applying, RequestState.Expired, RequestState.Superseded, RequestState.Cancelled),
        [RequestState.Applying] = FrozenSet.Create(RequestState.Applied, RequestState.Failed),
        [RequestState.Rejected] = FrozenSet<RequestState>.Empty,
        [RequestState.Expired] = FrozenSet<RequestState>.Empty,
        [RequestState.Superseded] = FrozenSet<RequestState>.Empty,
        [RequestState.Cancelled] = FrozenSet<RequestState>.Empty,
        [RequestState.Applied] = FrozenSet<RequestState>.Empty,
        [RequestState.Failed] = FrozenSet<RequestState>.Empty,
    }.ToFrozenDictionary();

    /// <summary>True when <paramref name="from"/> → <paramref name="to"/> is in the table.</summary>
    public static bool IsAllowed(RequestState from, RequestState to) => Table[from].Contains(to);

    /// <summary>True for states with no way out.</summary>
    public static bool IsTerminal(RequestState state) => Table[state].Count == 0;

    /// <summary>The error for a refused transition, or null when allowed.</summary>
    public static RequestError? Check(string requestId, RequestState from, RequestState to) =>
        IsAllowed(from, to) ? null : new IllegalTransition(requestId, from, to);
}
