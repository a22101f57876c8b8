using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace InfraGuard.Store.Tests;

/// <summary>
/// A fresh store on one backend: a temp SQLite file, or a fresh schema in the PostgreSQL database named by
/// <c>INFRAGUARD_TEST_PG</c> (start one with <c>eval "$(bash eng/postgres.sh)"</c>). PostgreSQL tests skip without it.
/// </summary>
internal sealed class TestStore : IDisposable
{
    public const string PgVariable = "INFRAGUARD_TEST_PG";

    private readonly string? _sqliteDir;
    private readonly string? _pgOwner;
    private readonly string? _schema;

    private TestStore(string backend)
    {
        Backend = backend;
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
        if (backend == "sqlite")
        {
            _sqliteDir = Path.Combine(Path.GetTempPath(), "ig-store-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(_sqliteDir);
            Spec = Path.Combine(_sqliteDir, "infraguard.db");
        }
        else
        {
            _pgOwner = DbSpec.ToNpgsql(Environment.GetEnvironmentVariable(PgVariable)!);
            _schema = "t_" + Guid.NewGuid().ToString("N");
            using (var c = new NpgsqlConnection(_pgOwner))
            {
                c.Execute($"CREATE SCHEMA {_schema}");
            }

            Spec = new NpgsqlConnectionStringBuilder(_pgOwner) { SearchPath = _schema }.ToString();
        }
    }

    public string Backend { get; }

    /// <summary>The spec the store opens (for PostgreSQL: the owner, who migrates; the app role is granted after).</summary>
    public string Spec { get; }

    public FakeTimeProvider Time { get; }

    public static TheoryData<string> Backends => ["sqlite", "postgres"];

    public static string? AppRole => Environment.GetEnvironmentVariable("INFRAGUARD_TEST_PG_APP_ROLE") is { Length: > 0 } r ? r : null;

    /// <summary>The app role's spec on this schema, when the environment provides one.</summary>
    public string? AppSpec => _schema is not null && Environment.GetEnvironmentVariable("INFRAGUARD_TEST_PG_APP") is { Length: > 0 } app
        ? new NpgsqlConnectionStringBuilder(DbSpec.ToNpgsql(app)) { SearchPath = _schema }.ToString()
        : null;

    public static TestStore Create(string backend)
    {
        if (backend == "postgres" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PgVariable)))
        {
            Assert.Skip($"{PgVariable} is not set; run: eval \"$(bash eng/postgres.sh)\" to test against PostgreSQL.");
        }

        return new TestStore(backend);
    }

    public ChangeStore Open(IAuditSigner signer, string origin = "test/infraguard", int checkpointEvery = 100) =>
        ChangeStore.Open(Spec, Time, signer, new ChangeStoreOptions(origin, Backend == "postgres" ? AppRole : null) { CheckpointEvery = checkpointEvery });

    /// <summary>The privileged attacker: drops/disables the guard triggers and replaces the audit tables' rows.</summary>
    public async Task ReplaceAuditAsync(ChangeStore store, StoredLog log)
    {
        await using var c = await store.OpenConnectionAsync();
        if (Backend == "sqlite")
        {
            foreach (var t in new[] { "audit_entry_no_update", "audit_entry_no_delete", "audit_checkpoint_no_update", "audit_checkpoint_no_delete" })
            {
                await c.ExecuteAsync($"DROP TRIGGER {t}");
            }
        }
        else
        {
            await c.ExecuteAsync("ALTER TABLE audit_entry DISABLE TRIGGER USER; ALTER TABLE audit_checkpoint DISABLE TRIGGER USER;");
        }

        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM audit_entry; DELETE FROM audit_checkpoint;", transaction: tx);
        foreach (var e in log.Entries)
        {
            await c.ExecuteAsync(
                "INSERT INTO audit_entry (seq, recorded_at, kind, subject, payload, prev_hash, entry_hash, key_id, signature) VALUES (@Seq, @RecordedAt, @Kind, @Subject, @Payload, @PrevHash, @EntryHash, @KeyId, @Signature)",
                e,
                tx);
        }

        foreach (var cp in log.Checkpoints)
        {
            await c.ExecuteAsync(
                "INSERT INTO audit_checkpoint (number, size, created_at, body, key_id, signature) VALUES (@Number, @size, '2026-11-25T00:00:00.000Z', @Body, @KeyId, @Signature)",
                new { cp.Number, size = CheckpointBody.TryParse(cp.Body)?.Size ?? 0, cp.Body, cp.KeyId, cp.Signature },
                tx);
        }

        await tx.CommitAsync();
    }

    public static async Task<StoredLog> ReadLogAsync(ChangeStore store)
    {
        var entries = new List<AuditEntry>();
        await foreach (var e in store.StreamEntriesAsync())
        {
            entries.Add(e);
        }

        return new StoredLog(entries, [.. await store.ListCheckpointsAsync()]);
    }

    public void Dispose()
    {
        if (_sqliteDir is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_sqliteDir, recursive: true);
            }
            catch (IOException)
            {
                // Another test's pooled handle; the temp folder is harmless.
            }
        }
        else if (_schema is not null)
        {
            NpgsqlConnection.ClearAllPools();
            using var c = new NpgsqlConnection(_pgOwner);
            c.Execute($"DROP SCHEMA {_schema} CASCADE");
        }
    }
}
