using System.Globalization;
using System.Text;

namespace InfraGuard.Cli.Rendering;

/// <summary>Markdown rendering of a <see cref="CheckReport"/> for pull-request comments and GitHub step summaries.</summary>
internal static class CheckMarkdown
{
    private const int MaxFindingRows = 50;

    public static string Render(CheckReport report)
    {
        var sb = new StringBuilder();
        var verdict = report.Decision switch
        {
            "allow" => "✅ Allowed",
            "review" => "⚠️ Approval required",
            _ => "⛔ Blocked",
        };
        Line(sb, $"### InfraGuard: {verdict}");
        Line(sb, "");
        Line(sb, $"**Stack** `{Code(report.Stack)}` · **tier** {Cell(report.Tier)} · **score** {report.Score} (review at {report.ReviewAt}, block at {report.BlockAt}) · **actor** {report.ActorKind}");
        Line(sb, "");
        Line(sb, $"**Changes:** {Cell(CheckText.CountsLine(report.Counts))}");
        foreach (var note in report.Notes)
        {
            Line(sb, "");
            Line(sb, $"> **Note:** {Cell(note)}");
        }

        if (report.Findings.Count > 0)
        {
            Line(sb, "");
            Line(sb, "| Points | Rule | Resource | Change | Why |");
            Line(sb, "|---:|---|---|---|---|");
            foreach (var f in report.Findings.Take(MaxFindingRows))
            {
                Line(sb, $"| {f.Points.ToString(CultureInfo.InvariantCulture)} | `{Code(f.Rule)}` | `{Code(CheckText.ShortName(f.Resource))}` | {Cell(CheckText.ChangeText(f))} | {Cell(f.Reason)} |");
            }

            if (report.Findings.Count > MaxFindingRows)
            {
                Line(sb, "");
                Line(sb, $"… and {report.Findings.Count - MaxFindingRows} more findings (see `--format json`).");
            }
        }

        foreach (var v in report.Violations)
        {
            Line(sb, "");
            Line(sb, $"- Policy `{Code(v.PolicyPack)}/{Code(v.Policy)}` ({Cell(v.EnforcementLevel)}) on `{Code(v.Resource ?? "stack")}`: {Cell(v.Message)}");
        }

        if (report.Approvals is { } a)
        {
            Line(sb, "");
            var from = a.From.Count == 0 ? "any independent person" : string.Join(", ", a.From.Select(x => $"`{Code(x)}`"));
            Line(sb, $"Approval: {a.Count} approver(s) from {from}; expires after {CheckText.Duration(a.ExpiresAfterMinutes)}.");
        }

        return sb.ToString();
    }

    // Table cells: no pipes, no newlines, no HTML.
    private static string Cell(string s) =>
        s.Replace("|", "\\|", StringComparison.Ordinal)
         .Replace("<", "&lt;", StringComparison.Ordinal)
         .Replace(">", "&gt;", StringComparison.Ordinal)
         .ReplaceLineEndings(" ");

    private static string Code(string s) => s.Replace("`", "'", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static void Line(StringBuilder sb, string s) => sb.Append(s).Append('\n');
}
