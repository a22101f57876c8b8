using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Hosting;

/// <summary>Whether this server is, right now, the one server on the database that runs the singleton jobs.</summary>
public interface ILeadership
{
    /// <summary>True while this process holds the leadership (always, on SQLite: one server).</summary>
    bool IsLeader { get; }
}

/// <summary>
/// Work that exactly one server on the database may do at a time (catch-up posting to chat, periodic sweeps). Runs
/// from when this server becomes leader until the stopping token fires (leadership lost, or shutdown);
/// it may run again later, on this server or another, so it must pick up where the store says, never from memory.
/// Register with <see cref="SingletonJobsSetup.AddSingletonJob{TJob}"/>.
/// </summary>
public interface ISingletonJob
{
    /// <summary>A short name for logs.</summary>
    string Name { get; }

    /// <summary>Does the job until <paramref name="stoppingToken"/> fires.</summary>
    Task RunAsync(CancellationToken stoppingToken);
}

/// <summary>Registration of singleton jobs: one line per job.</summary>
public static class SingletonJobsSetup
{
    /// <summary>Runs <typeparamref name="TJob"/> on the leader only (see <see cref="SingletonJobs"/>).</summary>
    public static IServiceCollection AddSingletonJob<TJob>(this IServiceCollection services)
        where TJob : class, ISingletonJob
    {
        services.AddSingleton<ISingletonJob, TJob>();
        return services;
    }
}

/// <summary>
/// Leader election on the store (<see cref="ChangeStore.TryLeadAsync"/>: a PostgreSQL session advisory lock held on a
/// connection of its own) and the runner of every <see cref="ISingletonJob"/> while this server leads. Every
/// <see cref="ServerOptions.LeaderCheckMilliseconds"/> a follower tries to take the lock, and the leader checks that its
/// lock connection still answers; a leader that dies (SIGKILL, lost network) loses the lock with its connection, and a
/// follower takes over within one check. A leader whose connection fails stops its jobs before anyone else can start
/// them only if it notices within the same check, so jobs must be idempotent against the store (they are: catch-up
/// reads what each channel is behind on).
/// </summary>
internal sealed partial class SingletonJobs(
    ChangeStore store, IEnumerable<ISingletonJob> jobs, IOptions<ServerOptions> options, TimeProvider time, ILogger<SingletonJobs> logger)
    : BackgroundService, ILeadership
{
    /// <summary>The advisory lock's name (one lock for every singleton job: they share one leader).</summary>
    public const string LockName = "singleton-jobs";

    private readonly ISingletonJob[] _jobs = [.. jobs];
    private volatile bool _leader;
    private LeaderLease? _lease;
    private CancellationTokenSource? _running;
    private Task _work = Task.CompletedTask;

    public bool IsLeader => _leader;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.LeaderCheckMilliseconds);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (_lease is null)
                    {
                        await TryLeadAsync(stoppingToken).ConfigureAwait(false);
                    }
                    else if (!await StillLeadingAsync(interval, stoppingToken).ConfigureAwait(false))
                    {
                        LeadershipLost(logger);
                        await StepDownAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException)
                {
                    ElectionFailed(logger, e.Message);
                }

                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            await StepDownAsync().ConfigureAwait(false);
        }
    }

    private async Task TryLeadAsync(CancellationToken stoppingToken)
    {
        _lease = await store.TryLeadAsync(LockName, stoppingToken).ConfigureAwait(false);
        if (_lease is null)
        {
            return;
        }

        _leader = true;
        Leading(logger, _jobs.Length, string.Join(", ", _jobs.Select(j => j.Name)));
        _running = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var token = _running.Token;
        _work = Task.WhenAll(_jobs.Select(j => Task.Run(() => RunJobAsync(j, token), CancellationToken.None)));
    }

    private async Task<bool> StillLeadingAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        using var check = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        check.CancelAfter(interval * 2);
        try
        {
            return await _lease!.IsHeldAsync(check.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return false; // The lock connection hangs: assume it is lost rather than lead blind.
        }
    }

    private async Task RunJobAsync(ISingletonJob job, CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await job.RunAsync(token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A failing job must not end the leadership (or the host): log and run it again shortly.
                JobFailed(logger, job.Name, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task StepDownAsync()
    {
        _leader = false;
        if (_running is { } running)
        {
            await running.CancelAsync().ConfigureAwait(false);
            await _work.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            running.Dispose();
            _running = null;
        }

        if (_lease is { } lease)
        {
            _lease = null;
            await lease.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(90, LogLevel.Information, "This server leads: running {Count} singleton job(s) ({Jobs})")]
    private static partial void Leading(ILogger logger, int count, string jobs);

    [LoggerMessage(91, LogLevel.Warning, "This server lost its leadership (the lock connection failed); singleton jobs stopped")]
    private static partial void LeadershipLost(ILogger logger);

    [LoggerMessage(92, LogLevel.Warning, "Could not take part in the leader election (will retry): {Error}")]
    private static partial void ElectionFailed(ILogger logger, string error);

    [LoggerMessage(93, LogLevel.Error, "Singleton job {Job} failed (restarting in 5 s): {Error}")]
    private static partial void JobFailed(ILogger logger, string job, string error);
}
