using System.Text.Json;
using System.Web;

namespace InfraGuard.Slack.Payloads;

/// <summary>Reads the bodies Slack sends (HTTP form bodies and JSON, or Socket Mode envelope payloads).</summary>
public static class SlackPayloadParser
{
    /// <summary>Parses an interactivity request body: <c>application/x-www-form-urlencoded</c> with one <c>payload</c> field.</summary>
    public static SlackInteraction ParseInteractionForm(string formBody)
    {
        var form = HttpUtility.ParseQueryString(formBody ?? "");
        var payload = form["payload"] ?? throw new SlackPayloadException("The interactivity body has no 'payload' form field; is the Request URL pointing at the right endpoint?");
        return ParseInteraction(payload);
    }

    /// <summary>Parses interaction JSON text.</summary>
    public static SlackInteraction ParseInteraction(string json)
    {
        using var doc = Parse(json, "interaction payload");
        return ParseInteraction(doc.RootElement);
    }

    /// <summary>Parses an interaction payload element (e.g. a Socket Mode envelope's <c>payload</c>).</summary>
    public static SlackInteraction ParseInteraction(JsonElement payload)
    {
        var type = Str(payload, "type") ?? throw new SlackPayloadException("The interaction payload has no 'type'.");
        var userId = Str(payload, "user", "id") ?? throw new SlackPayloadException($"The {type} payload has no 'user.id'.");
        var teamId = Str(payload, "team", "id") ?? Str(payload, "user", "team_id");
        return type switch
        {
            "block_actions" => BlockAction(payload, userId, teamId),
            "view_submission" => ViewSubmission(payload, userId, teamId),
            _ => new SlackOtherInteraction(type, userId, teamId),
        };
    }

    /// <summary>Parses a slash command request body (form-encoded).</summary>
    public static SlackSlashCommand ParseSlashCommandForm(string formBody)
    {
        var form = HttpUtility.ParseQueryString(formBody ?? "");
        return SlashCommand(name => form[name]);
    }

    /// <summary>Parses a slash command delivered as JSON (a Socket Mode <c>slash_commands</c> payload).</summary>
    public static SlackSlashCommand ParseSlashCommand(JsonElement payload) => SlashCommand(name => Str(payload, name));

    /// <summary>Parses an Events API body (JSON).</summary>
    public static SlackEvent ParseEvent(string json)
    {
        using var doc = Parse(json, "Events API body");
        return ParseEvent(doc.RootElement);
    }

    /// <summary>Parses an Events API element (HTTP body, or a Socket Mode <c>events_api</c> payload).</summary>
    public static SlackEvent ParseEvent(JsonElement body)
    {
        var type = Str(body, "type") ?? throw new SlackPayloadException("The Events API body has no 'type'.");
        return type switch
        {
            "url_verification" => new SlackUrlVerification(Str(body, "challenge") ?? throw new SlackPayloadException("url_verification has no 'challenge'.")),
            "event_callback" => new SlackEventCallback(
                Str(body, "event_id"),
                Str(body, "event", "type"),
                Str(body, "team_id"),
                body.TryGetProperty("event", out var e) ? e.Clone() : default),
            _ => new SlackOtherEvent(type),
        };
    }

    private static SlackBlockAction BlockAction(JsonElement p, string userId, string? teamId)
    {
        if (!p.TryGetProperty("actions", out var actions) || actions.ValueKind != JsonValueKind.Array || actions.GetArrayLength() == 0)
        {
            throw new SlackPayloadException("The block_actions payload has no 'actions'.");
        }

        var action = actions[0];
        return new SlackBlockAction(
            userId,
            teamId,
            Str(action, "action_id") ?? throw new SlackPayloadException("The block_actions action has no 'action_id'."),
            Str(action, "value"),
            Str(action, "block_id"),
            Str(p, "trigger_id"),
            Url(Str(p, "response_url")),
            Str(p, "container", "channel_id") ?? Str(p, "channel", "id"),
            Str(p, "container", "message_ts") ?? Str(p, "message", "ts"),
            p.TryGetProperty("container", out var c) && c.TryGetProperty("is_ephemeral", out var eph) && eph.ValueKind == JsonValueKind.True,
            Str(p, "user", "username") ?? Str(p, "user", "name"));
    }

    private static SlackViewSubmission ViewSubmission(JsonElement p, string userId, string? teamId)
    {
        if (!p.TryGetProperty("view", out var view))
        {
            throw new SlackPayloadException("The view_submission payload has no 'view'.");
        }

        var values = new Dictionary<string, IReadOnlyDictionary<string, string?>>(StringComparer.Ordinal);
        if (view.TryGetProperty("state", out var state) && state.TryGetProperty("values", out var blocks) && blocks.ValueKind == JsonValueKind.Object)
        {
            foreach (var block in blocks.EnumerateObject())
            {
                var inputs = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var input in block.Value.EnumerateObject())
                {
                    inputs[input.Name] = Str(input.Value, "value") ?? Str(input.Value, "selected_option", "value");
                }

                values[block.Name] = inputs;
            }
        }

        return new SlackViewSubmission(
            userId,
            teamId,
            Str(view, "id") ?? "",
            Str(view, "callback_id") ?? "",
            Str(view, "private_metadata") ?? "",
            values);
    }

    private static SlackSlashCommand SlashCommand(Func<string, string?> field) => new(
        field("command") ?? throw new SlackPayloadException("The slash command has no 'command' field."),
        field("text") ?? "",
        field("user_id") ?? throw new SlackPayloadException("The slash command has no 'user_id' field."),
        field("team_id"),
        field("channel_id"),
        Url(field("response_url")),
        field("trigger_id"));

    private static JsonDocument Parse(string json, string what)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SlackPayloadException($"The {what} is not valid JSON: {e.Message}", e);
        }
    }

    private static Uri? Url(string? text) => Uri.TryCreate(text, UriKind.Absolute, out var u) ? u : null;

    internal static string? Str(JsonElement e, params string[] path)
    {
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return null;
            }
        }

        return e.ValueKind == JsonValueKind.String ? e.GetString() : null;
    }
}
