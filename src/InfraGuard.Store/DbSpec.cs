using Microsoft.Data.Sqlite;
using Npgsql;

namespace InfraGuard.Store;

/// <summary>
/// Parses a database spec: <c>postgres://user:pass@host:port/db[?schema=S&amp;sslmode=M]</c> (or <c>postgresql://</c>),
/// an Npgsql connection string (<c>Host=…;Database=…</c>), <c>sqlite:PATH</c>, a SQLite connection string
/// (<c>Data Source=…</c>), or a plain file path (SQLite).
/// </summary>
public static class DbSpec
{
    /// <summary>True when the spec names a PostgreSQL server.</summary>
    public static bool IsPostgres(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || spec.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || spec.Contains("Host=", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The Npgsql connection string for a PostgreSQL spec.</summary>
    /// <exception cref="ArgumentException">The URL is malformed; the message shows the expected form.</exception>
    public static string ToNpgsql(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!spec.Contains("://", StringComparison.Ordinal))
        {
            return new NpgsqlConnectionStringBuilder(spec).ToString();
        }

        if (!Uri.TryCreate(spec, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException("Database URL must look like postgres://user:pass@host:5432/dbname.", nameof(spec));
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : string.Empty;
            switch (kv[0].ToLowerInvariant())
            {
                case "schema" or "search_path":
                    builder.SearchPath = value;
                    break;
                case "sslmode":
                    builder.SslMode = Enum.Parse<SslMode>(value, ignoreCase: true);
                    break;
                case "max_pool_size":
                    // Several replicas share the server's max_connections (docs/deploy.md).
                    builder.MaxPoolSize = int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) && size > 0
                        ? size
                        : throw new ArgumentException($"Database URL option max_pool_size must be a positive whole number, not '{value}'.", nameof(spec));
                    break;
                default:
                    throw new ArgumentException($"Database URL option '{kv[0]}' is not supported (use schema, sslmode or max_pool_size).", nameof(spec));
            }
        }

        return builder.ToString();
    }

    /// <summary>The Microsoft.Data.Sqlite connection string for a SQLite spec.</summary>
    public static string ToSqlite(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            spec = spec["sqlite:".Length..];
        }

        return spec.Contains("Data Source=", StringComparison.OrdinalIgnoreCase)
            ? spec
            : new SqliteConnectionStringBuilder { DataSource = spec }.ToString();
    }
}
