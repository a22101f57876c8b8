using System.Globalization;
using System.Security.Cryptography;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Audit.Report;

/// <summary>What to report on.</summary>
/// <param name="Period">The period.</param>
/// <param name="Tier">Only this tier, or null for all.</param>
/// <param name="TrustedKeys">Keys obtained out of band; null trusts the keys recorded in the log's database (and says so).</param>
public sealed record ReportRequest(ReportPeriod Period, string? Tier = null, IReadOnlyList<AuditPublicKey>? TrustedKeys = null);

/// <summary>A generated report and the signed checkpoints from the one before the period to the one covering it.</summary>
public sealed record GeneratedReport(AuditReport Report, IReadOnlyList<AuditCheckpoint> CheckpointRange)
{
    /// <summary>
    /// <c>checkpoints.txt</c>: each checkpoint's exact body followed by <c>signature BASE64</c> and a blank line. It is
    /// also a witness file: <c>infraguard audit verify --witness checkpoints.txt</c> checks every head in it.
    /// </summary>
    public string CheckpointsText()
    {
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# InfraGuard signed checkpoints for {Report.Period.From} to {Report.Period.To} (UTC), log {Report.Origin}\n");
        text.Append("# Each body is signed (Ed25519, raw signature base64) exactly as shown, lines up to and including 'key …'.\n\n");
        foreach (var c in CheckpointRange)
        {
            text.Append(System.Text.Encoding.UTF8.GetString(c.Body)).Append("signature ").Append(c.Signature).Append("\n\n");
        }

        return text.ToString();
    }
}

/// <summary>
/// Generates a report from an audit log: reads the whole log page by page (a checkpoint's head can only be recomputed
/// from seq 1), verifies it while feeding the period's entries to an <see cref="AuditReportBuilder"/>, then adds the
/// findings of the period's requests. Memory is bounded by a page plus the period's changes.
/// </summary>
public static class AuditReportGenerator
{
    /// <summary>Entries read per store query.</summary>
    public const int PageSize = 2000;

    /// <summary>Generates the report.</summary>
    /// <param name="log">The audit log (the store).</param>
    /// <param name="request">Period, tier and keys.</param>
    /// <param name="requestRecords">The stored requests created in the period (for their findings); may yield others, which are ignored.</param>
    /// <param name="now">Generation time.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<GeneratedReport> GenerateAsync(
        IAuditLog log,
        ReportRequest request,
        Func<ReportPeriod, CancellationToken, IAsyncEnumerable<ChangeRequest>> requestRecords,
        DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(requestRecords);
        var checkpoints = await log.ListCheckpointsAsync(cancellationToken).ConfigureAwait(false);
        var recorded = await log.ListKeysAsync(cancellationToken).ConfigureAwait(false);
        var trusted = request.TrustedKeys ?? recorded;
        var verifier = new AuditVerifier(trusted, checkpoints, null, checkpointVouches: true);
        var builder = new AuditReportBuilder(request.Period, request.Tier);

        // The next page is read while this one is checked: the store and the signature checks overlap.
        var next = log.ListEntriesAsync(new AuditQuery(FromSeq: 1, Limit: PageSize), cancellationToken);
        while (true)
        {
            var page = await next.ConfigureAwait(false);
            if (page.Count == PageSize)
            {
                next = log.ListEntriesAsync(new AuditQuery(FromSeq: page[^1].Seq + 1, Limit: PageSize), cancellationToken);
            }

            verifier.AddRange(page);
            foreach (var entry in page)
            {
                builder.Add(entry);
            }

            if (page.Count < PageSize)
            {
                break;
            }
        }

        var verification = verifier.Complete(now);
        await foreach (var record in requestRecords(request.Period, cancellationToken).ConfigureAwait(false))
        {
            builder.AddRequestRecord(record);
        }

        var parsed = checkpoints.Select(c => (Checkpoint: c, Body: CheckpointBody.TryParse(c.Body))).Where(c => c.Body is not null).ToList();
        var origin = parsed.Count > 0 ? parsed[^1].Body!.Origin : "infraguard";
        ReportCheckpoint? before = null;
        ReportCheckpoint? covering = null;
        if (builder.FirstSeq is { } first && builder.LastSeq is { } last)
        {
            // MaxBy/MinBy throw on an empty sequence of tuples; a period at the log's start has no checkpoint before it.
            before = View(parsed.Where(c => c.Body!.Size < first).OrderByDescending(c => c.Checkpoint.Number).Select(c => ((AuditCheckpoint, CheckpointBody?)?)c).FirstOrDefault());
            covering = View(parsed.Where(c => c.Body!.Size >= last).OrderBy(c => c.Checkpoint.Number).Select(c => ((AuditCheckpoint, CheckpointBody?)?)c).FirstOrDefault());
        }

        var keys = trusted.Where(k => k.PublicKey.Length == AuditKeys.PublicKeyLength)
            .DistinctBy(k => k.KeyId)
            .OrderBy(k => k.KeyId, StringComparer.Ordinal)
            .Select(k => new ReportKey(k.KeyId, Convert.ToHexStringLower(SHA256.HashData(k.PublicKey)), AuditKeys.PublicKeyPem(k.PublicKey)))
            .ToList();
        var status = verification.UnableReason is not null ? "unable" : verification.IsValid ? "valid" : "tampered";
        var result = new ReportVerification
        {
            Status = status,
            ExitCode = verification.ExitCode,
            UnableReason = verification.UnableReason,
            TrustedKeys = request.TrustedKeys is null ? "database" : "given",
            EntriesVerified = verification.Entries,
            EntriesVouchedByCheckpoint = Math.Min(verifier.VouchedUpTo, verification.Entries),
            CheckpointsVerified = verification.Checkpoints,
            CheckpointBefore = before,
            CheckpointCovering = covering,
            PeriodCoveredByCheckpoint = builder.FirstSeq is null || covering is not null,
            Findings = [.. verification.Findings.Select(f => new ReportFindingOfTamper(f.Kind.ToString(), f.Seq, f.Detail, false))],
            Tail = verification.Tail?.Describe(),
            Keys = keys,
            ReverifyCommands = Commands(request, covering, builder.FirstSeq, builder.LastSeq, keys),
        };
        var range = checkpoints
            .Where(c => (before is null || c.Number >= before.Number) && (covering is null || c.Number <= covering.Number) && (before ?? covering) is not null)
            .OrderBy(c => c.Number)
            .ToList();
        return new GeneratedReport(builder.Build(origin, now, result), range);

        static ReportCheckpoint? View((AuditCheckpoint Checkpoint, CheckpointBody? Body)? c) =>
            c is { Body: { } b } x ? new ReportCheckpoint(x.Checkpoint.Number, b.Size, b.Head, b.Time, b.KeyId) : null;
    }

    private static List<string> Commands(ReportRequest request, ReportCheckpoint? covering, long? first, long? last, List<ReportKey> keys)
    {
        var period = string.Create(CultureInfo.InvariantCulture, $"--from {request.Period.From:yyyy-MM-dd} --to {request.Period.To:yyyy-MM-dd}") + (request.Tier is { } t ? $" --tier {t}" : "");
        var key = keys.Count > 0 ? $"keys/{AuditKeys.FileStem(keys[0].KeyId)}.pem" : "keys/KEY.pem";
        var commands = new List<string>
        {
            "infraguard audit export --out evidence && cd evidence",
            "bash verify.sh    # chain, entry signatures and every checkpoint; exit 0 valid, 1 tampered",
            $"openssl pkey -pubin -in {key} -outform DER | tail -c 32 | sha256sum    # compare with the fingerprint above, obtained out of band",
        };
        if (first is { } f && last is { } l)
        {
            commands.Add(string.Create(CultureInfo.InvariantCulture, $"sed -n '{f},{l}p' records.jsonl    # the period's entries, one canonical JSON a line"));
        }

        if (covering is not null)
        {
            commands.Add(string.Create(CultureInfo.InvariantCulture, $"cat checkpoints/cp-{covering.Number:D6}.txt    # size {covering.Size}: the checkpoint that covers the period; its head must equal the one above"));
        }

        commands.Add($"infraguard audit verify --trusted-key {key} --witness checkpoints.txt    # with this report's checkpoints.txt");
        commands.Add($"infraguard audit report {period} --trusted-key {key} --out again    # the same report, keys given out of band");
        return commands;
    }
}
