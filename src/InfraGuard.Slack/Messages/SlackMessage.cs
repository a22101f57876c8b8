using System.Text.Json.Nodes;

namespace InfraGuard.Slack.Messages;

/// <summary>A message to post: fallback <paramref name="Text"/> (notifications, screen readers) and Block Kit <paramref name="Blocks"/>.</summary>
public sealed record SlackMessage(string Text, JsonArray Blocks)
{
    /// <summary>The message as a JSON body (<c>text</c> + <c>blocks</c>), e.g. for a <c>response_url</c> or a Socket Mode ack payload.</summary>
    public JsonObject ToJson() => new() { ["text"] = Text, ["blocks"] = Blocks.DeepClone() };
}

/// <summary>A text file to upload into a thread.</summary>
/// <param name="FileName">File name shown in Slack.</param>
/// <param name="Title">Title shown in Slack.</param>
/// <param name="Content">The text (already redacted).</param>
/// <param name="InitialComment">Optional message posted with the file.</param>
public sealed record SlackFile(string FileName, string Title, string Content, string? InitialComment = null);
