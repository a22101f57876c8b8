using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;
using Npgsql;

namespace InfraGuard.Store.Tests;

/// <summary>What several servers on one database share through the store: seen keys, leadership, change notifications, schema status.</summary>
public sealed class ReplicaStoreTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public static TheoryData<string> Backends => TestStore.Backends;

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task TryRemember_SameKeyFromTwoServers_OnlyFirstUntilItExpires(string backend)
    {
        using var db = TestStore.Create(backend);
        using var serverA = db.Open(_signer);
        using var serverB = db.Open(_signer);
        var expires = db.Time.GetUtcNow().AddMinutes(5);

        var first = await serverA.TryRememberAsync("slack-event:Ev1", expires);
        var second = await serverB.TryRememberAsync("slack-event:Ev1", expires);
        var other = await serverB.TryRememberAsync("slack-event:Ev2", expires);
        db.Time.Advance(TimeSpan.FromMinutes(5));
        var afterExpiry = await serverB.TryRememberAsync("slack-event:Ev1", db.Time.GetUtcNow().AddMinutes(5));
        var againAfterExpiry = await serverA.TryRememberAsync("slack-event:Ev1", db.Time.GetUtcNow().AddMinutes(5));

        Assert.True(first);
        Assert.False(second);
        Assert.True(other);
        Assert.True(afterExpiry, "an expired key is forgotten");
        Assert.False(againAfterExpiry);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ForgetExpired_MixedKeys_RemovesOnlyThePassedOnes(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        await store.TryRememberAsync("old", db.Time.GetUtcNow().AddMinutes(1));
        await store.TryRememberAsync("new", db.Time.GetUtcNow().AddHours(1));
        db.Time.Advance(TimeSpan.FromMinutes(2));

        var forgotten = await store.ForgetExpiredAsync();

        Assert.Equal(1, forgotten);
        Assert.False(await store.TryRememberAsync("new", db.Time.GetUtcNow().AddHours(1)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task SchemaStatus_FreshStore_AtTheVersionThisBuildCarries(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var status = await store.GetSchemaStatusAsync();

        Assert.True(status.AtExpected);
        Assert.Equal(typeof(ChangeStore).Assembly.GetManifestResourceNames().Count(n => n.Contains($".{backend}.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)), status.Expected);
    }

    [Fact]
    public async Task TryLead_Sqlite_AlwaysLeads()
    {
        using var db = TestStore.Create("sqlite");
        using var store = db.Open(_signer);

        await using var a = await store.TryLeadAsync("jobs");
        await using var b = await store.TryLeadAsync("jobs");

        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.False(store.IsShared);
    }

    [Fact]
    public async Task TryLead_Postgres_OneLeaderUntilItsConnectionGoes()
    {
        using var db = TestStore.Create("postgres");
        using var serverA = db.Open(_signer);
        using var serverB = db.Open(_signer);

        var leaseA = await serverA.TryLeadAsync("jobs");
        var refused = await serverB.TryLeadAsync("jobs");
        var otherName = await serverB.TryLeadAsync("other-jobs");
        Assert.NotNull(leaseA);
        Assert.True(await leaseA.IsHeldAsync(CancellationToken.None));
        await leaseA.DisposeAsync(); // the leader goes away
        var leaseB = await serverB.TryLeadAsync("jobs");

        Assert.Null(refused);
        Assert.NotNull(otherName);
        Assert.NotNull(leaseB);
        await otherName.DisposeAsync();
        await leaseB.DisposeAsync();
    }

    [Fact]
    public async Task TryLead_PostgresLeaderConnectionKilled_AnotherTakesOver()
    {
        using var db = TestStore.Create("postgres");
        using var serverA = db.Open(_signer);
        using var serverB = db.Open(_signer);
        await using var leaseA = await serverA.TryLeadAsync("jobs");
        Assert.NotNull(leaseA);
        Assert.Null(await serverB.TryLeadAsync("jobs"));

        // The leader's process dies: PostgreSQL ends its session (here: terminated from outside).
        await using (var admin = new NpgsqlConnection(db.Spec))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                """
                SELECT pg_terminate_backend(pid) FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid = 1229409348
                  AND objid::bigint = (hashtext(current_schema() || ':jobs')::bigint & 4294967295)
                """,
                admin);
            await kill.ExecuteNonQueryAsync();
        }

        var held = await leaseA.IsHeldAsync(CancellationToken.None);
        // pg_terminate_backend returns before the session has ended and released its lock: B asks again for a while.
        var leaseB = await serverB.TryLeadAsync("jobs");
        for (var tries = 0; leaseB is null && tries < 50; tries++)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            leaseB = await serverB.TryLeadAsync("jobs");
        }

        await using var released = leaseB; // disposed at the end of the test, as the lease above

        Assert.False(held);
        Assert.NotNull(leaseB);
    }

    [Fact]
    public async Task ListenForChanges_Postgres_HearsChangesAnotherServerCommitsInItsSchemaOnly()
    {
        using var db = TestStore.Create("postgres");
        using var other = TestStore.Create("postgres");
        using var listener = db.Open(_signer);
        using var writer = db.Open(_signer);
        using var elsewhere = other.Open(_signer);
        var heard = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var listening = new TaskCompletionSource();
        using var stop = new CancellationTokenSource();
        var listen = listener.ListenForChangesAsync(heard.Enqueue, listening.SetResult, stop.Token);
        await listening.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await elsewhere.AppendAsync(TestChain.Event(1, db.Time.GetUtcNow()) with { Request = "cr_elsewhere" });
        await writer.AppendAsync(TestChain.Event(1, db.Time.GetUtcNow()) with { Request = "cr_here" });
        for (var i = 0; i < 100 && heard.IsEmpty; i++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(200);
        await stop.CancelAsync();
        await listen;

        Assert.Equal(["cr_here"], heard.ToArray());
    }

    [Fact]
    public async Task ListenForChanges_Sqlite_NotSupported()
    {
        using var db = TestStore.Create("sqlite");
        using var store = db.Open(_signer);

        await Assert.ThrowsAsync<NotSupportedException>(() => store.ListenForChangesAsync(_ => { }, () => { }, CancellationToken.None));
    }

    public void Dispose() => _signer.Dispose();
}
