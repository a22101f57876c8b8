using System.Data.Common;

namespace InfraGuard.Store.Sql;

/// <summary>The few differences between SQLite and PostgreSQL, in one place.</summary>
internal interface ISqlDialect : IDisposable
{
    /// <summary><c>sqlite</c> or <c>postgres</c>: the migrations folder and the name shown to users.</summary>
    string Name { get; }

    /// <summary>What the store is connected to, without secrets (for messages).</summary>
    string Describe { get; }

    /// <summary>An open connection with the per-connection settings applied; <see cref="StoreUnavailableException"/> when the store cannot be reached.</summary>
    Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that holds the write lock before anything is read (SQLite BEGIN IMMEDIATE,
    /// PostgreSQL transaction-scoped advisory lock), so the audit head read is the head written after;
    /// <see cref="StoreUnavailableException"/> when the lock is not had in time.</summary>
    Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Statements run once after migrations (grants for the application role).</summary>
    Task AfterMigrateAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>
    /// Tells every other server on the database that <paramref name="subject"/> changed, when the transaction commits
    /// (PostgreSQL NOTIFY); nothing on SQLite, whose single server hears its own changes and reads the audit log for the rest.
    /// </summary>
    Task AnnounceAsync(DbConnection connection, DbTransaction transaction, string subject, CancellationToken cancellationToken);

    /// <summary>True when the exception is a unique-constraint violation.</summary>
    bool IsUniqueViolation(Exception exception);

    /// <summary>The exception as an operational outage (a lock held too long, a server out of reach), or null when it is not one.</summary>
    StoreUnavailableException? Unavailable(Exception exception);
}
