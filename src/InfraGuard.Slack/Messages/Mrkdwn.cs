namespace InfraGuard.Slack.Messages;

/// <summary>Text helpers for Slack <c>mrkdwn</c>.</summary>
public static class Mrkdwn
{
    /// <summary>Escapes the three control characters Slack requires (&amp;, &lt;, &gt;), so user text can't form links or mentions.</summary>
    public static string Escape(string? text) =>
        (text ?? "").Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Escaped text inside a code span; backticks are replaced so the span can't be closed early.</summary>
    public static string Code(string? text) => "`" + Escape(text).Replace('`', '\'') + "`";

    /// <summary>A link <c>&lt;url|label&gt;</c>; the label is escaped and may not contain <c>|</c>.</summary>
    public static string Link(Uri url, string label)
    {
        ArgumentNullException.ThrowIfNull(url);
        return "<" + url.AbsoluteUri.Replace("|", "%7C", StringComparison.Ordinal).Replace(">", "%3E", StringComparison.Ordinal) + "|" + Escape(label).Replace('|', '¦') + ">";
    }

    /// <summary>A user mention for a Slack user id (<c>U…</c> or <c>W…</c>).</summary>
    public static string User(string slackUserId) =>
        slackUserId.All(char.IsAsciiLetterOrDigit) ? "<@" + slackUserId + ">" : Escape(slackUserId);

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="max"/> characters, ending with an ellipsis when cut.</summary>
    public static string Fit(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= max)
        {
            return text;
        }

        var cut = text[..(max - 1)];

        // Never leave half an escape sequence or a lone surrogate behind.
        var amp = cut.LastIndexOf('&');
        if (amp >= 0 && amp > cut.Length - 5 && cut.IndexOf(';', amp) < 0)
        {
            cut = cut[..amp];
        }

        if (cut.Length > 0 && char.IsHighSurrogate(cut[^1]))
        {
            cut = cut[..^1];
        }

        return cut + "…";
    }
}
