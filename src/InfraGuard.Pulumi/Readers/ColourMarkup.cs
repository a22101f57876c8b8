using System.Text;

namespace InfraGuard.Pulumi.Readers;

/// <summary>Removes Pulumi's colour directives (<c>&lt;{%reset%}&gt;</c>, <c>&lt;{%fg 1%}&gt;</c>) from messages.</summary>
internal static class ColourMarkup
{
    private const string Open = "<{%";
    private const string Close = "%}>";

    public static string Strip(string text)
    {
        var open = text.IndexOf(Open, StringComparison.Ordinal);
        if (open < 0)
        {
            return text.Trim();
        }

        var builder = new StringBuilder(text.Length);
        var position = 0;
        while (open >= 0)
        {
            var close = text.IndexOf(Close, open + Open.Length, StringComparison.Ordinal);
            if (close < 0)
            {
                break;
            }

            builder.Append(text, position, open - position);
            position = close + Close.Length;
            open = text.IndexOf(Open, position, StringComparison.Ordinal);
        }

        builder.Append(text, position, text.Length - position);
        return builder.ToString().Trim();
    }
}
