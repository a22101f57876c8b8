using System.Globalization;
using System.Text.RegularExpressions;

namespace InfraGuard.Core.Policy;

/// <summary>Durations in policy files: one or more <c>NUMBER UNIT</c> parts with units d, h, m, s (<c>4h</c>, <c>1h30m</c>, <c>1d</c>).</summary>
public static partial class Duration
{
    /// <summary>Parses <paramref name="text"/>; false when it is not a positive duration.</summary>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var m = Shape().Match(text.Trim());
        if (!m.Success)
        {
            return false;
        }

        foreach (Capture part in m.Groups["part"].Captures)
        {
            var unit = part.Value[^1];
            if (!long.TryParse(part.Value.AsSpan(0, part.Value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 100_000)
            {
                return false;
            }

            value += unit switch
            {
                'd' => TimeSpan.FromDays(n),
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromSeconds(n),
            };
        }

        return value > TimeSpan.Zero;
    }

    /// <summary>Formats as the shortest <c>1d2h3m4s</c> form (<c>4h</c>, <c>30m</c>).</summary>
    public static string Format(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var parts = new List<string>();
        if (value.Days > 0)
        {
            parts.Add(value.Days.ToString(CultureInfo.InvariantCulture) + "d");
        }

        if (value.Hours > 0)
        {
            parts.Add(value.Hours.ToString(CultureInfo.InvariantCulture) + "h");
        }

        if (value.Minutes > 0)
        {
            parts.Add(value.Minutes.ToString(CultureInfo.InvariantCulture) + "m");
        }

        if (value.Seconds > 0)
        {
            parts.Add(value.Seconds.ToString(CultureInfo.InvariantCulture) + "s");
        }

        return string.Concat(parts);
    }

    [GeneratedRegex(@"^(?<part>\d+[dhms])+$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
