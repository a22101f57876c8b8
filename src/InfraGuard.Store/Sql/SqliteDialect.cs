using System.Data.Common;
using System.Globalization;
using InfraGuard.Core.Policy;
using Microsoft.Data.Sqlite;

namespace InfraGuard.Store.Sql;

/// <summary>SQLite: WAL, busy timeout, foreign keys on, BEGIN IMMEDIATE for writes.</summary>
internal sealed class SqliteDialect : ISqlDialect
{
    // How long a write waits for the lock silently before saying what it is waiting for.
    private static readonly TimeSpan QuietWait = TimeSpan.FromSeconds(1);

    private readonly string _connectionString;
    private readonly string _path;
    private readonly TimeSpan _lockWait;
    private readonly Action<string>? _waiting;

    /// <param name="connectionString">The SQLite connection string.</param>
    /// <param name="lockWait">How long an operation waits for another process's lock before the store is unavailable.</param>
    /// <param name="waiting">Told, once per write, when the write lock is not free at once: says what waits, and for how long.</param>
    public SqliteDialect(string connectionString, TimeSpan lockWait, Action<string>? waiting)
    {
        _lockWait = lockWait;
        _waiting = waiting;
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            ForeignKeys = true,
            DefaultTimeout = Seconds(lockWait),
            Pooling = true,
        };
        _path = builder.DataSource;
        _connectionString = builder.ToString();
        try
        {
            StoreFiles.CreateDatabaseFile(_path);
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            using var command = connection.CreateCommand();
            // WAL persists in the file: readers don't block the writer, and a killed process loses nothing committed.
            command.CommandText = "PRAGMA journal_mode=WAL;";
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
    }

    public string Name => "sqlite";

    public string Describe => "sqlite " + _path;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        // synchronous=FULL: every acknowledged request, decision and apply outcome is on disk before the commit
        // returns, so it survives an OS crash or power loss too, not only a killed process (NORMAL would not).
        await ExecuteAsync(connection, $"PRAGMA busy_timeout={Milliseconds(_lockWait)}; PRAGMA synchronous=FULL;", cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var sqlite = (SqliteConnection)connection;
        var quiet = QuietWait < _lockWait ? QuietWait : _lockWait;
        try
        {
            try
            {
                return await BeginImmediateAsync(sqlite, quiet, cancellationToken).ConfigureAwait(false);
            }
            catch (SqliteException e) when (IsBusy(e) && quiet < _lockWait)
            {
                var rest = _lockWait - quiet;
                _waiting?.Invoke($"Waiting for the write lock on {Describe}: another process holds it (up to {Duration.Format(rest)} more).");
                return await BeginImmediateAsync(sqlite, rest, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (SqliteException e) when (Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
        finally
        {
            sqlite.DefaultTimeout = Seconds(_lockWait);
        }
    }

    public Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task AnnounceAsync(DbConnection connection, DbTransaction transaction, string subject, CancellationToken cancellationToken) => Task.CompletedTask;

    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 } e && e.Message.Contains("UNIQUE", StringComparison.Ordinal);

    public StoreUnavailableException? Unavailable(Exception exception) => exception is SqliteException e && IsBusy(e)
        ? new StoreUnavailableException(
            Describe,
            $"another process kept the database file locked for {Duration.Format(_lockWait)} ({e.Message.TrimEnd('.')})",
            $"Nothing was changed. Retry when the other process is done; if the lock stays, find what holds {_path} (`fuser {_path}`), e.g. a stuck process or a tool with an open write transaction.",
            e)
        : null;

    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with or without extended codes.
    private static bool IsBusy(SqliteException e) => (e.SqliteErrorCode & 0xFF) is 5 or 6;

    // Microsoft.Data.Sqlite retries a busy statement until the command timeout, and SQLite waits busy_timeout in each
    // try: both are set to the wait wanted, so BEGIN IMMEDIATE gives up after about that long.
    private static async Task<DbTransaction> BeginImmediateAsync(SqliteConnection connection, TimeSpan wait, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, $"PRAGMA busy_timeout={Milliseconds(wait)};", cancellationToken).ConfigureAwait(false);
        connection.DefaultTimeout = Seconds(wait);
        // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE unless deferred: the write lock is taken up front.
        return connection.BeginTransaction(deferred: false);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static int Seconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    private static string Milliseconds(TimeSpan wait) => ((long)wait.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
}
