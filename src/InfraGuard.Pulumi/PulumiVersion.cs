using System.Globalization;
using System.Text.RegularExpressions;

namespace InfraGuard.Pulumi;

/// <summary>A <c>pulumi version</c> output such as <c>v3.259.0</c> (pre-release and build suffixes are ignored).</summary>
public sealed partial record PulumiVersion(int Major, int Minor, int Patch)
{
    /// <summary>
    /// The oldest CLI InfraGuard drives: v3.237.0, the first whose <c>summaryEvent</c> carries <c>result</c>
    /// (succeeded/failed/canceled), which tells a failed or cancelled apply from a successful one without guessing from
    /// exit codes. It also has everything else used: <c>preview --save-plan</c> and <c>up --plan</c> (update plans,
    /// 2022), <c>--event-log</c> under <c>PULUMI_DEBUG_COMMANDS</c>, <c>up --json</c> streaming both phases,
    /// <c>summaryEvent.isPreview</c> (v3.188.0) and the exit-code taxonomy (v3.226.0: 3 auth, 6 stack not found).
    /// </summary>
    public static PulumiVersion Minimum { get; } = new(3, 237, 0);

    /// <summary>Parses <c>v3.259.0</c>, <c>3.259.0</c> or <c>v3.260.1-dev.0</c>; false for anything else.</summary>
    public static bool TryParse(string text, out PulumiVersion? version)
    {
        var match = VersionPattern().Match(text.Trim());
        version = match.Success
            ? new PulumiVersion(
                int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
                int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture))
            : null;
        return version is not null;
    }

    /// <summary>True when this version is older than <paramref name="other"/>.</summary>
    public bool IsOlderThan(PulumiVersion other) =>
        (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch)) < 0;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");

    [GeneratedRegex(@"^v?(\d{1,6})\.(\d{1,6})\.(\d{1,6})(?:[-+][0-9A-Za-z.\-+]*)?$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
