using System.Globalization;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// A report's period: whole UTC days from <see cref="From"/> to <see cref="To"/>, both inclusive. An entry belongs to
/// it when its signed payload's <c>at</c> lies in [<see cref="Start"/>, <see cref="End"/>).
/// </summary>
/// <param name="From">First day (UTC).</param>
/// <param name="To">Last day (UTC), inclusive.</param>
public sealed record ReportPeriod(DateOnly From, DateOnly To)
{
    /// <summary>The date format of <c>--from</c> and <c>--to</c>.</summary>
    public const string DateFormat = "yyyy-MM-dd";

    /// <summary>Midnight UTC at the start of <see cref="From"/>.</summary>
    public DateTimeOffset Start => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Midnight UTC after <see cref="To"/> (exclusive).</summary>
    public DateTimeOffset End => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>True when <paramref name="at"/> lies in the period.</summary>
    public bool Contains(DateTimeOffset at) => at >= Start && at < End;

    /// <summary>The period for two <c>YYYY-MM-DD</c> texts.</summary>
    /// <exception cref="FormatException">A date is malformed, or <paramref name="to"/> is before <paramref name="from"/>; the message says which.</exception>
    public static ReportPeriod Parse(string from, string to)
    {
        var start = Date(from, "--from");
        var end = Date(to, "--to");
        return end < start
            ? throw new FormatException($"--to {to} is before --from {from}; the period runs from the first day to the last, both inclusive.")
            : new ReportPeriod(start, end);
    }

    /// <summary>The period as people read it: <c>2026-11-01 to 2026-11-30 (UTC)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{From:yyyy-MM-dd} to {To:yyyy-MM-dd} (UTC)");

    private static DateOnly Date(string text, string option) =>
        DateOnly.TryParseExact(text?.Trim(), DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new FormatException($"{option} '{text}' is not a date; use YYYY-MM-DD (UTC), e.g. 2026-11-01.");
}
