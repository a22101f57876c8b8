using Spectre.Console;

namespace InfraGuard.Cli.Rendering;

/// <summary>Human rendering of a <see cref="CheckReport"/>: verdict line, then changed resources grouped by decision, then findings.</summary>
internal static class CheckText
{
    private const int MaxAllowedRows = 20;

    public static void Write(IAnsiConsole console, CheckReport report)
    {
        var (label, colour) = report.Decision switch
        {
            "allow" => ("ALLOWED", "green"),
            "review" => ("APPROVAL REQUIRED", "yellow"),
            _ => ("BLOCKED", "red"),
        };
        console.MarkupLine(
            $"[bold {colour}]{label}[/]  stack [bold]{Markup.Escape(report.Stack)}[/] · tier {Markup.Escape(report.Tier)} · " +
            $"score {report.Score} (review at {report.ReviewAt}, block at {report.BlockAt}) · actor {report.ActorKind}");
        console.WriteLine($"Changes: {CountsLine(report.Counts)}");

        foreach (var note in report.Notes)
        {
            console.MarkupLine($"[{colour}]![/] {Markup.Escape(note)}");
        }

        WriteGroup(console, report, "block", "Blocked", "red", int.MaxValue);
        WriteGroup(console, report, "review", "Needs review", "yellow", int.MaxValue);
        WriteGroup(console, report, "allow", "Allowed", "green", MaxAllowedRows);

        WriteFindings(console, report.Findings);

        if (report.Violations.Count > 0)
        {
            console.WriteLine();
            foreach (var v in report.Violations)
            {
                console.MarkupLine($"[{(v.EnforcementLevel == "mandatory" ? "red" : "yellow")}]policy[/] {Markup.Escape($"{v.PolicyPack}/{v.Policy} ({v.EnforcementLevel}) {v.Resource ?? "stack"}: {v.Message}")}");
            }
        }

        if (report.Approvals is { } a)
        {
            console.WriteLine();
            var from = a.From.Count == 0 ? "any independent person" : string.Join(", ", a.From);
            console.WriteLine($"Approval: {a.Count} approver(s) from {from}; a request expires after {Duration(a.ExpiresAfterMinutes)}.");
        }
    }

    /// <summary>The findings table (nothing when there are none).</summary>
    public static void WriteFindings(IAnsiConsole console, IReadOnlyList<CheckReport.FindingJson> findings)
    {
        if (findings.Count == 0)
        {
            return;
        }

        console.WriteLine();
        var table = new Table().Title("Findings").AddColumns("Points", "Rule", "Resource", "Change", "Why");
        table.Columns[0].RightAligned();
        foreach (var f in findings)
        {
            table.AddRow(
                Text(f.Points.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                Text(f.Rule),
                Text(ShortName(f.Resource)),
                Text(ChangeText(f)),
                Text(f.Reason));
        }

        console.Write(table);
    }

    public static string CountsLine(IReadOnlyDictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {c.Key}"));

    public static string ChangeText(CheckReport.FindingJson f) =>
        (f.Path, f.Before, f.After) switch
        {
            (null, _, _) => f.Op,
            (var p, null, null) => $"{f.Op} {p}",
            (var p, var b, var a) => $"{f.Op} {p}: {b ?? "(none)"} → {a ?? "(none)"}",
        };

    public static string ShortName(string address)
    {
        // Pulumi URNs are long; the last segment (the resource name) plus its type is what people recognise.
        var i = address.LastIndexOf("::", StringComparison.Ordinal);
        return address.StartsWith("urn:pulumi:", StringComparison.Ordinal) && i >= 0 ? address[(i + 2)..] : address;
    }

    public static string Duration(long minutes) =>
        minutes % 1440 == 0 ? $"{minutes / 1440}d" : minutes % 60 == 0 ? $"{minutes / 60}h" : $"{minutes}m";

    private static void WriteGroup(IAnsiConsole console, CheckReport report, string decision, string title, string colour, int maxRows)
    {
        var rows = report.Resources.Where(r => r.Decision == decision).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        console.WriteLine();
        var table = new Table()
            .Title($"[{colour}]{title} ({rows.Count})[/]")
            .AddColumns("Op", "Resource", "Type", "Points");
        table.Columns[3].RightAligned();
        foreach (var r in rows.Take(maxRows))
        {
            table.AddRow(Text(r.Op), Text(r.Name), Text(r.Type), Text(r.Points.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        console.Write(table);
        if (rows.Count > maxRows)
        {
            console.WriteLine($"… and {rows.Count - maxRows} more");
        }
    }

    private static Text Text(string s) => new(s);
}
