using System.Globalization;

namespace InfraGuard.Server.Web.Pages;

/// <summary>Small display helpers shared by the pages.</summary>
public static class Format
{
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    public static string Span(TimeSpan span)
    {
        var abs = span.Duration();
        var text = abs.TotalDays >= 1 ? $"{(int)abs.TotalDays}d {abs.Hours}h"
            : abs.TotalHours >= 1 ? $"{(int)abs.TotalHours}h {abs.Minutes}m"
            : $"{(int)abs.TotalMinutes}m";
        return span < TimeSpan.Zero ? "-" + text : text;
    }

    public static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();
}
