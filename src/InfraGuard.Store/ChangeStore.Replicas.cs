using System.Data.Common;
using Dapper;
using InfraGuard.Store.Sql;
using Npgsql;

namespace InfraGuard.Store;

/// <summary>The schema version a store is at, against the version this build expects.</summary>
/// <param name="Current">The highest migration recorded in <c>schema_version</c>.</param>
/// <param name="Expected">The highest migration this build carries.</param>
public sealed record SchemaStatus(int Current, int Expected)
{
    /// <summary>True when the database is exactly at the version this build was written for.</summary>
    public bool AtExpected => Current == Expected;
}

/// <summary>
/// A held (or, on SQLite, implied) leadership: while it is held, this process is the one server on the database that
/// runs the singleton jobs. On PostgreSQL it is a session-level advisory lock on a connection of its own, released when
/// the lease is disposed or when that connection dies (the process was killed, the network dropped): then another
/// server takes it over.
/// </summary>
public sealed class LeaderLease : IAsyncDisposable
{
    private readonly DbConnection? _connection;

    internal LeaderLease(DbConnection? connection) => _connection = connection;

    /// <summary>True while the lease's connection still answers (always on SQLite); false once it has died.</summary>
    public async Task<bool> IsHeldAsync(CancellationToken cancellationToken)
    {
        if (_connection is null)
        {
            return true;
        }

        try
        {
            return await _connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: cancellationToken)).ConfigureAwait(false) == 1;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or IOException or TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            try
            {
                await _connection.ExecuteAsync("SELECT pg_advisory_unlock_all()").ConfigureAwait(false);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException)
            {
                // A dead connection holds nothing any more.
            }

            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// What several servers on one database share (PostgreSQL; on SQLite there is one server): change announcements
/// (NOTIFY at commit, see <see cref="ISqlDialect.AnnounceAsync"/>), leadership for singleton jobs (an advisory lock),
/// seen keys with expiry (Slack replay guard and event de-duplication), and the schema version for readiness.
/// </summary>
public sealed partial class ChangeStore
{
    // pg_try_advisory_lock(int4, int4): the first half names InfraGuard's leader locks ("IGLD"); the second is a hash
    // of the schema and lock name, so servers of another InfraGuard schema on the same database lead on their own.
    private const int LeaderLockSpace = 0x4947_4C44;

    /// <summary>True when several servers may share this store (PostgreSQL); false for SQLite, a single server's store.</summary>
    public bool IsShared => _dialect is PostgresDialect;

    /// <summary>
    /// Tries to become the leader named <paramref name="name"/>: a lease while this process leads, null while another
    /// holds it. On SQLite the lease is always granted (one server).
    /// </summary>
    public async Task<LeaderLease?> TryLeadAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!IsShared)
        {
            return new LeaderLease(null);
        }

        var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var got = await c.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT pg_try_advisory_lock(@space, hashtext(current_schema() || ':' || @name))",
                new { space = LeaderLockSpace, name },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (got)
            {
                return new LeaderLease(c);
            }
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await c.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>
    /// PostgreSQL only: listens on a connection of its own for changes committed by any server on this database and
    /// calls <paramref name="changed"/> with each request id; <paramref name="listening"/> once LISTEN is in place (changes
    /// before it are the caller's to re-read). Returns when <paramref name="cancellationToken"/> fires; throws when the
    /// connection fails (the caller reconnects).
    /// </summary>
    public async Task ListenForChangesAsync(Action<string> changed, Action listening, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changed);
        ArgumentNullException.ThrowIfNull(listening);
        if (!IsShared)
        {
            throw new NotSupportedException("Change notifications need PostgreSQL; a SQLite store has a single server.");
        }

        await using var c = (NpgsqlConnection)await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var prefix = await c.ExecuteScalarAsync<string>(new CommandDefinition("SELECT current_schema()", cancellationToken: cancellationToken)).ConfigureAwait(false) + " ";
        c.Notification += (_, e) =>
        {
            if (e.Payload.StartsWith(prefix, StringComparison.Ordinal))
            {
                changed(e.Payload[prefix.Length..]);
            }
        };
        await c.ExecuteAsync(new CommandDefinition($"LISTEN {PostgresDialect.ChangesChannel}", cancellationToken: cancellationToken)).ConfigureAwait(false);
        listening();
        try
        {
            while (true)
            {
                await c.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Records <paramref name="key"/> until <paramref name="expiresAt"/>: true the first time (or once an earlier record has
    /// expired), false while any server on this database has already recorded it.
    /// </summary>
    public async Task<bool> TryRememberAsync(string key, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        try
        {
            await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
            var written = await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO seen_key (key, expires_at) VALUES (@key, @expires)
                ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen_key.expires_at <= @now
                """,
                new { key, expires = expiresAt.ToUnixTimeSeconds(), now = _time.GetUtcNow().ToUnixTimeSeconds() },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return written == 1;
        }
        catch (Exception e) when (_dialect.Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>Forgets every seen key whose time has passed; returns how many.</summary>
    public async Task<int> ForgetExpiredAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM seen_key WHERE expires_at <= @now", new { now = _time.GetUtcNow().ToUnixTimeSeconds() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Reads the schema version (the database is reachable when this returns).</summary>
    public async Task<SchemaStatus> GetSchemaStatusAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var current = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
        return new SchemaStatus((int)current, ExpectedVersion(_dialect.Name));
    }

    private static readonly Dictionary<string, int> Expected = new(StringComparer.Ordinal);

    private static int ExpectedVersion(string dialect)
    {
        lock (Expected)
        {
            if (!Expected.TryGetValue(dialect, out var version))
            {
                version = Migrator.Load(dialect).Max(m => m.Version);
                Expected[dialect] = version;
            }

            return version;
        }
    }
}
