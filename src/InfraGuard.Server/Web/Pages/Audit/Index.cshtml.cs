using System.Globalization;
using System.Text;
using System.Text.Json;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages.Audit;

/// <summary>The audit trail filtered by stack, period and request; exported as CSV or JSON Lines.</summary>
public sealed class AuditModel(ChangeStore store) : PageModel
{
    public const int MaxEntries = 10_000;

    [BindProperty(SupportsGet = true)]
    public string? Stack { get; set; }

    [BindProperty(SupportsGet = true, Name = "request")]
    public string? RequestId { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Since { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Until { get; set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public bool Truncated { get; private set; }

    public string? Error { get; private set; }

    public string? SinceText => Since;

    public string? UntilText => Until;

    /// <summary>The current filter as a query string, for the export links.</summary>
    public string QueryString => string.Join("&", new[] { ("stack", Stack), ("request", RequestId), ("since", Since), ("until", Until) }
        .Where(p => !string.IsNullOrWhiteSpace(p.Item2))
        .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}"));

    public async Task OnGetAsync() => Entries = await LoadAsync().ConfigureAwait(false);

    public async Task<IActionResult> OnGetExportAsync(string? format)
    {
        var entries = await LoadAsync().ConfigureAwait(false);
        if (Error is not null)
        {
            return BadRequest(Error);
        }

        var views = entries.Select(AuditEntryView.From).ToList();
        return format switch
        {
            "csv" => File(Encoding.UTF8.GetBytes(AuditCsv.Write(views)), "text/csv; charset=utf-8", "infraguard-audit.csv"),
            "jsonl" => File(Encoding.UTF8.GetBytes(string.Concat(views.Select(v => JsonSerializer.Serialize(v, ServerJson.Options) + "\n"))), "application/jsonl; charset=utf-8", "infraguard-audit.jsonl"),
            _ => BadRequest("format must be csv or jsonl."),
        };
    }

    private async Task<IReadOnlyList<AuditEntry>> LoadAsync()
    {
        var ct = HttpContext.RequestAborted;
        if (!TryDate(Since, "From", out var since) || !TryDate(Until, "Until", out var until))
        {
            return [];
        }

        if (!string.IsNullOrWhiteSpace(RequestId) && !InfraGuard.Core.Requests.RequestId.IsValid(RequestId.Trim()))
        {
            Error = $"'{RequestId}' is not a change request id (cr_ + 12 characters).";
            return [];
        }

        var query = new AuditQuery(null, null, null, string.IsNullOrWhiteSpace(RequestId) ? null : RequestId.Trim(), since, until?.AddDays(1), MaxEntries + 1);
        var entries = await store.ListEntriesAsync(query, ct).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(Stack))
        {
            var ids = (await store.ListAsync(new RequestQuery(Stack.Trim(), null, 1000), ct).ConfigureAwait(false)).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            entries = [.. entries.Where(e => e.Subject is not null && ids.Contains(e.Subject))];
        }

        Truncated = entries.Count > MaxEntries;
        return Truncated ? [.. entries.Take(MaxEntries)] : entries;
    }

    private bool TryDate(string? text, string label, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        Error = $"{label} '{text}' is not a date; use YYYY-MM-DD.";
        return false;
    }
}

/// <summary>RFC 4180 CSV of audit entries; the payload column is the exact signed JSON text.</summary>
public static class AuditCsv
{
    public static string Write(IEnumerable<AuditEntryView> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sb = new StringBuilder("seq,recorded_at,kind,subject,payload,prev_hash,entry_hash,key_id,signature\r\n");
        foreach (var e in entries)
        {
            sb.AppendJoin(',', new[] { e.Seq.ToString(CultureInfo.InvariantCulture), e.RecordedAt, e.Kind, e.Subject ?? string.Empty, e.Payload, e.PrevHash, e.EntryHash, e.KeyId, e.Signature }.Select(Quote)).Append("\r\n");
        }

        return sb.ToString();
    }

    /// <summary>Quotes every field, and defuses spreadsheet formulas (a leading = + - @ gets a ').</summary>
    private static string Quote(string field)
    {
        if (field.Length > 0 && field[0] is '=' or '+' or '-' or '@')
        {
            field = "'" + field;
        }

        return "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
