using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace InfraGuard.Store.Sql;

/// <summary>SQLite: WAL, busy timeout, foreign keys on, BEGIN IMMEDIATE for writes.</summary>
internal sealed class SqliteDialect : ISqlDialect
{
    private readonly string _connectionString;
    private readonly string _path;

    public SqliteDialect(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            ForeignKeys = true,
            DefaultTimeout = 30,
            Pooling = true,
        };
        _path = builder.DataSource;
        _connectionString = builder.ToString();
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // WAL persists in the file: readers don't block the writer, and a killed process loses nothing committed.
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    public string Name => "sqlite";

    public string Describe => "sqlite " + _path;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        // synchronous=FULL: every acknowledged request, decision and apply outcome is on disk before the commit
        // returns, so it survives an OS crash or power loss too, not only a killed process (NORMAL would not).
        command.CommandText = "PRAGMA busy_timeout=30000; PRAGMA synchronous=FULL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE unless deferred: the write lock is taken up front.
        Task.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    public Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    public bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19 } e && e.Message.Contains("UNIQUE", StringComparison.Ordinal);

    public void Dispose()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
