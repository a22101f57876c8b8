using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using InfraGuard.Core.Audit.Report;
using InfraGuard.Store;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages.Audit;

/// <summary>
/// The period report for auditors (auditor or admin scope): a form, the report itself as a self-contained page (its own
/// CSP allowing exactly its inline style), and a zip of report.html, report.json and checkpoints.txt.
/// </summary>
[Authorize(Policy = WebAuth.AuditorPolicy)]
public sealed class ReportModel(ChangeStore store) : PageModel
{
    [BindProperty(SupportsGet = true)]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Tier { get; set; }

    public ReportPeriod? Period { get; private set; }

    public string? Error { get; private set; }

    public string QueryString => string.Join("&", new[] { ("from", From), ("to", To), ("tier", Tier) }
        .Where(p => !string.IsNullOrWhiteSpace(p.Item2))
        .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!.Trim())}"));

    public void OnGet() => Parse(required: false);

    public async Task<IActionResult> OnGetHtmlAsync()
    {
        if (!Parse(required: true))
        {
            return BadRequest(Error ?? "Give the period: from and to, YYYY-MM-DD (UTC).");
        }

        var (html, _, _) = await RenderAsync().ConfigureAwait(false);
        Response.Headers.ContentSecurityPolicy = $"default-src 'none'; style-src {ReportHtml.StyleHash}; img-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
        return Content(html, "text/html; charset=utf-8");
    }

    public async Task<IActionResult> OnGetDownloadAsync()
    {
        if (!Parse(required: true))
        {
            return BadRequest(Error ?? "Give the period: from and to, YYYY-MM-DD (UTC).");
        }

        var (html, json, checkpoints) = await RenderAsync().ConfigureAwait(false);
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in new[] { ("report.html", Encoding.UTF8.GetBytes(html)), ("report.json", json), ("checkpoints.txt", Encoding.UTF8.GetBytes(checkpoints)) })
            {
                await using var entry = await archive.CreateEntry(name, CompressionLevel.Optimal).OpenAsync(HttpContext.RequestAborted).ConfigureAwait(false);
                await entry.WriteAsync(bytes, HttpContext.RequestAborted).ConfigureAwait(false);
            }
        }

        return File(zip.ToArray(), "application/zip", $"infraguard-report-{Period!.From:yyyy-MM-dd}-{Period.To:yyyy-MM-dd}.zip");
    }

    private async Task<(string Html, byte[] Json, string Checkpoints)> RenderAsync()
    {
        var generated = await store.ReportAsync(new ReportRequest(Period!, string.IsNullOrWhiteSpace(Tier) ? null : Tier.Trim()), HttpContext.RequestAborted).ConfigureAwait(false);
        var json = ReportJson.Serialize(generated.Report);
        using var html = new StringWriter();
        ReportHtml.Write(generated.Report, Convert.ToHexStringLower(SHA256.HashData(json)), html);
        return (html.ToString(), json, generated.CheckpointsText());
    }

    private bool Parse(bool required)
    {
        if (string.IsNullOrWhiteSpace(From) && string.IsNullOrWhiteSpace(To) && !required)
        {
            return false;
        }

        try
        {
            Period = ReportPeriod.Parse(From ?? "", To ?? "");
            return true;
        }
        catch (FormatException e)
        {
            Error = e.Message.Replace("--from", "From", StringComparison.Ordinal).Replace("--to", "To", StringComparison.Ordinal);
            return false;
        }
    }
}
