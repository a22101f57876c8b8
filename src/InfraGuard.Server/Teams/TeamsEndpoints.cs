using System.Text.Json.Nodes;
using InfraGuard.Teams.Activities;
using InfraGuard.Teams.Auth;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Teams;

/// <summary>
/// The bot's messaging endpoint, <c>POST /teams/messages</c>. Every request must carry a Bot Connector token that
/// <see cref="BotTokenValidator"/> accepts for the activity's channel and service URL (401 otherwise, and for a body
/// that is not an activity); only <c>msteams</c> activities from allowed tenants are served. 404 while Teams is off.
/// </summary>
internal static class TeamsEndpoints
{
    /// <summary>Largest body read; activities are far smaller.</summary>
    private const int MaxBody = 256 * 1024;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/teams/messages", (HttpContext http, CancellationToken _) => HandleAsync(http)).AllowAnonymous().ExcludeFromDescription();

    private static async Task<IResult> HandleAsync(HttpContext http)
    {
        var services = http.RequestServices;
        var options = services.GetRequiredService<IOptions<TeamsOptions>>().Value;
        if (!options.Enabled)
        {
            return Results.NotFound();
        }

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("InfraGuard.Server.Teams");
        if (http.Request.ContentLength is > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            TeamsLog.Unauthenticated(logger, http.Request.Path, "no Authorization header");
            return Results.Unauthorized();
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        if (buffer.Length > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        TeamsActivity activity;
        try
        {
            activity = TeamsActivityParser.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (TeamsPayloadException e)
        {
            // Nothing unauthenticated is answered beyond 401: the token is bound to the activity's channel and service URL.
            TeamsLog.Unauthenticated(logger, http.Request.Path, e.Message);
            return Results.Unauthorized();
        }

        var check = await services.GetRequiredService<BotTokenValidator>().ValidateAsync(authorization, activity.ChannelId, activity.ServiceUrl, http.RequestAborted).ConfigureAwait(false);
        if (!check.IsValid)
        {
            TeamsLog.Unauthenticated(logger, http.Request.Path, check.Failure!);
            return Results.Unauthorized();
        }

        if (activity.ChannelId != TeamsActivity.MsTeams)
        {
            TeamsLog.Unauthenticated(logger, http.Request.Path, $"channel '{activity.ChannelId}' is not msteams");
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (activity.IsCardAction)
        {
            var answer = await services.GetRequiredService<TeamsHandlers>().CardActionAsync(activity, http.RequestAborted).ConfigureAwait(false);
            return Json(answer);
        }

        if (!options.Allows(activity.TenantId))
        {
            TeamsLog.TenantRefused(logger, activity.TenantId ?? "(none)");
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (activity.AddsBot)
        {
            TeamsLog.Installed(logger, activity.TeamName ?? activity.TeamsTeamId ?? "(chat)", activity.TenantId ?? "(none)", activity.TeamsChannelId ?? activity.ConversationId, activity.ServiceUrl);
        }

        return Results.Ok(); // conversationUpdate, messages and other activities: acknowledged, nothing to do.
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
}
