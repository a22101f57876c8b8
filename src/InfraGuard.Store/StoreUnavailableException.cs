namespace InfraGuard.Store;

/// <summary>
/// The store cannot be used right now: its SQLite file stayed locked by another process, or its PostgreSQL server
/// cannot be reached. An operational condition, not a bug; nothing was changed, and the same command can be retried.
/// The message says which store, what happened and what to do.
/// </summary>
public sealed class StoreUnavailableException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="store">The store, without secrets, e.g. <c>sqlite /srv/infraguard.db</c>.</param>
    /// <param name="problem">What happened.</param>
    /// <param name="advice">What to do next.</param>
    /// <param name="inner">The driver's exception.</param>
    public StoreUnavailableException(string store, string problem, string advice, Exception inner)
        : base($"the store ({store}) is unavailable: {problem}. {advice}", inner)
    {
        Store = store;
        Problem = problem;
        Advice = advice;
    }

    /// <summary>The store, without secrets.</summary>
    public string Store { get; }

    /// <summary>What happened.</summary>
    public string Problem { get; }

    /// <summary>What to do next.</summary>
    public string Advice { get; }
}
