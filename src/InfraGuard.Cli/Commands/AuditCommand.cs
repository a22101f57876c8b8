using System.CommandLine;
using System.Text;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Audit.Report;
using Spectre.Console;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard audit list|show|verify|export|report</c>.</summary>
internal static class AuditCommand
{
    public static Command Build(CliContext context)
    {
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();

        var kind = new Option<string>("--kind") { Description = "Only entries of this type, e.g. approval.granted", HelpName = "TYPE" };
        var request = new Option<string>("--request") { Description = "Only entries about this change request", HelpName = "ID" };
        var from = new Option<long?>("--from") { Description = "From this seq", HelpName = "SEQ" };
        var to = new Option<long?>("--to") { Description = "Up to this seq", HelpName = "SEQ" };
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 1000 };
        var list = new Command("list", "List audit entries in order.") { kind, request, from, to, limit, db, key };
        list.SetAction((parse, ct) => ListAsync(context, new AuditQuery(parse.GetValue(from), parse.GetValue(to), parse.GetValue(kind), parse.GetValue(request), Limit: parse.GetValue(limit)), parse.GetValue(db), parse.GetValue(key), ct));

        var seq = new Argument<long>("SEQ") { Description = "Entry number" };
        var show = new Command("show", "Print one entry: its canonical payload, hashes, key and signature.") { seq, db, key };
        show.SetAction((parse, ct) => ShowAsync(context, parse.GetValue(seq), parse.GetValue(db), parse.GetValue(key), ct));

        var witness = new Option<string>("--witness") { Description = "File of checkpoints seen outside the database (Slack channel, CI logs)", HelpName = "FILE" };
        var trusted = new Option<string[]>("--trusted-key") { Description = "Public key PEM to trust (repeatable; obtained out of band)", HelpName = "PEM" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var verify = new Command("verify", "Verify the chain, signatures and checkpoints. Exit 0 valid, 1 tampering found, 2 unable to verify.") { witness, trusted, format, db, key };
        verify.SetAction((parse, ct) => VerifyAsync(context, parse.GetValue(witness), parse.GetValue(trusted) ?? [], parse.GetValue(format) == "json", parse.GetValue(db), parse.GetValue(key), ct));

        var outDir = new Option<string>("--out") { Description = "Folder to write the auditor bundle to", Required = true, HelpName = "DIR" };
        var export = new Command("export", "Write the auditor bundle (records, entries, checkpoints, keys, verify.sh, SHA256SUMS).") { outDir, db, key };
        export.SetAction((parse, ct) => ExportAsync(context, parse.GetValue(outDir)!, parse.GetValue(db), parse.GetValue(key), ct));

        var periodFrom = new Option<string>("--from") { Description = "First day of the period (UTC)", Required = true, HelpName = "YYYY-MM-DD" };
        var periodTo = new Option<string>("--to") { Description = "Last day of the period (UTC, inclusive)", Required = true, HelpName = "YYYY-MM-DD" };
        var tier = new Option<string>("--tier") { Description = "Only changes of this tier, e.g. production", HelpName = "TIER" };
        var reportOut = new Option<string>("--out") { Description = "Folder to write report.html, report.json and checkpoints.txt to", Required = true, HelpName = "DIR" };
        var report = new Command("report", "Write a period's change-management evidence: report.html (prints to PDF), its data report.json and the signed checkpoints covering it. The log is verified first: exit 0 valid, 1 tampering found, 2 unable to verify.")
        {
            periodFrom, periodTo, tier, reportOut, trusted, db, key,
        };
        report.SetAction((parse, ct) => ReportAsync(context, parse.GetValue(periodFrom)!, parse.GetValue(periodTo)!, parse.GetValue(tier), parse.GetValue(reportOut)!, parse.GetValue(trusted) ?? [], parse.GetValue(db), parse.GetValue(key), ct));

        return new Command("audit", "Read, verify and export the signed audit log, and report on a period.") { list, show, verify, export, report };
    }

    /// <summary>The files <c>audit report</c> writes, in this order.</summary>
    public static readonly string[] ReportFiles = ["report.html", "report.json", "checkpoints.txt"];

    private static async Task<int> ReportAsync(CliContext context, string from, string to, string? tier, string outDir, string[] trustedPems, string? db, string? key, CancellationToken cancellationToken)
    {
        ReportPeriod period;
        try
        {
            period = ReportPeriod.Parse(from, to);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message);
        }

        List<AuditPublicKey>? keys = null;
        try
        {
            keys = trustedPems.Length == 0 ? null : [.. trustedPems.Select(p => AuditPublicKey.FromRaw(AuditKeys.ParsePublicKeyPem(File.ReadAllText(context.Resolve(p)))))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            context.Error.WriteLine($"Error: --trusted-key: {e.Message} Give a public key PEM (-----BEGIN PUBLIC KEY-----), e.g. keys/ed25519-….pem from an export. Nothing was written.");
            return ExitCodes.BadInput;
        }

        if (keys is null)
        {
            context.Error.WriteLine("Note: trusting the public keys recorded in the database; pass --trusted-key PEM (obtained out of band) for an auditor-grade check. The report says which.");
        }

        using var store = StoreAccess.Open(context, db, key);
        var generated = await store.ReportAsync(new ReportRequest(period, tier, keys), cancellationToken).ConfigureAwait(false);
        var report = generated.Report;
        var root = Path.GetFullPath(context.Resolve(outDir));
        Directory.CreateDirectory(root);
        var paths = ReportFiles.Select(f => Path.Combine(root, f)).ToArray();
        await using (var json = File.Create(paths[1]))
        {
            await ReportJson.WriteAsync(report, json, cancellationToken).ConfigureAwait(false);
        }

        string jsonHash;
        await using (var json = File.OpenRead(paths[1]))
        {
            jsonHash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(json, cancellationToken).ConfigureAwait(false));
        }

        await File.WriteAllTextAsync(paths[2], generated.CheckpointsText(), cancellationToken).ConfigureAwait(false);
        await using (var html = new StreamWriter(paths[0], append: false, new UTF8Encoding(false), bufferSize: 1 << 16))
        {
            ReportHtml.Write(report, jsonHash, html);
        }

        foreach (var path in paths)
        {
            context.Out.WriteLine(path);
        }

        var s = report.Summary;
        var v = report.Verification;
        context.Error.WriteLine($"Report for {period}{(tier is null ? "" : $", tier {tier}")}: {s.Changes} changes ({s.Applied} applied, {s.Reviewed} reviewed, {s.Rejected} rejected, {s.Blocked} blocked, {s.Expired} expired, {s.BreakGlass} break-glass), {report.Refusals.Total} refused decisions.");
        context.Error.WriteLine(v.Status switch
        {
            "valid" => $"Verified: {v.EntriesVerified} entries and {v.CheckpointsVerified} checkpoints valid" + (v.PeriodCoveredByCheckpoint ? "; a signed checkpoint covers the period." : "; no signed checkpoint covers the end of the period yet."),
            "tampered" => $"TAMPERING FOUND: {v.Findings.Count} findings, {v.Findings.Count(f => f.InPeriod)} inside the period (see the Verification section). Check the log with 'infraguard audit verify'.",
            _ => $"UNABLE TO VERIFY: {v.UnableReason}",
        });
        context.Error.WriteLine($"Open {paths[0]} in a browser (print it to PDF for the auditor); an auditor re-verifies offline with the commands in its Verification section.");
        return v.ExitCode;
    }

    private static async Task<int> ListAsync(CliContext context, AuditQuery query, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        var table = new Table().AddColumns("Seq", "At", "Type", "Request", "Hash", "Key");
        foreach (var e in await store.ListEntriesAsync(query, cancellationToken).ConfigureAwait(false))
        {
            table.AddRow(new Text(e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Text(e.RecordedAt), new Text(e.Kind), new Text(e.Subject ?? ""), new Text(e.EntryHash[..16]), new Text(e.KeyId));
        }

        Rendering.Consoles.Create(context.Out, context.OutIsTerminal, context.OutColor).Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CliContext context, long seq, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        if (await store.GetEntryAsync(seq, cancellationToken).ConfigureAwait(false) is not { } e)
        {
            context.Error.WriteLine($"Error: there is no audit entry {seq}. List entries with 'infraguard audit list'.");
            return ExitCodes.BadInput;
        }

        context.Out.WriteLine($"seq        {e.Seq}");
        context.Out.WriteLine($"payload    {Encoding.UTF8.GetString(e.Payload)}");
        context.Out.WriteLine($"prev_hash  {e.PrevHash}");
        context.Out.WriteLine($"entry_hash {e.EntryHash}");
        context.Out.WriteLine($"key        {e.KeyId}");
        context.Out.WriteLine($"signature  {e.Signature}");
        return ExitCodes.Ok;
    }

    private static async Task<int> VerifyAsync(CliContext context, string? witnessFile, string[] trustedPems, bool json, string? db, string? key, CancellationToken cancellationToken)
    {
        AuditVerification result;
        string source = StoreAccess.DbSpec(context, db);
        try
        {
            var witnesses = witnessFile is null ? null : AuditWitness.Parse(await File.ReadAllTextAsync(context.Resolve(witnessFile), cancellationToken).ConfigureAwait(false));
            using var store = StoreAccess.Open(context, db, key);
            source = store.Description;
            IEnumerable<AuditPublicKey> keys;
            if (trustedPems.Length > 0)
            {
                keys = trustedPems.Select(p => AuditPublicKey.FromRaw(AuditKeys.ParsePublicKeyPem(File.ReadAllText(context.Resolve(p))))).ToList();
            }
            else
            {
                // Without out-of-band keys, the keys recorded in the database are trusted: good against accidents and
                // bugs, not against someone who can write to the database. Say so.
                context.Error.WriteLine("Note: trusting the public keys recorded in the database; pass --trusted-key PEM (obtained out of band) for an auditor-grade check.");
                keys = await store.ListKeysAsync(cancellationToken).ConfigureAwait(false);
            }

            result = await store.VerifyAsync(keys, witnesses, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or BadInputException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or Store.StoreUnavailableException)
        {
            result = AuditVerification.Unable(e.Message);
        }

        context.Out.WriteLine(json ? result.ToJson() : result.RenderText(source).TrimEnd());
        return result.ExitCode;
    }

    private static async Task<int> ExportAsync(CliContext context, string outDir, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        var root = Path.GetFullPath(context.Resolve(outDir));
        IReadOnlyList<AuditExportFile> files;
        try
        {
            files = await store.ExportAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException e)
        {
            context.Error.WriteLine($"Error: cannot export the audit log of {store.Description}: {e.Message}. Nothing was written.");
            return ExitCodes.BadInput;
        }

        // File names come from the database: each must land inside the export folder, whatever it says.
        var paths = files.Select(f => Path.GetFullPath(Path.Combine(root, f.Path))).ToList();
        if (paths.FirstOrDefault(p => !p.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal)) is { } outside)
        {
            context.Error.WriteLine($"Error: the export would write {outside}, outside {root}; the database holds a name InfraGuard never writes. Nothing was written; check the log with 'infraguard audit verify --trusted-key PEM'.");
            return ExitCodes.BadInput;
        }

        foreach (var (file, path) in files.Zip(paths))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, file.Content, cancellationToken).ConfigureAwait(false);
            if (file.Executable && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }

        context.Out.WriteLine(root);
        context.Error.WriteLine($"Wrote {files.Count} files. An auditor runs: cd {root} && ./verify.sh");
        return ExitCodes.Ok;
    }
}
