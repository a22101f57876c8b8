using System.Text.Json.Nodes;

namespace InfraGuard.Slack.Messages;

/// <summary>Slack's Block Kit limits for messages and modals (research note A.6), and a checker.</summary>
public static class BlockKitLimits
{
    /// <summary>Blocks per message.</summary>
    public const int MessageBlocks = 50;

    /// <summary>Blocks per modal.</summary>
    public const int ModalBlocks = 100;

    /// <summary>Characters in a section's text.</summary>
    public const int SectionText = 3000;

    /// <summary>Fields in a section.</summary>
    public const int SectionFields = 10;

    /// <summary>Characters in one section field or a context element.</summary>
    public const int FieldText = 2000;

    /// <summary>Characters in a header block.</summary>
    public const int HeaderText = 150;

    /// <summary>Characters of block text across a message; Slack's undocumented <c>msg_blocks_too_long</c> hits near 13,200.</summary>
    public const int MessageTotalText = 12000;

    /// <summary>Characters in the fallback <c>text</c> Slack recommends.</summary>
    public const int FallbackText = 4000;

    /// <summary>Elements in an actions block.</summary>
    public const int ActionsElements = 25;

    /// <summary>Elements in a context block.</summary>
    public const int ContextElements = 10;

    /// <summary>Button text.</summary>
    public const int ButtonText = 75;

    /// <summary>Button value.</summary>
    public const int ButtonValue = 2000;

    /// <summary>Characters in <c>block_id</c> and <c>action_id</c>.</summary>
    public const int Id = 255;

    /// <summary>Modal title, submit and close texts.</summary>
    public const int ModalTitle = 24;

    /// <summary>Modal <c>private_metadata</c>.</summary>
    public const int PrivateMetadata = 3000;

    /// <summary>Every limit <paramref name="message"/> (a <c>text</c> + <c>blocks</c> body) breaks; empty when within limits.</summary>
    public static IReadOnlyList<string> CheckMessage(JsonObject message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var problems = new List<string>();
        if ((string?)message["text"] is not { Length: > 0 } text)
        {
            problems.Add("text: the fallback text is missing");
        }
        else if (text.Length > FallbackText)
        {
            problems.Add($"text: {text.Length} > {FallbackText} characters");
        }

        var blocks = message["blocks"] as JsonArray ?? [];
        CheckBlocks(blocks, MessageBlocks, problems);
        var total = TotalText(blocks);
        if (total > MessageTotalText)
        {
            problems.Add($"blocks: {total} characters of text > {MessageTotalText}");
        }

        return problems;
    }

    /// <summary>Every limit a modal view breaks.</summary>
    public static IReadOnlyList<string> CheckModal(JsonObject view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var problems = new List<string>();
        foreach (var key in new[] { "title", "submit", "close" })
        {
            if ((string?)view[key]?["text"] is { Length: > ModalTitle } t)
            {
                problems.Add($"{key}: {t.Length} > {ModalTitle} characters");
            }
        }

        if ((string?)view["private_metadata"] is { Length: > PrivateMetadata } m)
        {
            problems.Add($"private_metadata: {m.Length} > {PrivateMetadata} characters");
        }

        CheckBlocks(view["blocks"] as JsonArray ?? [], ModalBlocks, problems);
        return problems;
    }

    /// <summary>Characters of all <c>text</c> values inside the blocks.</summary>
    public static int TotalText(JsonNode? node) => node switch
    {
        JsonObject o => o.Sum(kv => kv.Key == "text" && kv.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : TotalText(kv.Value)),
        JsonArray a => a.Sum(TotalText),
        _ => 0,
    };

    private static void CheckBlocks(JsonArray blocks, int maxBlocks, List<string> problems)
    {
        if (blocks.Count > maxBlocks)
        {
            problems.Add($"blocks: {blocks.Count} > {maxBlocks}");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i] as JsonObject;
            var at = $"/blocks/{i}";
            if ((string?)block?["block_id"] is { } id && (id.Length > Id || !ids.Add(id)))
            {
                problems.Add($"{at}/block_id: too long or not unique");
            }

            switch ((string?)block?["type"])
            {
                case "header":
                    Max(block!["text"]?["text"], HeaderText, at + "/text", problems);
                    break;
                case "section":
                    Max(block!["text"]?["text"], SectionText, at + "/text", problems);
                    if (block["fields"] is JsonArray fields)
                    {
                        if (fields.Count > SectionFields)
                        {
                            problems.Add($"{at}/fields: {fields.Count} > {SectionFields}");
                        }

                        for (var f = 0; f < fields.Count; f++)
                        {
                            Max(fields[f]?["text"], FieldText, $"{at}/fields/{f}", problems);
                        }
                    }

                    break;
                case "context":
                    var elements = block!["elements"] as JsonArray ?? [];
                    if (elements.Count > ContextElements)
                    {
                        problems.Add($"{at}/elements: {elements.Count} > {ContextElements}");
                    }

                    for (var e = 0; e < elements.Count; e++)
                    {
                        Max(elements[e]?["text"], FieldText, $"{at}/elements/{e}", problems);
                    }

                    break;
                case "actions":
                    var buttons = block!["elements"] as JsonArray ?? [];
                    if (buttons.Count > ActionsElements)
                    {
                        problems.Add($"{at}/elements: {buttons.Count} > {ActionsElements}");
                    }

                    for (var b = 0; b < buttons.Count; b++)
                    {
                        Max(buttons[b]?["text"]?["text"], ButtonText, $"{at}/elements/{b}/text", problems);
                        Max(buttons[b]?["value"], ButtonValue, $"{at}/elements/{b}/value", problems);
                        Max(buttons[b]?["action_id"], Id, $"{at}/elements/{b}/action_id", problems);
                    }

                    break;
                case "divider" or "input":
                    break;
                default:
                    problems.Add($"{at}: unexpected block type '{(string?)block?["type"]}'");
                    break;
            }
        }
    }

    private static void Max(JsonNode? node, int max, string at, List<string> problems)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > max)
        {
            problems.Add($"{at}: {s.Length} > {max} characters");
        }
    }
}
