using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Store.Tests;

/// <summary>Security review F8 and U5: a store that is locked or out of reach is an outage, not a bug; its files are the owner's only.</summary>
public sealed class StoreAvailabilityTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
    private readonly string _dir = Directory.CreateTempSubdirectory("ig-store-avail-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));

    private string DbPath => Path.Combine(_dir, "infraguard.db");

    public void Dispose()
    {
        _signer.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Append_SqliteWriteLockHeldByAnotherProcess_UnavailableSayingWhichStoreAfterSayingWhatWaits()
    {
        var waits = new List<string>();
        using var store = ChangeStore.Open(DbPath, _time, _signer, new ChangeStoreOptions { LockWait = TimeSpan.FromSeconds(2), Waiting = waits.Add });
        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        await other.OpenAsync(TestContext.Current.CancellationToken);
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.AppendAsync(TestChain.Event(1, _time.GetUtcNow())));

        Assert.Equal("sqlite " + DbPath, e.Store);
        Assert.StartsWith($"the store (sqlite {DbPath}) is unavailable: another process kept the database file locked for 2s (", e.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed. Retry when the other process is done", e.Message, StringComparison.Ordinal);
        Assert.Equal([$"Waiting for the write lock on sqlite {DbPath}: another process holds it (up to 1s more)."], waits);
        Assert.Equal(0, (await store.GetHeadAsync()).Size);
    }

    [Fact]
    public async Task Append_LockReleasedWhileWaiting_Succeeds()
    {
        var waits = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var store = ChangeStore.Open(DbPath, _time, _signer, new ChangeStoreOptions { LockWait = TimeSpan.FromSeconds(20), Waiting = waits.Enqueue });
        var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString());
        await other.OpenAsync(TestContext.Current.CancellationToken);
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var append = Task.Run(() => store.AppendAsync(TestChain.Event(1, _time.GetUtcNow())), TestContext.Current.CancellationToken);
        while (waits.IsEmpty)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await other.DisposeAsync();
        var entry = await append;

        Assert.Equal(1, entry.Seq);
    }

    [Fact]
    public void Open_PostgresServerOutOfReach_UnavailableWithoutThePassword()
    {
        // Port 1 on the loopback address: nothing listens there, so the connection is refused at once.
        var e = Assert.Throws<StoreUnavailableException>(() => ChangeStore.Open("postgres://ig:s3cret-pw@127.0.0.1:1/ig", _time, _signer));

        Assert.Equal("postgres ig@127.0.0.1:1/ig", e.Store);
        Assert.StartsWith("the store (postgres ig@127.0.0.1:1/ig) is unavailable: cannot reach the server (", e.Message, StringComparison.Ordinal);
        Assert.Contains("Check that the PostgreSQL server is running and reachable", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Open_NewSqliteFile_DatabaseWalAndShmAreOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var store = ChangeStore.Open(DbPath, _time, _signer);
        await store.AppendAsync(TestChain.Event(1, _time.GetUtcNow()));

        foreach (var file in new[] { DbPath, DbPath + "-wal", DbPath + "-shm" })
        {
            Assert.True(File.Exists(file), file);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
    }
}
