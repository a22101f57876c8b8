using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Payloads;
using InfraGuard.Slack.Signing;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Slack's three Request URLs. Each verifies the signature on the raw body before reading it (401 otherwise), then
/// answers within Slack's 3 seconds; anything slow is queued. 404 while Slack is not enabled.
/// </summary>
internal static class SlackEndpoints
{
    /// <summary>Largest body read; Slack's payloads are far smaller.</summary>
    private const int MaxBody = 1 << 20;

    public static void Map(IEndpointRouteBuilder app)
    {
        var slack = app.MapGroup("/slack").AllowAnonymous().ExcludeFromDescription();
        slack.MapPost("/interactivity", (HttpContext http, CancellationToken _) => HandleAsync(http, async (handlers, body, ct) =>
        {
            var ack = await handlers.InteractionAsync(SlackPayloadParser.ParseInteractionForm(body), ct).ConfigureAwait(false);
            return ack is null ? Results.Ok() : Json(ack);
        }));
        slack.MapPost("/commands", (HttpContext http, CancellationToken _) => HandleAsync(http, async (handlers, body, ct) =>
        {
            var reply = await handlers.CommandAsync(SlackPayloadParser.ParseSlashCommandForm(body), ct).ConfigureAwait(false);
            var json = reply.ToJson();
            json["response_type"] = "ephemeral";
            return Json(json);
        }));
        slack.MapPost("/events", (HttpContext http, CancellationToken _) => HandleAsync(http, async (handlers, body, ct) =>
        {
            var ack = await handlers.EventAsync(SlackPayloadParser.ParseEvent(body), ct).ConfigureAwait(false);
            return ack is null ? Results.Ok() : Json(ack);
        }));
    }

    private static async Task<IResult> HandleAsync(HttpContext http, Func<SlackHandlers, string, CancellationToken, Task<IResult>> handle)
    {
        var services = http.RequestServices;
        if (!services.GetRequiredService<IOptions<SlackOptions>>().Value.Enabled)
        {
            return Results.NotFound();
        }

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("InfraGuard.Server.Slack");
        if (http.Request.ContentLength is > MaxBody)
        {
            return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }

        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, http.RequestAborted).ConfigureAwait(false);
        var raw = buffer.ToArray();
        var timestamp = http.Request.Headers[SlackRequestVerifier.TimestampHeader].ToString();
        var signature = http.Request.Headers[SlackRequestVerifier.SignatureHeader].ToString();
        var verification = services.GetRequiredService<SlackRequestVerifier>().Verify(timestamp, signature, raw);
        if (!verification.IsValid)
        {
            SlackLog.Unverified(logger, http.Request.Path, verification.Failure.ToString());
            return Results.Unauthorized();
        }

        // Verified, so the timestamp parses. Any server on the database that accepted this signed request already: a replay.
        if (!await services.GetRequiredService<SlackSeenKeys>().FirstRequestAsync(signature, long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture), http.RequestAborted).ConfigureAwait(false))
        {
            SlackLog.Unverified(logger, http.Request.Path, nameof(SlackVerificationFailure.Replayed));
            return Results.Unauthorized();
        }

        try
        {
            return await handle(services.GetRequiredService<SlackHandlers>(), Encoding.UTF8.GetString(raw), http.RequestAborted).ConfigureAwait(false);
        }
        catch (SlackPayloadException e)
        {
            SlackLog.BadPayload(logger, http.Request.Path, e.Message);
            return Results.BadRequest();
        }
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(), "application/json; charset=utf-8");
}
