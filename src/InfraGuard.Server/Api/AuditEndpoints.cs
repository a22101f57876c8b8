using System.Security.Claims;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Store;

namespace InfraGuard.Server.Api;

/// <summary>/api/v1/audit: runners append the free-standing events they write; auditors query and verify.</summary>
internal static class AuditEndpoints
{
    /// <summary>The only events a runner may append directly; everything else is written by the store with its state change.</summary>
    private static readonly HashSet<string> RunnerEvents = new(StringComparer.Ordinal) { AuditEventTypes.RiskScored, AuditEventTypes.RunCancelled };

    public static void Map(RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit");
        audit.MapPost("/events", AppendAsync).RequireScope(ApiScopes.Runner);
        audit.MapGet("/entries", ListAsync).RequireScope(ApiScopes.Auditor, ApiScopes.Admin);
        audit.MapGet("/verify", VerifyAsync).RequireScope(ApiScopes.Auditor, ApiScopes.Admin);
    }

    private static async Task<IResult> AppendAsync(AuditEventBody body, ClaimsPrincipal user, ChangeStore store, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        if (!RunnerEvents.Contains(body.Type ?? string.Empty))
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "event-type-not-allowed", "Event type not allowed",
                $"A runner may append only {string.Join(" and ", RunnerEvents.Order(StringComparer.Ordinal))} events; '{body.Type}' is written by the server itself.");
        }

        if (body.Request is not null && !RequestId.IsValid(body.Request))
        {
            return Problems.BadRequest($"request '{body.Request}' is not a change request id (cr_ + 12 characters).");
        }

        var identity = ApiClaims.IdentityOf(user);
        var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (name, value) in body.Fields ?? [])
        {
            if (name is "type" or "at" or "request" or "submitted_by")
            {
                return Problems.BadRequest($"field '{name}' is reserved; the server sets it.");
            }

            fields[name] = value?.DeepClone();
        }

        // The server's clock dates the entry, and the token's identity is recorded as who reported it.
        fields["submitted_by"] = identity;
        var entry = await store.AppendAsync(new AuditEvent(body.Type!, time.GetUtcNow(), body.Request, fields), ct).ConfigureAwait(false);
        ServerLog.AuditAppended(logs.CreateLogger("InfraGuard.Server.Audit"), entry.Seq, entry.Kind, identity);
        return TypedResults.Created($"/api/v1/audit/entries?from={entry.Seq}&to={entry.Seq}", AuditEntryView.From(entry));
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
