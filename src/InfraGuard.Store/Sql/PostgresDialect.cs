using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Npgsql;

namespace InfraGuard.Store.Sql;

/// <summary>PostgreSQL via Npgsql: writes serialise on a transaction-scoped advisory lock.</summary>
internal sealed partial class PostgresDialect : ISqlDialect
{
    // Arbitrary constant: "IG" audit append lock.
    private const long AppendLockKey = 0x4947_4155_4449_5431;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string? _appRole;
    private readonly string _describe;

    public PostgresDialect(string connectionString, string? appRole)
    {
        if (appRole is not null && !RoleName().IsMatch(appRole))
        {
            throw new ArgumentException($"PostgreSQL role name '{appRole}' must match [a-z_][a-z0-9_]*.", nameof(appRole));
        }

        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        _describe = $"postgres {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}" + (builder.SearchPath is { } sp ? $" (schema {sp})" : string.Empty);
        _dataSource = NpgsqlDataSource.Create(builder);
        _appRole = appRole;
    }

    public string Name => "postgres";

    public string Describe => _describe;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (Unavailable(e) is { } unavailable)
        {
            throw unavailable;
        }
    }

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AppendLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (Unavailable(e) is { } unavailable)
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw unavailable;
        }

        return transaction;
    }

    public async Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_appRole is null)
        {
            return;
        }

        // The application role may read and append audit rows, never change or remove them.
        var sql = $"""
            DO $$ BEGIN EXECUTE format('GRANT USAGE ON SCHEMA %I TO {_appRole}', current_schema()); END $$;
            GRANT SELECT, INSERT ON audit_entry, audit_checkpoint, audit_key TO {_appRole};
            REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry, audit_checkpoint, audit_key FROM {_appRole};
            GRANT SELECT, INSERT, UPDATE ON change_request TO {_appRole};
            GRANT SELECT, INSERT ON plan_artifact, request_decision, apply_outcome, schema_version TO {_appRole};
            GRANT SELECT, INSERT, UPDATE ON api_token TO {_appRole};
            GRANT SELECT, INSERT, UPDATE, DELETE ON seen_key TO {_appRole};
            GRANT SELECT, INSERT, UPDATE ON channel_message, delegation, break_glass TO {_appRole};
            GRANT SELECT, INSERT ON follow_up, break_glass_review TO {_appRole};
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>The NOTIFY channel request changes go out on; the payload is <c>schema id</c> (channels are database-wide).</summary>
    public const string ChangesChannel = "infraguard_changes";

    public Task AnnounceAsync(DbConnection connection, DbTransaction transaction, string subject, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_notify(@channel, current_schema() || ' ' || @subject)", new { channel = ChangesChannel, subject }, transaction, cancellationToken: cancellationToken));

    public bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public StoreUnavailableException? Unavailable(Exception exception) => exception switch
    {
        // Connection exceptions (class 08), the server shutting down or starting (57P01-57P03), too many connections.
        PostgresException e when e.SqlState.StartsWith("08", StringComparison.Ordinal) || e.SqlState is "57P01" or "57P02" or "57P03" or "53300" => new(
            _describe,
            $"the server refused or dropped the connection ({e.SqlState}: {e.MessageText})",
            "Nothing was changed. Retry in a moment; if it persists, check the server's state and its connection limit.",
            e),
        PostgresException => null,
        NpgsqlException { InnerException: TimeoutException } e => new(
            _describe,
            "the server did not answer in time (a busy server, or another transaction holding InfraGuard's write lock)",
            "Nothing was changed. Retry; if it persists, check the server's load and long-running transactions (pg_stat_activity).",
            e),
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException } e => new(
            _describe,
            $"cannot reach the server ({e.InnerException!.Message})",
            "Nothing was changed. Check that the PostgreSQL server is running and reachable from here (host, port, firewall, sslmode), then retry.",
            e),
        _ => null,
    };

    public void Dispose() => _dataSource.Dispose();

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex RoleName();
}
