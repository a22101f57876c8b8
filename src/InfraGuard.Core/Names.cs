using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core;

/// <summary>
/// The one table of the lower-case names InfraGuard writes for its enums — in the audit log, the API, JSON output,
/// chat messages and pages — so every place spells a state, a decision, a verdict or an actor the same way.
/// </summary>
public static class Names
{
    /// <summary><c>pending</c>, <c>approved</c>, <c>rejected</c>, <c>applying</c>, …</summary>
    public static string Of(RequestState state) => state.ToString().ToLowerInvariant();

    /// <summary><c>allow</c>, <c>review</c> or <c>block</c>; anything else is <c>block</c> (fail closed).</summary>
    public static string Of(Decision decision) => decision switch
    {
        Decision.Allow => "allow",
        Decision.Review => "review",
        _ => "block",
    };

    /// <summary><c>approve</c> or <c>reject</c>.</summary>
    public static string Of(Verdict verdict) => verdict == Verdict.Approve ? "approve" : "reject";

    /// <summary><c>human</c>, <c>pipeline</c> or <c>agent</c>.</summary>
    public static string Of(ActorKind kind) => kind switch
    {
        ActorKind.Human => "human",
        ActorKind.Pipeline => "pipeline",
        ActorKind.Agent => "agent",
        _ => "unknown",
    };

    /// <summary>The engine's word for an operation (<c>create</c>, <c>delete</c>, <c>replace</c>, …).</summary>
    public static string Of(ChangeOp op) => ChangeOps.Name(op);
}
