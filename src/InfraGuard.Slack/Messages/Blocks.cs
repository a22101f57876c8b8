using System.Text.Json.Nodes;

namespace InfraGuard.Slack.Messages;

/// <summary>Small Block Kit constructors; every text is cut to its limit here so no builder can exceed it.</summary>
internal static class Blocks
{
    public static JsonObject Header(string id, string text) => new()
    {
        ["type"] = "header",
        ["block_id"] = id,
        ["text"] = Plain(Mrkdwn.Fit(text, BlockKitLimits.HeaderText)),
    };

    public static JsonObject Section(string id, string mrkdwn) => new()
    {
        ["type"] = "section",
        ["block_id"] = id,
        ["text"] = Md(Mrkdwn.Fit(mrkdwn, BlockKitLimits.SectionText)),
    };

    public static JsonObject Fields(string id, IEnumerable<string> fields) => new()
    {
        ["type"] = "section",
        ["block_id"] = id,
        ["fields"] = new JsonArray(fields.Take(BlockKitLimits.SectionFields).Select(f => (JsonNode)Md(Mrkdwn.Fit(f, BlockKitLimits.FieldText))).ToArray()),
    };

    public static JsonObject Context(string id, string mrkdwn) => new()
    {
        ["type"] = "context",
        ["block_id"] = id,
        ["elements"] = new JsonArray(Md(Mrkdwn.Fit(mrkdwn, BlockKitLimits.FieldText))),
    };

    public static JsonObject Divider() => new() { ["type"] = "divider" };

    public static JsonObject Actions(string id, params JsonObject[] elements) => new()
    {
        ["type"] = "actions",
        ["block_id"] = id,
        ["elements"] = new JsonArray(elements.Cast<JsonNode>().ToArray()),
    };

    public static JsonObject Button(string actionId, string text, string? value = null, string? style = null, Uri? url = null, JsonObject? confirm = null)
    {
        var button = new JsonObject
        {
            ["type"] = "button",
            ["action_id"] = actionId,
            ["text"] = Plain(Mrkdwn.Fit(text, BlockKitLimits.ButtonText)),
        };
        if (value is not null)
        {
            button["value"] = value;
        }

        if (style is not null)
        {
            button["style"] = style;
        }

        if (url is not null)
        {
            button["url"] = url.AbsoluteUri;
        }

        if (confirm is not null)
        {
            button["confirm"] = confirm;
        }

        return button;
    }

    public static JsonObject Confirm(string title, string text, string confirm, string deny) => new()
    {
        ["title"] = Plain(Mrkdwn.Fit(title, 100)),
        ["text"] = Md(Mrkdwn.Fit(text, 300)),
        ["confirm"] = Plain(Mrkdwn.Fit(confirm, 30)),
        ["deny"] = Plain(Mrkdwn.Fit(deny, 30)),
        ["style"] = "danger",
    };

    public static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text, ["emoji"] = true };

    public static JsonObject Md(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };
}
