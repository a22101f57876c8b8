using System.Data.Common;
using System.Globalization;
using Dapper;

namespace InfraGuard.Store.Sql;

/// <summary>
/// Versioned, forward-only migrations: embedded <c>Migrations/&lt;dialect&gt;/NNNN_name.sql</c>, applied in order on
/// open, each in its own transaction, recorded in <c>schema_version</c>.
/// </summary>
internal static class Migrator
{
    public static IReadOnlyList<(int Version, string Name, string Sql)> Load(string dialect)
    {
        var assembly = typeof(Migrator).Assembly;
        var prefix = $"InfraGuard.Store.Migrations.{dialect}.";
        var migrations = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var name = resource[prefix.Length..^".sql".Length];
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add((version, name, reader.ReadToEnd()));
        }

        return migrations;
    }

    public static async Task<int> MigrateAsync(ISqlDialect dialect, DbConnection connection, string appliedAt, CancellationToken cancellationToken)
    {
        var probe = dialect.Name == "sqlite"
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            : "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = current_schema()";
        var existing = await connection.QueryFirstOrDefaultAsync<int?>(probe).ConfigureAwait(false);
        if (existing is null)
        {
            // IF NOT EXISTS: several servers starting at once on an empty database.
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)").ConfigureAwait(false);
        }

        var current = await connection.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM schema_version").ConfigureAwait(false) ?? 0;
        var applied = 0;
        foreach (var (version, name, sql) in Load(dialect.Name).Where(m => m.Version > current))
        {
            await using var transaction = await dialect.BeginWriteAsync(connection, cancellationToken).ConfigureAwait(false);
            var now = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
            if (now >= version)
            {
                continue; // Another server starting at the same time applied it while this one waited for the lock.
            }

            await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@version, @name, @appliedAt)",
                new { version, name, appliedAt },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied++;
        }

        if (applied > 0)
        {
            await dialect.AfterMigrateAsync(connection, cancellationToken).ConfigureAwait(false);
        }

        return applied;
    }
}
