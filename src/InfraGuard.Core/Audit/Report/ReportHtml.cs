using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// <c>report.html</c>: one self-contained page (inline CSS and SVG, no script, no external asset) that prints cleanly
/// to PDF from a browser. Written to a <see cref="TextWriter"/> row by row, so a large period is never held as one string.
/// Every value from the log is HTML-encoded.
/// </summary>
public static class ReportHtml
{
    /// <summary>The page's only style sheet (inline); <see cref="StyleHash"/> lets a strict Content-Security-Policy allow exactly it.</summary>
    public const string Style = """
        :root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:24px auto;max-width:1200px;padding:0 16px}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
        .meta{color:var(--muted);margin:0 0 12px}.verdict{padding:10px 14px;border-radius:6px;font-weight:600}
        .valid{background:#dafbe1;color:var(--ok)}.tampered,.unable{background:#ffebe9;color:var(--bad)}
        .figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(130px,1fr));gap:8px;margin:0;padding:0}
        .figures div{border:1px solid var(--line);border-radius:6px;padding:8px}.figures dt{color:var(--muted);font-size:12px}.figures dd{margin:0;font-size:22px;font-weight:600}
        table{border-collapse:collapse;width:100%;font-size:12px}th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
        th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}.mono,code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
        pre{background:#f6f8fa;padding:8px;white-space:pre-wrap;word-break:break-all}.empty{color:var(--muted);font-style:italic}
        .charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid var(--line);border-radius:6px;background:#fff}
        figure{margin:0}figcaption{color:var(--muted);font-size:12px;margin-top:4px}ul.reasons{margin:0;padding-left:16px}
        @page{size:A4 landscape;margin:12mm}
        @media print{body{margin:0;max-width:none;font-size:10px}h2{break-after:avoid}figure,tr,.figures div{break-inside:avoid}thead{display:table-header-group}a{color:inherit;text-decoration:none}}
        """;

    private static readonly (string Name, string Label, string Colour)[] Outcomes =
    [
        ("applied", "Applied", "#1a7f37"),
        ("rejected", "Rejected", "#cf222e"),
        ("blocked", "Blocked", "#8250df"),
        ("expired", "Expired", "#bc4c00"),
        ("other", "Other (open, failed, withdrawn)", "#6e7781"),
    ];

    /// <summary>The CSP source for <see cref="Style"/>, e.g. <c>'sha256-…'</c>.</summary>
    public static string StyleHash { get; } = "'sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style))) + "'";

    /// <summary>Writes the page.</summary>
    /// <param name="report">The report.</param>
    /// <param name="dataSha256">Lower-case hex SHA-256 of <c>report.json</c>, which the page cites.</param>
    /// <param name="output">Where to write.</param>
    public static void Write(AuditReport report, string dataSha256, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var w = new Html(output);
        var v = report.Verification;
        var title = $"Change-management evidence, {report.Period.From} to {report.Period.To}";
        w.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        w.Raw("<title>").Text(title).Raw("</title>\n<style>").Raw(Style).Raw("</style>\n</head>\n<body>\n");
        w.Raw("<header>\n<h1>").Text(title).Raw("</h1>\n<p class=\"meta\">Log <code>").Text(report.Origin).Raw("</code> · period ")
            .Text($"{report.Period.Start} to {report.Period.End} (UTC; start inclusive, end exclusive)").Raw(" · tier ")
            .Text(report.Tier ?? "all tiers").Raw(" · generated ").Text(report.GeneratedAt).Raw(" (UTC)</p>\n");
        w.Raw("<p id=\"verdict\" class=\"verdict ").Text(v.Status).Raw("\" role=\"status\">").Text(Verdict(v)).Raw("</p>\n</header>\n");

        Summary(w, report);
        Charts(w, report);
        Changes(w, report);
        Exceptions(w, report);
        RefusalSection(w, report);
        Verification(w, report);

        w.Raw("<footer>\n<p class=\"meta\">Drawn from <code>report.json</code> (format ").Text(report.Format).Raw(", SHA-256 <code>").Text(dataSha256)
            .Raw("</code>) and the signed checkpoints in <code>checkpoints.txt</code>. All times UTC.</p>\n</footer>\n</body>\n</html>\n");
    }

    private static string Verdict(ReportVerification v) => v.Status switch
    {
        "valid" => string.Create(CultureInfo.InvariantCulture, $"Verified at generation: {v.EntriesVerified} entries and {v.CheckpointsVerified} checkpoints, no tampering found")
            + (v.PeriodCoveredByCheckpoint ? "; a signed checkpoint covers the whole period." : "; no signed checkpoint covers the end of the period yet (see Verification).")
            + (v.TrustedKeys == "database" ? " Keys were taken from the database: compare their fingerprints with ones obtained out of band." : " Keys were given out of band."),
        "tampered" => string.Create(CultureInfo.InvariantCulture, $"TAMPERING FOUND: {v.Findings.Count} findings, {v.Findings.Count(f => f.InPeriod)} inside this period (first at seq {v.Findings.Where(f => f.Seq is not null).Min(f => f.Seq)?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}). The figures below cannot be relied on."),
        _ => $"NOT VERIFIED: {v.UnableReason}. The figures below are unverified.",
    };

    private static void Summary(Html w, AuditReport r)
    {
        var s = r.Summary;
        w.Raw("<section id=\"summary\">\n<h2>Summary</h2>\n");
        if (s.Changes == 0)
        {
            w.Raw("<p class=\"empty\">No change was submitted in this period").Text(r.Tier is { } t ? $" for tier {t}" : "").Raw(".</p>\n");
        }

        w.Raw("<dl class=\"figures\">\n");
        foreach (var (label, value) in new[]
        {
            ("Changes", s.Changes), ("Applied", s.Applied), ("Reviewed", s.Reviewed), ("Approved", s.Approved), ("Rejected", s.Rejected),
            ("Blocked", s.Blocked), ("Expired", s.Expired), ("Apply failed", s.Failed), ("Break-glass", s.BreakGlass), ("Still open", s.Open),
            ("Superseded / cancelled", s.Withdrawn), ("Refused decisions", r.Refusals.Total),
        })
        {
            w.Raw("<div><dt>").Text(label).Raw("</dt><dd>").Number(value).Raw("</dd></div>\n");
        }

        w.Raw("</dl>\n");
        Counts(w, "by-tier", "By tier", "Tier", s.ByTier);
        Counts(w, "by-actor", "By actor kind", "Actor kind", s.ByActorKind);
        w.Raw("</section>\n");
    }

    private static void Counts(Html w, string id, string caption, string column, IReadOnlyList<NamedCount> counts, string what = "Changes")
    {
        w.Raw("<h3>").Text(caption).Raw("</h3>\n");
        if (counts.Count == 0)
        {
            w.Raw("<p class=\"empty\">None.</p>\n");
            return;
        }

        w.Raw("<table id=\"").Text(id).Raw("\"><thead><tr><th scope=\"col\">").Text(column).Raw("</th><th scope=\"col\">").Text(what).Raw("</th></tr></thead><tbody>\n");
        foreach (var c in counts)
        {
            w.Raw("<tr><td>").Text(c.Name).Raw("</td><td class=\"num\">").Number(c.Count).Raw("</td></tr>\n");
        }

        w.Raw("</tbody></table>\n");
    }

    private static void Charts(Html w, AuditReport r)
    {
        w.Raw("<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n");
        WeeksChart(w, r);
        DecisionTimesChart(w, r.TimeToDecision);
        RulesChart(w, r.TopRules);
        w.Raw("</div>\n</section>\n");
    }

    private static void WeeksChart(Html w, AuditReport r)
    {
        const string id = "chart-weeks";
        w.Raw("<figure>\n");
        if (r.Weeks.Sum(x => x.Total) == 0)
        {
            w.Raw("<p class=\"empty\" id=\"").Text(id).Raw("-empty\">Changes per week: no changes in this period, so there is nothing to draw.</p>\n</figure>\n");
            return;
        }

        const int width = 720, height = 280, left = 44, right = 12, top = 40, bottom = 36;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var max = Math.Max(1, r.Weeks.Max(x => x.Total));
        var slot = (double)plotW / r.Weeks.Count;
        var barW = Math.Max(2, slot * 0.7);
        Open(w, id, width, height, "Changes per week by decision", $"Stacked bars, one per week starting Monday (UTC), {r.Weeks.Sum(x => x.Total)} changes in all; tallest week {max}.");
        Axis(w, left, top, plotW, plotH, max);
        var lx = left;
        foreach (var (_, label, colour) in Outcomes)
        {
            w.Raw(F($"<rect x=\"{lx}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{lx + 14}\" y=\"17\" font-size=\"11\">")).Text(label).Raw("</text>");
            lx += 28 + (label.Length * 6);
        }

        for (var i = 0; i < r.Weeks.Count; i++)
        {
            var week = r.Weeks[i];
            var x = left + (i * slot) + ((slot - barW) / 2);
            var y = (double)(top + plotH);
            foreach (var (name, label, colour) in Outcomes)
            {
                var n = name switch { "applied" => week.Applied, "rejected" => week.Rejected, "blocked" => week.Blocked, "expired" => week.Expired, _ => week.Other };
                if (n == 0)
                {
                    continue;
                }

                var h = (double)plotH * n / max;
                y -= h;
                w.Raw(F($"<rect x=\"{x:0.#}\" y=\"{y:0.#}\" width=\"{barW:0.#}\" height=\"{h:0.#}\" fill=\"{colour}\"><title>")).Text($"Week of {week.WeekStart}: {n} {label.ToLowerInvariant()}").Raw("</title></rect>");
            }

            if (r.Weeks.Count <= 16 || i % ((r.Weeks.Count / 16) + 1) == 0)
            {
                w.Raw(F($"<text x=\"{x + (barW / 2):0.#}\" y=\"{top + plotH + 14}\" font-size=\"10\" text-anchor=\"middle\">")).Text(week.WeekStart[5..]).Raw("</text>");
            }
        }

        w.Raw(F($"<text x=\"{left + (plotW / 2)}\" y=\"{height - 4}\" font-size=\"11\" text-anchor=\"middle\">Week starting (MM-DD, UTC)</text>"));
        Close(w, $"Changes per week, by what became of them. {r.Summary.Changes} changes.");
    }

    private static void DecisionTimesChart(Html w, DecisionTimes t)
    {
        const string id = "chart-decision-times";
        w.Raw("<figure>\n");
        if (t.Decided == 0)
        {
            w.Raw("<p class=\"empty\" id=\"").Text(id).Raw("-empty\">Time to decision: no reviewed change was decided by a person in this period, so there is no median or 90th percentile.</p>\n</figure>\n");
            return;
        }

        const int width = 420, height = 280, left = 44, right = 12, top = 24, bottom = 36;
        var plotW = width - left - right;
        var plotH = height - top - bottom;
        var max = Math.Max(1, t.Buckets.Max(b => b.Count));
        var slot = (double)plotW / t.Buckets.Count;
        var summary = $"median {AuditReportBuilder.Duration(t.MedianSeconds ?? 0)}, 90th percentile {AuditReportBuilder.Duration(t.P90Seconds ?? 0)}, over {t.Decided} decided reviews";
        Open(w, id, width, height, "Time to decision", $"Histogram of the time from submission to the deciding review: {summary}.");
        Axis(w, left, top, plotW, plotH, max);
        for (var i = 0; i < t.Buckets.Count; i++)
        {
            var b = t.Buckets[i];
            var h = (double)plotH * b.Count / max;
            var x = left + (i * slot) + (slot * 0.15);
            w.Raw(F($"<rect x=\"{x:0.#}\" y=\"{top + plotH - h:0.#}\" width=\"{slot * 0.7:0.#}\" height=\"{h:0.#}\" fill=\"#0969da\"><title>")).Text($"{b.Name}: {b.Count}").Raw("</title></rect>");
            w.Raw(F($"<text x=\"{x + (slot * 0.35):0.#}\" y=\"{top + plotH + 14}\" font-size=\"10\" text-anchor=\"middle\">")).Text(b.Name).Raw("</text>");
        }

        w.Raw(F($"<text x=\"{left + (plotW / 2)}\" y=\"{height - 4}\" font-size=\"11\" text-anchor=\"middle\">")).Text(summary).Raw("</text>");
        Close(w, $"Time to decision: {summary}.");
    }

    private static void RulesChart(Html w, IReadOnlyList<NamedCount> rules)
    {
        const string id = "chart-rules";
        w.Raw("<figure>\n");
        if (rules.Count == 0)
        {
            w.Raw("<p class=\"empty\" id=\"").Text(id).Raw("-empty\">Top rules: no rule fired on the changes of this period.</p>\n</figure>\n");
            return;
        }

        const int width = 560, rowH = 22, left = 200, right = 40, top = 10;
        var height = top + (rules.Count * rowH) + 28;
        var plotW = width - left - right;
        var max = Math.Max(1, rules.Max(r => r.Count));
        Open(w, id, width, height, "Top rules that fired", $"Horizontal bars: the {rules.Count} rules that fired on most changes, counted once per change.");
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var y = top + (i * rowH);
            var barW = Math.Max(1, (double)plotW * r.Count / max);
            var name = r.Name.Length > 30 ? r.Name[..29] + "…" : r.Name;
            w.Raw(F($"<text x=\"{left - 6}\" y=\"{y + 15}\" font-size=\"11\" text-anchor=\"end\">")).Text(name).Raw("</text>");
            w.Raw(F($"<rect x=\"{left}\" y=\"{y + 4}\" width=\"{barW:0.#}\" height=\"{rowH - 8}\" fill=\"#8250df\"><title>")).Text($"{r.Name}: {r.Count} changes").Raw("</title></rect>");
            w.Raw(F($"<text x=\"{left + barW + 4:0.#}\" y=\"{y + 15}\" font-size=\"11\">{r.Count}</text>"));
        }

        w.Raw(F($"<text x=\"{left + (plotW / 2)}\" y=\"{height - 6}\" font-size=\"11\" text-anchor=\"middle\">Changes on which the rule fired</text>"));
        Close(w, "Top rules that fired, counted once per change.");
    }

    private static void Open(Html w, string id, int width, int height, string title, string description) =>
        w.Raw(F($"<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{id}\" class=\"chart\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" aria-labelledby=\"{id}-title {id}-desc\">\n<title id=\"{id}-title\">"))
            .Text(title).Raw(F($"</title>\n<desc id=\"{id}-desc\">")).Text(description).Raw("</desc>\n");

    private static void Close(Html w, string caption) => w.Raw("\n</svg>\n<figcaption>").Text(caption).Raw("</figcaption>\n</figure>\n");

    private static void Axis(Html w, int left, int top, int plotW, int plotH, int max)
    {
        w.Raw(F($"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"#57606a\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{top + plotH}\" stroke=\"#57606a\"/>"));
        foreach (var tick in new[] { 0, max / 2, max }.Distinct())
        {
            var y = top + plotH - ((double)plotH * tick / max);
            w.Raw(F($"<line x1=\"{left - 4}\" y1=\"{y:0.#}\" x2=\"{left + plotW}\" y2=\"{y:0.#}\" stroke=\"#d0d7de\" stroke-dasharray=\"2 3\"/><text x=\"{left - 6}\" y=\"{y + 4:0.#}\" font-size=\"10\" text-anchor=\"end\">{tick}</text>"));
        }
    }

    private static void Changes(Html w, AuditReport r)
    {
        w.Raw("<section id=\"changes\">\n<h2>Every change</h2>\n");
        if (r.Changes.Count == 0)
        {
            w.Raw("<p class=\"empty\">No change was submitted in this period.</p>\n</section>\n");
            return;
        }

        w.Raw("<p class=\"meta\">Requester, approvers, reasons, score, plan hash and outcome come from the signed log; findings from the stored request record when its plan hash matches the signed one.</p>\n");
        w.Raw("<table id=\"change-table\"><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">Submitted</th><th scope=\"col\">Stack · tier</th><th scope=\"col\">Requester</th>"
            + "<th scope=\"col\">Approvers and reasons</th><th scope=\"col\">Score · top findings</th><th scope=\"col\">Plan hash</th><th scope=\"col\">Outcome</th><th scope=\"col\">Time to decision</th></tr></thead><tbody>\n");
        foreach (var c in r.Changes)
        {
            w.Raw("<tr><td class=\"num\">").Number(c.Seq).Raw("</td><td>").Text(c.SubmittedAt).Raw("</td><td>").Text(c.Stack).Raw(" · ").Text(c.Tier);
            if (c.Request is not null)
            {
                w.Raw("<br><code>").Text(c.Request).Raw("</code>");
            }

            w.Raw("</td><td>").Text(Requester(c)).Raw("</td><td>");
            if (c.Decisions.Count == 0)
            {
                w.Text(c.Decision == "allow" ? "none needed (allowed by policy)" : c.Decision == "block" ? "none (blocked)" : "none recorded");
            }
            else
            {
                w.Raw("<ul class=\"reasons\">");
                foreach (var d in c.Decisions)
                {
                    w.Raw("<li>").Text($"{d.Verdict} by {d.Approver.Person} ({d.Approver.Identity}) via {d.Channel}, {d.At}: “{d.Reason}”").Raw("</li>");
                }

                w.Raw("</ul>");
            }

            w.Raw("</td><td>").Number(c.Score).Raw(" · ").Text(c.Decision);
            if (c.Findings.Count > 0)
            {
                w.Raw("<ul class=\"reasons\">");
                foreach (var f in c.Findings)
                {
                    w.Raw("<li>").Text($"{f.Rule} (+{f.Points}) {f.Address}").Raw("</li>");
                }

                w.Raw("</ul>");
            }
            else if (c.Rules.Count > 0)
            {
                w.Raw("<br>").Text(string.Join(", ", c.Rules));
            }
            else if (c.FindingsSource is "missing" or "plan-hash-mismatch")
            {
                w.Raw("<br><em>").Text(c.FindingsSource == "missing" ? "findings: request record missing" : "findings withheld: the request record's plan hash differs from the signed one").Raw("</em>");
            }

            w.Raw("</td><td class=\"mono\" title=\"").Text(c.PlanHash).Raw("\">").Text(c.PlanHash.Length > 16 ? c.PlanHash[..16] + "…" : c.PlanHash)
                .Raw("</td><td>").Text(c.Outcome).Raw("</td><td>").Text(c.TimeToDecisionSeconds is { } s ? AuditReportBuilder.Duration(s) : "—").Raw("</td></tr>\n");
        }

        w.Raw("</tbody></table>\n</section>\n");
    }

    private static string Requester(ChangeRow c)
    {
        var who = c.Requester is { } p ? (p.Person == p.Identity ? p.Person : $"{p.Person} ({p.Identity})") : "unknown";
        var kind = c.ActorKind == "agent" && c.OnBehalfOf is { } principal ? $"agent {who} → for {principal}" : $"{c.ActorKind} {who}";
        return c.SubmittedBy is { Length: > 0 } by && by != c.Requester?.Identity ? $"{kind}; submitted by {by}{(c.Attested ? " (attested)" : "")}" : kind + (c.Attested ? " (attested)" : "");
    }

    private static void Exceptions(Html w, AuditReport r)
    {
        w.Raw("<section id=\"exceptions\">\n<h2>Exceptions</h2>\n<p class=\"meta\">Break-glass uses, overdue retrospective reviews, approvals in the last ")
            .Number(AuditReportBuilder.NearExpiryPercent).Raw("% of their window, and applies that failed.</p>\n");
        if (r.Exceptions.Count == 0)
        {
            w.Raw("<p class=\"empty\">No exceptions in this period.</p>\n</section>\n");
            return;
        }

        w.Raw("<table id=\"exception-table\"><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">At</th><th scope=\"col\">Kind</th><th scope=\"col\">Request</th><th scope=\"col\">Detail</th></tr></thead><tbody>\n");
        foreach (var e in r.Exceptions)
        {
            w.Raw("<tr><td class=\"num\">").Number(e.Seq).Raw("</td><td>").Text(e.At).Raw("</td><td>").Text(e.Kind).Raw("</td><td><code>").Text(e.Request ?? "").Raw("</code></td><td>").Text(e.Detail).Raw("</td></tr>\n");
        }

        w.Raw("</tbody></table>\n</section>\n");
    }

    private static void RefusalSection(Html w, AuditReport r)
    {
        w.Raw("<section id=\"refusals\">\n<h2>Refused decisions by rule</h2>\n");
        if (r.Refusals.Total == 0)
        {
            w.Raw("<p class=\"empty\">No decision was refused in this period (no self-approval attempt, no ineligible approver).</p>\n</section>\n");
            return;
        }

        Counts(w, "refusals-by-rule", "By rule", "Rule", r.Refusals.ByRule, "Refused decisions");
        w.Raw("<table id=\"refusal-table\"><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">At</th><th scope=\"col\">Who tried</th><th scope=\"col\">Request</th><th scope=\"col\">Rule</th><th scope=\"col\">Refusal</th></tr></thead><tbody>\n");
        foreach (var x in r.Refusals.Items)
        {
            w.Raw("<tr><td class=\"num\">").Number(x.Seq).Raw("</td><td>").Text(x.At).Raw("</td><td>").Text($"{x.Approver.Person} ({x.Approver.Identity})").Raw("</td><td><code>")
                .Text(x.Request ?? "").Raw("</code></td><td>").Text(x.Rule).Raw("</td><td>").Text(x.Reason).Raw("</td></tr>\n");
        }

        w.Raw("</tbody></table>\n</section>\n");
    }

    private static void Verification(Html w, AuditReport r)
    {
        var v = r.Verification;
        w.Raw("<section id=\"verification\">\n<h2>Verification</h2>\n<table id=\"verification-facts\"><tbody>\n");
        void Fact(string name, string value) => w.Raw("<tr><th scope=\"row\">").Text(name).Raw("</th><td>").Text(value).Raw("</td></tr>\n");
        Fact("Result at generation", v.Status + (v.UnableReason is { } why ? $": {why}" : ""));
        Fact("Entries verified", string.Create(CultureInfo.InvariantCulture, $"{v.EntriesVerified}: the whole log from seq 1 (hash chain and canonical payload of every entry)"));
        Fact("Entry signatures", v.EntriesVouchedByCheckpoint >= v.EntriesVerified
            ? string.Create(CultureInfo.InvariantCulture, $"every entry is bound by the hash chain to a signed checkpoint head (size {v.EntriesVouchedByCheckpoint}); bash verify.sh also checks each entry's own Ed25519 signature")
            : string.Create(CultureInfo.InvariantCulture, $"Ed25519 signature checked for seq {v.EntriesVouchedByCheckpoint + 1} to {v.EntriesVerified}; entries up to {v.EntriesVouchedByCheckpoint} are bound by the hash chain to a signed checkpoint head"));
        Fact("Checkpoints verified", string.Create(CultureInfo.InvariantCulture, $"{v.CheckpointsVerified} (signature, and head equal to the head recomputed from seq 1)"));
        Fact("Period's entries", v.PeriodFirstSeq is { } f ? string.Create(CultureInfo.InvariantCulture, $"seq {f} to {v.PeriodLastSeq} ({v.PeriodEntries} entries)") : "none: the log holds no entry dated in this period");
        Fact("Checkpoint before the period", v.CheckpointBefore is { } b ? Cite(b) : "none (the period starts at the log's beginning, or no checkpoint was signed before it)");
        Fact("Checkpoint covering the period", v.CheckpointCovering is { } c ? Cite(c) : v.PeriodFirstSeq is null ? "not needed (no entries)" : "NONE YET: the period's last entries are vouched for only by their own signatures until the next checkpoint");
        Fact("Entries after the newest checkpoint", v.Tail ?? "n/a");
        Fact("Trusted keys", v.TrustedKeys == "database"
            ? "taken from the database: good against accidents and bugs; an auditor compares the fingerprints below with ones obtained out of band"
            : "given out of band (--trusted-key)");
        w.Raw("</tbody></table>\n");
        if (v.Findings.Count > 0)
        {
            w.Raw("<h3>Findings</h3>\n<table id=\"tamper-findings\"><thead><tr><th scope=\"col\">Seq</th><th scope=\"col\">Kind</th><th scope=\"col\">In period</th><th scope=\"col\">Detail</th></tr></thead><tbody>\n");
            foreach (var x in v.Findings)
            {
                w.Raw("<tr><td class=\"num\">").Text(x.Seq?.ToString(CultureInfo.InvariantCulture) ?? "—").Raw("</td><td>").Text(x.Kind).Raw("</td><td>").Text(x.InPeriod ? "yes" : "no").Raw("</td><td>").Text(x.Detail).Raw("</td></tr>\n");
            }

            w.Raw("</tbody></table>\n");
        }

        w.Raw("<h3>Signing keys</h3>\n<table id=\"keys\"><thead><tr><th scope=\"col\">Key id</th><th scope=\"col\">SHA-256 fingerprint of the raw public key</th></tr></thead><tbody>\n");
        foreach (var k in v.Keys)
        {
            w.Raw("<tr><td><code>").Text(k.KeyId).Raw("</code></td><td class=\"mono\">").Text(k.Fingerprint).Raw("</td></tr>\n");
        }

        w.Raw("</tbody></table>\n<h3>Verify this period again, offline</h3>\n<pre id=\"reverify\">");
        foreach (var line in v.ReverifyCommands)
        {
            w.Text(line).Raw("\n");
        }

        w.Raw("</pre>\n<p class=\"meta\">The log is tamper-evident, not tamper-proof: events never written are invisible, times are asserted by the service, and whoever holds the signing key could rewrite history unless a checkpoint kept elsewhere disagrees.</p>\n</section>\n");
    }

    private static string Cite(ReportCheckpoint c) =>
        string.Create(CultureInfo.InvariantCulture, $"#{c.Number} (checkpoints/cp-{c.Number:D6}.txt): size {c.Size}, head {c.Head}, signed {c.Time} by {c.KeyId}");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A tiny writer: raw markup, or encoded text.</summary>
    private sealed class Html(TextWriter output)
    {
        public Html Raw(string markup)
        {
            output.Write(markup);
            return this;
        }

        public Html Text(string text)
        {
            HtmlEncoder.Default.Encode(output, text);
            return this;
        }

        public Html Number(long value)
        {
            output.Write(value.ToString(CultureInfo.InvariantCulture));
            return this;
        }
    }
}
