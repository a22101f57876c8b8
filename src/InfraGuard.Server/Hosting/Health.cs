using InfraGuard.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// The probes: <c>/healthz</c> (liveness: the process answers; never touches the database, so a database outage does
/// not get every replica restarted) and <c>/readyz</c> (readiness: the database answers and its schema is at the version
/// this build expects; 503 otherwise, and from the moment the server starts shutting down, so a load balancer stops
/// sending it runners while it answers the long-polls it holds).
/// </summary>
internal static class Health
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" })).AllowAnonymous();
        app.MapGet("/readyz", ReadyAsync).AllowAnonymous();
    }

    private static async Task<IResult> ReadyAsync(ChangeStore store, ILeadership leadership, IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return NotReady("shutting down");
        }

        SchemaStatus schema;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            schema = await store.GetSchemaStatusAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return NotReady($"the database does not answer: {e.Message}");
        }

        if (!schema.AtExpected)
        {
            return NotReady($"the database schema is at version {schema.Current}; this server expects {schema.Expected}", schema);
        }

        return TypedResults.Ok(new { status = "ready", schema = schema.Current, leader = leadership.IsLeader });
    }

    private static JsonHttpResult<NotReadyView> NotReady(string reason, SchemaStatus? schema = null) =>
        TypedResults.Json(new NotReadyView("not-ready", reason, schema?.Current, schema?.Expected), statusCode: StatusCodes.Status503ServiceUnavailable);

    private sealed record NotReadyView(string Status, string Reason, int? Schema, int? Expected);
}
