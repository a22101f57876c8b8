using System.Data.Common;
using System.Globalization;
using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Store.Sql;

namespace InfraGuard.Store;

/// <summary>Options for <see cref="ChangeStore.Open"/>.</summary>
/// <param name="Origin">Log name in checkpoints, e.g. <c>acme.example/infraguard/prod</c>.</param>
/// <param name="AppRole">PostgreSQL only: the application role to grant SELECT/INSERT (no UPDATE/DELETE/TRUNCATE) on audit tables after migrating.</param>
public sealed record ChangeStoreOptions(string Origin = "infraguard", string? AppRole = null)
{
    /// <summary>An append writes a signed checkpoint when this many entries follow the newest checkpoint.</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>An append writes a signed checkpoint when the newest checkpoint (before the first: the first entry) is this old.</summary>
    public TimeSpan CheckpointAfter { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>SQLite only: how long an operation waits for a lock another process holds before the store is unavailable.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Told when a write has to wait for another process's lock (after a second): what waits and for how long at most.</summary>
    public Action<string>? Waiting { get; init; }
}

/// <summary>
/// The durable store: change requests and the audit log in SQLite (default) or PostgreSQL, same schema and
/// behaviour. Every state change and its audit entry (and checkpoint) commit in one transaction that holds the write
/// lock from the start; if the append fails, the operation fails.
/// </summary>
/// <remarks>
/// Checkpoints: after every decision, apply outcome and key rotation, and otherwise at an append once
/// <see cref="ChangeStoreOptions.CheckpointEvery"/> entries follow the newest checkpoint or it is older than
/// <see cref="ChangeStoreOptions.CheckpointAfter"/>. Entries after the newest checkpoint are vouched for by none:
/// <c>audit verify</c> reports how many there are and how old that checkpoint is.
/// </remarks>
public sealed partial class ChangeStore : IChangeStore, IAuditLog, IDisposable
{
    private readonly ISqlDialect _dialect;
    private readonly TimeProvider _time;
    private readonly ChangeStoreOptions _options;
    private volatile IAuditSigner _signer;

    static ChangeStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private ChangeStore(ISqlDialect dialect, TimeProvider time, IAuditSigner signer, ChangeStoreOptions options)
    {
        _dialect = dialect;
        _time = time;
        _signer = signer;
        _options = options;
    }

    /// <summary>What the store is connected to, without secrets.</summary>
    public string Description => _dialect.Describe;

    /// <summary>The current signing key id.</summary>
    public string KeyId => _signer.KeyId;

    internal ISqlDialect Dialect => _dialect;

    /// <summary>
    /// Opens (creating and migrating when needed) the store named by <paramref name="dbSpec"/>: a
    /// <c>postgres://</c> URL or Npgsql connection string for PostgreSQL, otherwise a SQLite path.
    /// Records the signer's public key in <c>audit_key</c>.
    /// </summary>
    public static ChangeStore Open(string dbSpec, TimeProvider time, IAuditSigner signer, ChangeStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dbSpec);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(signer);
        options ??= new ChangeStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CheckpointEvery, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.CheckpointAfter, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.LockWait, TimeSpan.Zero, nameof(options));
        ISqlDialect dialect = DbSpec.IsPostgres(dbSpec)
            ? new PostgresDialect(DbSpec.ToNpgsql(dbSpec), options.AppRole)
            : new SqliteDialect(DbSpec.ToSqlite(dbSpec), options.LockWait, options.Waiting);
        var store = new ChangeStore(dialect, time, signer, options);
        try
        {
            store.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            dialect.Dispose();
            if (dialect.Unavailable(e) is { } unavailable)
            {
                throw unavailable;
            }

            throw;
        }

        return store;
    }

    /// <inheritdoc />
    public void Dispose() => _dialect.Dispose();

    // ----- internals -------------------------------------------------------------------------------------------

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await Migrator.MigrateAsync(_dialect, c, Format(Now()), cancellationToken).ConfigureAwait(false);
        var known = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM audit_key WHERE key_id = @id", new { id = _signer.KeyId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (known == 0)
        {
            await using var tx = await _dialect.BeginWriteAsync(c, cancellationToken).ConfigureAwait(false);
            await RecordKeyAsync(c, tx, _signer, cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken, Action? onFailure = null)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await _dialect.BeginWriteAsync(c, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await work(c, tx).ConfigureAwait(false);
            if (result is RequestOutcome { Succeeded: false })
            {
                // Expected refusals write nothing.
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }

            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (Exception e)
        {
            onFailure?.Invoke();
            if (_dialect.Unavailable(e) is { } unavailable)
            {
                throw unavailable;
            }

            throw;
        }
    }

    // checkpointFollows: the caller checkpoints the head itself before committing (decisions, applies, rotations).

    // Bounds the tail no checkpoint vouches for: at most CheckpointEvery entries, or the entries of CheckpointAfter.
    // Before the first checkpoint, the log's first entry stands in for it.

    private DateTimeOffset Now()
    {
        // Stored and audited at millisecond precision; truncate so the model round-trips exactly.
        var now = _time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static string Format(DateTimeOffset at) => CanonicalJson.FormatTimestamp(at);

    private static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, CanonicalJson.TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
