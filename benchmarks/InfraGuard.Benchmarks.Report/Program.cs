using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Audit.Report;
using InfraGuard.Store;
using Microsoft.Data.Sqlite;

// audit report over a large log: `generate N DB` writes N signed, chained entries (a realistic mix over 13 weeks, with
// checkpoints every 100 entries as the store writes them) straight into a fresh store; `report DB` then generates the
// 13-week report in a fresh process, as `infraguard audit report` does, and prints wall time and peak memory.
GCSettings.LatencyMode = GCLatencyMode.Batch; // as the CLI's batch commands run
using var signer = Ed25519AuditSigner.FromSeed(new byte[32]);
var start = new DateTimeOffset(2026, 9, 7, 0, 0, 0, TimeSpan.Zero); // a Monday
switch (args)
{
    case ["generate", var n, var db]:
        Generate(int.Parse(n, CultureInfo.InvariantCulture), db);
        return 0;
    case ["report", var db]:
        return await ReportAsync(db);
    case ["phases", var db]:
        await PhasesAsync(db);
        return 0;
    default:
        Console.Error.WriteLine("usage: generate ENTRIES DB | report DB");
        return 64;
}

void Generate(int count, string db)
{
    ChangeStore.Open(db, TimeProvider.System, signer).Dispose(); // schema
    using var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
    c.Open();
    using var tx = c.BeginTransaction();
    using var insert = c.CreateCommand();
    insert.Transaction = tx;
    insert.CommandText = "INSERT INTO audit_entry (seq, recorded_at, kind, subject, payload, prev_hash, entry_hash, key_id, signature) VALUES ($seq, $at, $kind, $subject, $payload, $prev, $hash, $key, $sig)";
    string[] names = ["seq", "at", "kind", "subject", "payload", "prev", "hash", "key", "sig"];
    foreach (var name in names)
    {
        insert.Parameters.Add(new SqliteParameter("$" + name, null));
    }

    using var checkpoint = c.CreateCommand();
    checkpoint.Transaction = tx;
    checkpoint.CommandText = "INSERT INTO audit_checkpoint (number, size, created_at, body, key_id, signature) VALUES ($n, $size, $at, $body, $key, $sig)";
    foreach (var name in new[] { "n", "size", "at", "body", "key", "sig" })
    {
        checkpoint.Parameters.Add(new SqliteParameter("$" + name, null));
    }

    var head = AuditHead.Empty;
    var step = TimeSpan.FromSeconds(13 * 7 * 86400.0 / count);
    var at = start;
    var i = 0;
    var checkpoints = 0L;
    var random = new Random(42);
    while (i < count)
    {
        // One change: submitted, then (mostly) a decision, apply start and outcome; sometimes a refusal or a block.
        var id = "cr_" + i.ToString("D12", CultureInfo.InvariantCulture)[^12..];
        var plan = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(id)));
        var kind = random.Next(100);
        var events = new List<AuditEvent>();
        if (kind < 5)
        {
            events.Add(Event("risk.scored", null, new() { ["stack"] = "prod", ["tier"] = "production", ["actor_kind"] = "agent", ["requester"] = "agent:optimiser", ["plan_hash"] = plan, ["score"] = 420, ["decision"] = "block", ["rules"] = new JsonArray("stateful-delete", "db-scale-down") }));
        }
        else
        {
            var review = kind < 60;
            events.Add(Event("plan.submitted", id, new()
            {
                ["stack"] = kind % 3 == 0 ? "prod-eu" : "prod", ["project"] = "shop", ["tier"] = "production",
                ["requester"] = Person("carol", "github:carol-example"), ["actor_kind"] = kind % 4 == 0 ? "agent" : "pipeline", ["on_behalf_of"] = kind % 4 == 0 ? "carol" : null,
                ["commit_authors"] = new JsonArray("carol@example.com"), ["plan_hash"] = plan, ["state_fingerprint"] = plan, ["policy_pack_hash"] = plan,
                ["score"] = review ? 100 : 10, ["decision"] = review ? "review" : "allow", ["required_approvals"] = 1,
                ["expires_at"] = CanonicalJson.FormatTimestamp(at.AddHours(4)), ["submitted_by"] = "ci:deploy", ["attested"] = true,
            }));
            if (kind is >= 55 and < 60)
            {
                events.Add(Event("approval.refused", id, new() { ["approver"] = Person("carol", "slack:U0EXAMPLEC"), ["channel"] = "slack", ["verdict"] = "approve", ["rule"] = "self-approval", ["refusal"] = "You requested this change (requester: 'carol'), so you cannot decide on it.", ["plan_hash"] = plan, ["tier"] = "production" }));
            }

            if (review)
            {
                var reject = kind < 12;
                events.Add(Event(reject ? "approval.denied" : "approval.granted", id, new() { ["approver"] = Person("alice", "slack:U0EXAMPLEA"), ["channel"] = "slack", ["reason"] = "checked replicas and snapshot", ["plan_hash"] = plan, ["policy_pack_hash"] = plan, ["from_state"] = "pending", ["to_state"] = reject ? "rejected" : "approved" }));
            }
            else
            {
                events.Add(Event("request.state-changed", id, new() { ["actor"] = Person("infraguard", "system:infraguard"), ["reason"] = "allowed by policy", ["plan_hash"] = plan, ["state_fingerprint"] = plan, ["from_state"] = "pending", ["to_state"] = "approved" }));
            }

            if (kind >= 12)
            {
                events.Add(Event("deploy.started", id, new() { ["actor"] = Person("ci", "ci:deploy"), ["reason"] = "applying the approved plan", ["plan_hash"] = plan, ["state_fingerprint"] = plan, ["from_state"] = "approved", ["to_state"] = "applying" }));
                events.Add(Event("deploy.completed", id, new() { ["plan_hash"] = plan, ["succeeded"] = kind != 99, ["exit_code"] = kind != 99 ? 0 : 1, ["counts"] = new JsonObject { ["update"] = 1 }, ["to_state"] = kind != 99 ? "applied" : "failed", ["submitted_by"] = "ci:deploy" }));
            }
        }

        foreach (var e in events)
        {
            if (i == count)
            {
                break;
            }

            var entry = AuditChain.Next(head, e, signer);
            object?[] values = [entry.Seq, entry.RecordedAt, entry.Kind, entry.Subject, entry.Payload, entry.PrevHash, entry.EntryHash, entry.KeyId, entry.Signature];
            for (var p = 0; p < values.Length; p++)
            {
                insert.Parameters[p].Value = values[p] ?? DBNull.Value;
            }

            insert.ExecuteNonQuery();
            head = new AuditHead(entry.Seq, entry.EntryHash);
            i++;
            at += step;
            if (entry.Seq % 100 == 0 || i == count)
            {
                var cp = AuditCheckpoint.Create(++checkpoints, "infraguard", head, at, signer);
                object?[] cv = [cp.Number, head.Size, CanonicalJson.FormatTimestamp(at), cp.Body, cp.KeyId, cp.Signature];
                for (var p = 0; p < cv.Length; p++)
                {
                    checkpoint.Parameters[p].Value = cv[p];
                }

                checkpoint.ExecuteNonQuery();
            }
        }
    }

    tx.Commit();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {count} entries and {checkpoints} checkpoints to {db}"));

    AuditEvent Event(string type, string? request, Dictionary<string, JsonNode?> fields) => new(type, at, request, fields);
}

// CPU time of each phase alone (the machine is shared: process CPU time moves less than wall time).
async Task PhasesAsync(string db)
{
    using var store = ChangeStore.Open(db, TimeProvider.System, signer);
    var keys = await store.ListKeysAsync();
    var period = new ReportPeriod(DateOnly.FromDateTime(start.UtcDateTime), DateOnly.FromDateTime(start.UtcDateTime).AddDays((13 * 7) - 1));
    async Task Phase(string name, Action<IReadOnlyList<AuditEntry>> work)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (long from = 1; ; from += AuditReportGenerator.PageSize)
        {
            var page = await store.ListEntriesAsync(new AuditQuery(FromSeq: from, Limit: AuditReportGenerator.PageSize));
            work(page);
            if (page.Count < AuditReportGenerator.PageSize)
            {
                break;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} wall {sw.ElapsedMilliseconds,6} ms  cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds,6:F0} ms"));
    }

    await Phase("read pages", _ => { });
    var checkpoints = await store.ListCheckpointsAsync();
    var vouched = new AuditVerifier(keys, checkpoints, null, checkpointVouches: true);
    await Phase("read + verify (checkpoints vouch)", vouched.AddRange);
    var verifier = new AuditVerifier(keys, []);
    await Phase("read + verify (parallel)", verifier.AddRange);
    var serial = new AuditVerifier(keys, []);
    await Phase("read + verify (one by one)", p => { foreach (var e in p) { serial.Add(e); } });
    var builder = new AuditReportBuilder(period);
    await Phase("read + build", p => { foreach (var e in p) { builder.Add(e); } });
}

static JsonObject Person(string person, string identity) => new() { ["person"] = person, ["identity"] = identity };

async Task<int> ReportAsync(string db)
{
    var sw = Stopwatch.StartNew();
    using var store = ChangeStore.Open(db, TimeProvider.System, signer);
    var generated = await store.ReportAsync(new ReportRequest(new ReportPeriod(DateOnly.FromDateTime(start.UtcDateTime), DateOnly.FromDateTime(start.UtcDateTime).AddDays((13 * 7) - 1)), "production"));
    var outDir = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(db))!, "report");
    Directory.CreateDirectory(outDir);
    var jsonPath = Path.Combine(outDir, "report.json");
    await using (var json = File.Create(jsonPath))
    {
        await ReportJson.WriteAsync(generated.Report, json);
    }

    string hash;
    await using (var json = File.OpenRead(jsonPath))
    {
        hash = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(json));
    }

    await File.WriteAllTextAsync(Path.Combine(outDir, "checkpoints.txt"), generated.CheckpointsText());
    await using (var html = new StreamWriter(Path.Combine(outDir, "report.html"), false, new UTF8Encoding(false), 1 << 16))
    {
        ReportHtml.Write(generated.Report, hash, html);
    }

    sw.Stop();
    var peak = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
    var r = generated.Report;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        entries verified   {r.Verification.EntriesVerified} ({r.Verification.Status}); period entries {r.Verification.PeriodEntries}
        changes            {r.Summary.Changes} ({r.Summary.Applied} applied, {r.Summary.Rejected} rejected, {r.Summary.Blocked} blocked), {r.Refusals.Total} refusals
        wall time          {sw.Elapsed.TotalMilliseconds:F0} ms   (target <= 5000 ms; open + read + verify + build + write html/json/checkpoints)
        peak memory        {peak["VmHWM:".Length..].Trim()}   (target <= 200 MB)
        output             {outDir} (html {new FileInfo(Path.Combine(outDir, "report.html")).Length / 1024} KiB, json {new FileInfo(jsonPath).Length / 1024} KiB)
        """));
    return r.Verification.Status == "valid" ? 0 : 1;
}
