using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Store;
using NSec.Cryptography;

// Measures (1) signed, transactional audit appends per second on SQLite (one transaction per append, as the store
// does for a state change) and (2) full-log verify throughput against raw NSec Ed25519 verifications in the same run.
var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
var dir = Path.Combine(Path.GetTempPath(), "ig-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
using var signer = Ed25519AuditSigner.FromSeed(new byte[32]);
var trusted = new[] { AuditPublicKey.FromRaw(signer.PublicKey.Span) };

try
{
    using var store = ChangeStore.Open(Path.Combine(dir, "bench.db"), TimeProvider.System, signer);
    AuditEvent Event(int i) => new("approval.granted", DateTimeOffset.UnixEpoch.AddSeconds(i), "cr_bench" + i.ToString("D7", CultureInfo.InvariantCulture), new Dictionary<string, JsonNode?>
    {
        ["approver"] = new JsonObject { ["person"] = "erin", ["identity"] = "slack:U024BE7LH" },
        ["plan_hash"] = new string('a', 64),
        ["policy_pack_hash"] = new string('b', 64),
        ["reason"] = "checked the plan",
    });

    for (var i = 0; i < 200; i++)
    {
        await store.AppendAsync(Event(i)); // warm-up
    }

    var sw = Stopwatch.StartNew();
    for (var i = 0; i < count; i++)
    {
        await store.AppendAsync(Event(i));
    }

    sw.Stop();
    var appendsPerSecond = count / sw.Elapsed.TotalSeconds;

    var entries = new List<AuditEntry>();
    await foreach (var e in store.StreamEntriesAsync())
    {
        entries.Add(e);
    }

    // Raw NSec: verify the same statements with an imported public key (no hashing, parsing or I/O).
    var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, signer.PublicKey.Span, KeyBlobFormat.RawPublicKey);
    var statements = entries.Select(e => (AuditChain.EntryStatement(e.Seq, e.EntryHash), Convert.FromBase64String(e.Signature))).ToList();
    sw.Restart();
    var ok = 0;
    foreach (var (statement, signature) in statements)
    {
        ok += SignatureAlgorithm.Ed25519.Verify(publicKey, statement, signature) ? 1 : 0;
    }

    sw.Stop();
    var rawPerSecond = statements.Count / sw.Elapsed.TotalSeconds;

    sw.Restart();
    var inMemory = AuditVerifier.Verify(entries, [], trusted);
    sw.Stop();
    var verifyPerSecond = entries.Count / sw.Elapsed.TotalSeconds;

    sw.Restart();
    var fromDb = await store.VerifyAsync(trusted);
    sw.Stop();
    var verifyDbPerSecond = entries.Count / sw.Elapsed.TotalSeconds;

    if (ok != statements.Count || !inMemory.IsValid || !fromDb.IsValid)
    {
        Console.Error.WriteLine("verification failed; numbers are meaningless");
        return 1;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
        entries                         {entries.Count}
        signed transactional appends/s  {appendsPerSecond,10:F0}   (SQLite WAL, one BEGIN IMMEDIATE transaction each; target >= 2000)
        raw NSec Ed25519 verifies/s     {rawPerSecond,10:F0}
        AuditVerifier entries/s         {verifyPerSecond,10:F0}   ({100 * verifyPerSecond / rawPerSecond:F0}% of raw; target >= 80%)
        VerifyAsync from SQLite /s      {verifyDbPerSecond,10:F0}   ({100 * verifyDbPerSecond / rawPerSecond:F0}% of raw)
        """));
    return 0;
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(dir, recursive: true);
}
