using InfraGuard.Core.Requests;
using Microsoft.AspNetCore.Mvc;
using InfraGuard.Core;

namespace InfraGuard.Server.Api;

/// <summary>
/// RFC 9457 problem details. <c>type</c> is <c>urn:infraguard:problem:CODE</c> and <c>code</c> repeats CODE for
/// clients; <c>detail</c> says what happened and what to do next. The codes are listed in docs/api.md.
/// </summary>
public static class Problems
{
    public const string TypePrefix = "urn:infraguard:problem:";

    public static IResult Result(int status, string code, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var ext = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["code"] = code };
        return TypedResults.Problem(detail, statusCode: status, title: title, type: TypePrefix + code, extensions: ext);
    }

    public static IResult BadRequest(string detail) => Result(StatusCodes.Status400BadRequest, "bad-request", "Bad request", detail);

    public static IResult NotFound(string id) => Result(StatusCodes.Status404NotFound, "not-found", "No such change request", new RequestNotFound(id).Message, new Dictionary<string, object?> { ["requestId"] = id });

    /// <summary>The problem for a refused request operation; the rule's reason is in <c>detail</c> (and <c>reason</c>).</summary>
    public static IResult From(RequestError error) => error switch
    {
        RequestNotFound e => NotFound(e.RequestId),
        DecisionRefused e => Result(StatusCodes.Status403Forbidden, RefusalCode(e), "Decision refused", e.Reason, new Dictionary<string, object?> { ["requestId"] = e.RequestId, ["reason"] = e.Reason }),
        AlreadyDecided e => Result(StatusCodes.Status409Conflict, "already-decided", "Already decided", e.Message, new Dictionary<string, object?> { ["requestId"] = e.RequestId }),
        IllegalTransition e => Result(StatusCodes.Status409Conflict, "illegal-transition", "State does not allow this", e.Message, new Dictionary<string, object?>
        {
            ["requestId"] = e.RequestId,
            ["from"] = Names.Of(e.From),
            ["to"] = Names.Of(e.To),
        }),
        _ => Result(StatusCodes.Status409Conflict, "conflict", "Refused", error.Message),
    };

    /// <summary>
    /// The code of a refused decision or review: the rule that refused it (<c>self-approval</c>, <c>ineligible-approver</c>,
    /// <c>agent-principal</c>, <c>break-glass-actor</c> …, the <see cref="DecisionRefused.Rule"/> names), so a client can
    /// tell them apart without parsing the sentence; <c>decision-refused</c> only when no rule is named.
    /// </summary>
    private static string RefusalCode(DecisionRefused e) =>
        string.IsNullOrWhiteSpace(e.Rule) || string.Equals(e.Rule, "other", StringComparison.Ordinal) ? "decision-refused" : e.Rule;

    /// <summary>Writes a problem response directly (authentication handlers run outside endpoint results).</summary>
    public static Task Write(HttpContext context, int status, string code, string title, string detail)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = TypePrefix + code, Instance = context.Request.Path };
        problem.Extensions["code"] = code;
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(problem, ServerJson.Options, "application/problem+json");
    }
}
