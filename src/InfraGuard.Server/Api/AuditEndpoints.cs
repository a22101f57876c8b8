using System.Security.Claims;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;

namespace InfraGuard.Server.Api;

/// <summary>/api/v1/audit: runners append the free-standing events they write; auditors query and verify.</summary>
internal static class AuditEndpoints
{
    /// <summary>The fields a runner may report on <c>run.cancelled</c>; the server adds who submitted it.</summary>
    private static readonly HashSet<string> CancelledFields = new(StringComparer.Ordinal) { "stack", "phase" };

    public static void Map(RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapPost("/events", AppendAsync).RequireScope(ApiScopes.Runner);
        audit.MapGet("/entries", ListAsync).RequireScope(ApiScopes.Auditor, ApiScopes.Admin);
        audit.MapGet("/verify", VerifyAsync).RequireScope(ApiScopes.Auditor, ApiScopes.Admin);
    }

    /// <summary>
    /// The one free-standing event a runner reports: <c>run.cancelled</c> with <c>stack</c> and <c>phase</c>. Everything
    /// else (scores, decisions, grants, applies) the server records itself with the state change it belongs to.
    /// </summary>
    private static async Task<IResult> AppendAsync(AuditEventBody body, ClaimsPrincipal user, Authorities authorities, ILoggerFactory logs, CancellationToken ct)
    {
        if (body.Type != AuditEventTypes.RunCancelled)
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "event-type-not-allowed", "Event type not allowed",
                $"A runner may append only {AuditEventTypes.RunCancelled} events; '{body.Type}' is written by the server itself.");
        }

        if (body.Request is not null && !RequestId.IsValid(body.Request))
        {
            return Problems.BadRequest($"request '{body.Request}' is not a change request id (cr_ + 12 characters).");
        }

        var fields = body.Fields ?? [];
        if (fields.Select(f => f.Key).FirstOrDefault(name => !CancelledFields.Contains(name)) is { } extra)
        {
            return Problems.BadRequest($"field '{extra}' is not part of {AuditEventTypes.RunCancelled}; a runner reports only stack and phase, the server adds who submitted it.");
        }

        if (fields["stack"]?.GetValueKind() != System.Text.Json.JsonValueKind.String || fields["phase"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return Problems.BadRequest($"{AuditEventTypes.RunCancelled} needs the string fields stack and phase.");
        }

        await authorities.For(user).RecordCancelledAsync(fields["stack"]!.GetValue<string>(), body.Request, fields["phase"]!.GetValue<string>(), ct).ConfigureAwait(false);
        ServerLog.AuditAppended(logs.CreateLogger("InfraGuard.Server.Audit"), 0, body.Type, ApiClaims.IdentityOf(user));
        return TypedResults.Created();
    }

    private static async Task<IResult> ListAsync(
        ChangeStore store, long? from, long? to, string? kind, string? request, DateTimeOffset? since, DateTimeOffset? until, int? limit, CancellationToken ct)
    {
        if (limit is < 1 or > 10_000)
        {
            return Problems.BadRequest("limit must be between 1 and 10000.");
        }

        var entries = await store.ListEntriesAsync(new AuditQuery(from, to, kind, request, since, until, limit ?? 1000), ct).ConfigureAwait(false);
        return TypedResults.Ok(new AuditEntryList([.. entries.Select(AuditEntryView.From)]));
    }

    /// <summary>Verifies the whole log against the public keys recorded in the database (an auditor with keys obtained out of band runs <c>infraguard audit verify --trusted-key</c> on an export).</summary>
    private static async Task<IResult> VerifyAsync(ClaimsPrincipal user, ChangeStore store, ILoggerFactory logs, CancellationToken ct)
    {
        var keys = await store.ListKeysAsync(ct).ConfigureAwait(false);
        var result = await store.VerifyAsync(keys, null, ct).ConfigureAwait(false);
        ServerLog.Verified(logs.CreateLogger("InfraGuard.Server.Audit"), ApiClaims.IdentityOf(user), result.Entries, result.IsValid);
        var json = JsonNode.Parse(result.ToJson())!.AsObject();
        json["trustedKeys"] = "database";
        return TypedResults.Text(json.ToJsonString(), "application/json", statusCode: StatusCodes.Status200OK);
    }
}
