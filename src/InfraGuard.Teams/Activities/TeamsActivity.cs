using System.Text.Json;

namespace InfraGuard.Teams.Activities;

/// <summary>A Teams account as an activity names it (<c>from</c>, <c>recipient</c>, <c>membersAdded</c>).</summary>
/// <param name="Id">The channel account id (<c>29:…</c> for people, <c>28:…</c> for bots).</param>
/// <param name="Name">Display name, for display only.</param>
/// <param name="AadObjectId">The person's Entra (Azure AD) object id: the stable identity InfraGuard maps (<c>teams:&lt;aadObjectId&gt;</c>).</param>
public sealed record TeamsAccount(string Id, string? Name, string? AadObjectId);

/// <summary>
/// The parts of a Bot Framework activity InfraGuard reads. Everything here comes from the request body: only
/// <see cref="ChannelId"/> and <see cref="ServiceUrl"/> are bound to the caller by the token
/// (<see cref="Auth.BotTokenValidator"/>); identity is only <see cref="From"/> once the token is valid.
/// </summary>
/// <param name="Type"><c>message</c>, <c>invoke</c>, <c>conversationUpdate</c>, …</param>
/// <param name="Name">The invoke name (<c>adaptiveCard/action</c>), else null.</param>
/// <param name="Id">The activity id.</param>
/// <param name="ChannelId">The Bot Framework channel (<c>msteams</c>).</param>
/// <param name="ServiceUrl">Where to answer: the Bot Connector for this conversation.</param>
/// <param name="From">Who sent it.</param>
/// <param name="Recipient">The bot.</param>
/// <param name="ConversationId">The conversation (a channel thread is <c>19:…@thread.tacv2;messageid=…</c>).</param>
/// <param name="ConversationType"><c>channel</c>, <c>groupChat</c> or <c>personal</c>.</param>
/// <param name="TenantId">The Entra tenant: <c>channelData.tenant.id</c>, else <c>conversation.tenantId</c>.</param>
/// <param name="TeamsChannelId">The channel (<c>channelData.teamsChannelId</c>, else <c>channelData.channel.id</c>).</param>
/// <param name="TeamsTeamId">The team (<c>channelData.teamsTeamId</c>, else <c>channelData.team.id</c>).</param>
/// <param name="TeamName">The team's name when Teams sends it (<c>channelData.team.name</c>).</param>
/// <param name="EventType"><c>channelData.eventType</c> of a <c>conversationUpdate</c> (<c>teamMemberAdded</c>, …).</param>
/// <param name="ReplyToId">The message an activity answers (for a card action, the card's message id).</param>
/// <param name="MembersAdded">Accounts a <c>conversationUpdate</c> added.</param>
/// <param name="Value">The <c>value</c> (an invoke's payload), or an undefined element.</param>
public sealed record TeamsActivity(
    string Type,
    string? Name,
    string? Id,
    string ChannelId,
    string ServiceUrl,
    TeamsAccount From,
    TeamsAccount? Recipient,
    string ConversationId,
    string? ConversationType,
    string? TenantId,
    string? TeamsChannelId,
    string? TeamsTeamId,
    string? TeamName,
    string? EventType,
    string? ReplyToId,
    IReadOnlyList<TeamsAccount> MembersAdded,
    JsonElement Value)
{
    /// <summary>The Bot Framework channel id of Microsoft Teams.</summary>
    public const string MsTeams = "msteams";

    /// <summary>The invoke a Universal Actions <c>Action.Execute</c> click sends.</summary>
    public const string AdaptiveCardAction = "adaptiveCard/action";

    /// <summary>True for an <c>invoke</c> named <c>adaptiveCard/action</c>.</summary>
    public bool IsCardAction => Type == "invoke" && Name == AdaptiveCardAction;

    /// <summary>True when a <c>conversationUpdate</c> added <see cref="Recipient"/> (the bot) to the conversation.</summary>
    public bool AddsBot => Type == "conversationUpdate" && Recipient is { } bot && MembersAdded.Any(m => m.Id == bot.Id);
}

/// <summary>An activity body InfraGuard cannot read (not JSON, or missing what every activity has).</summary>
public sealed class TeamsPayloadException : Exception
{
    public TeamsPayloadException()
    {
    }

    public TeamsPayloadException(string message)
        : base(message)
    {
    }

    public TeamsPayloadException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Reads activities with <see cref="JsonDocument"/>; unknown properties are ignored.</summary>
public static class TeamsActivityParser
{
    /// <summary>Reads one activity; throws <see cref="TeamsPayloadException"/> when it is not one.</summary>
    public static TeamsActivity Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
            doc = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new TeamsPayloadException("The activity is not JSON: " + e.Message, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new TeamsPayloadException("The activity is not a JSON object.");
            }

            return new TeamsActivity(
                Required(root, "type"),
                Str(root, "name"),
                Str(root, "id"),
                Required(root, "channelId"),
                Required(root, "serviceUrl"),
                Account(root, "from") ?? throw new TeamsPayloadException("The activity has no 'from' account."),
                Account(root, "recipient"),
                Str(root, "conversation", "id") ?? throw new TeamsPayloadException("The activity has no 'conversation.id'."),
                Str(root, "conversation", "conversationType"),
                Str(root, "channelData", "tenant", "id") ?? Str(root, "conversation", "tenantId"),
                Str(root, "channelData", "teamsChannelId") ?? Str(root, "channelData", "channel", "id"),
                Str(root, "channelData", "teamsTeamId") ?? Str(root, "channelData", "team", "id"),
                Str(root, "channelData", "team", "name"),
                Str(root, "channelData", "eventType"),
                Str(root, "replyToId"),
                root.TryGetProperty("membersAdded", out var added) && added.ValueKind == JsonValueKind.Array
                    ? [.. added.EnumerateArray().Select(AccountOf).OfType<TeamsAccount>()]
                    : [],
                root.TryGetProperty("value", out var value) ? value.Clone() : default);
        }
    }

    /// <summary>The string at <paramref name="path"/>, or null when any step is missing or not of that kind.</summary>
    public static string? Str(JsonElement element, params ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind == JsonValueKind.String ? element.GetString() : null;
    }

    private static string Required(JsonElement root, string name) =>
        Str(root, name) is { Length: > 0 } s ? s : throw new TeamsPayloadException($"The activity has no '{name}'.");

    private static TeamsAccount? Account(JsonElement root, string name) =>
        root.TryGetProperty(name, out var account) ? AccountOf(account) : null;

    private static TeamsAccount? AccountOf(JsonElement account) =>
        Str(account, "id") is { Length: > 0 } id ? new TeamsAccount(id, Str(account, "name"), Str(account, "aadObjectId")) : null;
}
