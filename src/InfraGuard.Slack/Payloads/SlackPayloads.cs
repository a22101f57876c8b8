using System.Text.Json;

namespace InfraGuard.Slack.Payloads;

/// <summary>An interaction payload (<c>payload=</c> form field over HTTP, or an <c>interactive</c> Socket Mode envelope).</summary>
/// <param name="Type">Slack's <c>type</c> (<c>block_actions</c>, <c>view_submission</c>, …).</param>
/// <param name="UserId">Who clicked or submitted: the only trustworthy identity in the payload.</param>
/// <param name="TeamId">Workspace id (<c>team.id</c>).</param>
public abstract record SlackInteraction(string Type, string UserId, string? TeamId);

/// <summary>A button click (<c>block_actions</c>).</summary>
/// <param name="UserId">The clicker's Slack user id.</param>
/// <param name="TeamId">Workspace id.</param>
/// <param name="ActionId">The clicked element's <c>action_id</c> (e.g. <c>infraguard_approve</c>).</param>
/// <param name="Value">The element's <c>value</c>: for InfraGuard buttons, the request id. Never trusted for identity.</param>
/// <param name="BlockId">The block the element is in.</param>
/// <param name="TriggerId">Opens a modal; valid for 3 seconds, once.</param>
/// <param name="ResponseUrl">Reply URL (5 uses within 30 minutes).</param>
/// <param name="ChannelId">Channel of the source message (<c>container.channel_id</c>, else <c>channel.id</c>).</param>
/// <param name="MessageTs">Timestamp of the source message (<c>container.message_ts</c>, else <c>message.ts</c>).</param>
/// <param name="IsEphemeral">The source message is ephemeral.</param>
/// <param name="UserName">Slack user name, for display only.</param>
public sealed record SlackBlockAction(
    string UserId,
    string? TeamId,
    string ActionId,
    string? Value,
    string? BlockId,
    string? TriggerId,
    Uri? ResponseUrl,
    string? ChannelId,
    string? MessageTs,
    bool IsEphemeral,
    string? UserName) : SlackInteraction("block_actions", UserId, TeamId);

/// <summary>A modal submission (<c>view_submission</c>).</summary>
/// <param name="UserId">The submitter's Slack user id.</param>
/// <param name="TeamId">Workspace id.</param>
/// <param name="ViewId">The view id.</param>
/// <param name="CallbackId">The view's <c>callback_id</c>.</param>
/// <param name="PrivateMetadata">What the app put in <c>private_metadata</c> (re-load server state; never authorise from it).</param>
/// <param name="Values">Input values: <c>block_id</c> → <c>action_id</c> → text value.</param>
public sealed record SlackViewSubmission(
    string UserId,
    string? TeamId,
    string ViewId,
    string CallbackId,
    string PrivateMetadata,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> Values) : SlackInteraction("view_submission", UserId, TeamId)
{
    /// <summary>The text typed into an input, or null when absent.</summary>
    public string? Value(string blockId, string actionId) =>
        Values.TryGetValue(blockId, out var block) && block.TryGetValue(actionId, out var value) ? value : null;
}

/// <summary>An interaction type InfraGuard does not handle (<c>view_closed</c>, <c>shortcut</c>, …); ack and ignore.</summary>
public sealed record SlackOtherInteraction(string Type, string UserId, string? TeamId) : SlackInteraction(Type, UserId, TeamId);

/// <summary>A slash command invocation.</summary>
/// <param name="Command">The command, e.g. <c>/infraguard</c>.</param>
/// <param name="Text">Everything after the command.</param>
/// <param name="UserId">Who typed it.</param>
/// <param name="TeamId">Workspace id.</param>
/// <param name="ChannelId">Where.</param>
/// <param name="ResponseUrl">Reply URL.</param>
/// <param name="TriggerId">Opens a modal.</param>
public sealed record SlackSlashCommand(string Command, string Text, string UserId, string? TeamId, string? ChannelId, Uri? ResponseUrl, string? TriggerId)
{
    /// <summary>What the text asks InfraGuard to do.</summary>
    public InfraGuardCommand Parse() => InfraGuardCommand.Parse(Text);
}

/// <summary>What <c>/infraguard …</c> asks for.</summary>
public enum InfraGuardCommandKind
{
    /// <summary><c>help</c> or nothing.</summary>
    Help,

    /// <summary><c>pending</c>: list requests waiting for a decision.</summary>
    Pending,

    /// <summary><c>show ID</c>: one request.</summary>
    Show,

    /// <summary>Anything else; reply with help.</summary>
    Unknown,
}

/// <summary>A parsed <c>/infraguard</c> command.</summary>
/// <param name="Kind">What to do.</param>
/// <param name="Argument">The request id for <see cref="InfraGuardCommandKind.Show"/>, or the unrecognised text.</param>
public sealed record InfraGuardCommand(InfraGuardCommandKind Kind, string? Argument = null)
{
    /// <summary>Parses the command text (case-insensitive verbs, extra spaces ignored).</summary>
    public static InfraGuardCommand Parse(string? text)
    {
        var words = (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return new(InfraGuardCommandKind.Help);
        }

        return words[0].ToUpperInvariant() switch
        {
            "HELP" when words.Length == 1 => new(InfraGuardCommandKind.Help),
            "PENDING" when words.Length == 1 => new(InfraGuardCommandKind.Pending),
            "SHOW" when words.Length == 2 => new(InfraGuardCommandKind.Show, words[1]),
            _ => new(InfraGuardCommandKind.Unknown, string.Join(' ', words)),
        };
    }
}

/// <summary>An Events API body.</summary>
public abstract record SlackEvent(string Type);

/// <summary>Sent when the Request URL is set; answer with the challenge.</summary>
public sealed record SlackUrlVerification(string Challenge) : SlackEvent("url_verification");

/// <summary>An <c>event_callback</c> (e.g. <c>app_mention</c>).</summary>
/// <param name="EventId">Slack's event id (deduplicate retries by it).</param>
/// <param name="EventType">The inner <c>event.type</c>.</param>
/// <param name="TeamId">Workspace id.</param>
/// <param name="Event">The inner event, cloned.</param>
public sealed record SlackEventCallback(string? EventId, string? EventType, string? TeamId, JsonElement Event) : SlackEvent("event_callback");

/// <summary>Any other Events API body type; ack and ignore.</summary>
public sealed record SlackOtherEvent(string Type) : SlackEvent(Type);

/// <summary>A Slack payload that could not be read.</summary>
public sealed class SlackPayloadException(string message, Exception? inner = null) : Exception(message, inner);
