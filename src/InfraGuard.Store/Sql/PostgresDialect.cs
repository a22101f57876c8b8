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

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    public async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AppendLockKey }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
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
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    public void Dispose() => _dataSource.Dispose();

    [GeneratedRegex("^[a-z_][a-z0-9_]*$")]
    private static partial Regex RoleName();
}
