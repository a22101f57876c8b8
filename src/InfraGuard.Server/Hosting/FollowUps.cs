using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// The approval flow over time, one pass at a time (<see cref="SweepAsync"/>): reminders and escalations of pending
/// requests, the break-glass announcement, and overdue break-glass reviews. Each follow-up is first recorded once in the
/// store (unique per request, kind and level, with its audit entry) and only then posted on every chat channel, so two
/// replicas sweeping at the same moment post once. The posting is at most once: a channel that fails then is not retried.
/// </summary>
public sealed partial class FollowUpSweep(
    ChangeStore store, PolicyPack pack, IEnumerable<ChatChannelRegistration> registrations, IServiceProvider services, IRequestSignal signal, TimeProvider time, ILogger<FollowUpSweep> logger) : IDisposable
{
    private readonly SemaphoreSlim _poked = new(0, 1);
    private IReadOnlyList<IApprovalChannel>? _channels;

    /// <inheritdoc/>
    public void Dispose() => _poked.Dispose();

    /// <summary>Asks the background loop to sweep now (a break-glass was just used) instead of at its next interval.</summary>
    public void Poke()
    {
        if (_poked.CurrentCount == 0)
        {
            try
            {
                _poked.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already poked.
            }
        }
    }

    /// <summary>Waits for <paramref name="interval"/> or a <see cref="Poke"/>, whichever comes first.</summary>
    internal Task WaitAsync(TimeSpan interval, CancellationToken cancellationToken) =>
        Task.WhenAny(_poked.WaitAsync(cancellationToken), Task.Delay(interval, time, cancellationToken));

    /// <summary>One pass: records and posts every follow-up that is due now. Returns how many this pass recorded.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var recorded = 0;
        foreach (var request in await store.ListAsync(new RequestQuery(State: RequestState.Pending, Limit: 10_000), cancellationToken).ConfigureAwait(false))
        {
            foreach (var due in FollowUpPlanner.Due(request, pack.FindTier(request.Tier), now))
            {
                if (await store.ClaimFollowUpAsync(due, FollowUpPlanner.AuditEvent(due, request, now), cancellationToken).ConfigureAwait(false))
                {
                    recorded++;
                    FollowUpRecorded(logger, due.KindName, due.Level, request.Id);
                    await PostAsync(request.Id, FollowUpPlanner.Text(due, request), cancellationToken).ConfigureAwait(false);
                    signal.Changed(request.Id); // escalation widens who may decide: pages and long-polls refresh
                }
            }
        }

        foreach (var open in await store.ListOpenReviewsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (await store.GetAsync(open.Use.RequestId, cancellationToken).ConfigureAwait(false) is not { } request)
            {
                continue;
            }

            var alarm = FollowUpPlanner.Alarm(open.Use);
            if (await store.ClaimFollowUpAsync(alarm, null, cancellationToken).ConfigureAwait(false))
            {
                recorded++;
                FollowUpRecorded(logger, alarm.KindName, alarm.Level, request.Id);
                await PostAsync(request.Id, FollowUpPlanner.AlarmText(open.Use, request), cancellationToken).ConfigureAwait(false);
            }

            if (FollowUpPlanner.Overdue(open.Use, open.Reviews, now, pack.FindTier(open.Use.Tier)?.EscalateTo ?? []) is { } overdue
                && await store.ClaimFollowUpAsync(overdue, FollowUpPlanner.AuditEvent(overdue, request, now), cancellationToken).ConfigureAwait(false))
            {
                recorded++;
                FollowUpRecorded(logger, overdue.KindName, overdue.Level, request.Id);
                await PostAsync(request.Id, FollowUpPlanner.Text(overdue, request), cancellationToken).ConfigureAwait(false);
            }
        }

        return recorded;
    }

    /// <summary>Posts <paramref name="text"/> on every enabled channel: in the request's thread when it has one there.</summary>
    private async Task PostAsync(string requestId, string text, CancellationToken cancellationToken)
    {
        if (await ChannelSync.SnapshotAsync(store, requestId, cancellationToken).ConfigureAwait(false) is not { } snapshot)
        {
            return;
        }

        _channels ??= [.. registrations.Select(r => r.Create(services)).OfType<IApprovalChannel>()];
        foreach (var channel in _channels)
        {
            try
            {
                var post = await store.GetPostAsync(channel.Name, requestId, cancellationToken).ConfigureAwait(false);
                await channel.NoticeAsync(post?.Address, snapshot, text, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                PostFailed(logger, channel.Name, requestId, e.Message);
            }
        }
    }

    [LoggerMessage(181, LogLevel.Information, "Follow-up {Kind} #{Level} of {RequestId} recorded; posting it on every channel")]
    private static partial void FollowUpRecorded(ILogger logger, string kind, int level, string requestId);

    [LoggerMessage(182, LogLevel.Warning, "{Channel}: could not post the follow-up of {RequestId} (it is recorded and audited; not retried): {Error}")]
    private static partial void PostFailed(ILogger logger, string channel, string requestId, string error);
}

/// <summary>How often the follow-up sweep runs (<c>Server:FollowUpSeconds</c>).</summary>
public sealed class FollowUpOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Server";

    /// <summary>Seconds between sweeps.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600, ErrorMessage = "Server:FollowUpSeconds must be between 1 and 3600.")]
    public int FollowUpSeconds { get; set; } = 30;
}

/// <summary>
/// Runs <see cref="FollowUpSweep.SweepAsync"/> every <see cref="FollowUpOptions.FollowUpSeconds"/> (and at once when
/// poked), on the leader replica only (<see cref="SingletonJobs"/>). Should two replicas ever sweep at once, the store's
/// insert-once follow-ups still post each reminder once.
/// </summary>
internal sealed partial class FollowUpService(FollowUpSweep sweep, IOptions<FollowUpOptions> options, ILogger<FollowUpService> logger) : ISingletonJob
{
    public string Name => "follow-ups";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(options.Value.FollowUpSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sweep.SweepAsync(stoppingToken).ConfigureAwait(false);
                await sweep.WaitAsync(interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                SweepFailed(logger, e.Message);
                await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    [LoggerMessage(183, LogLevel.Warning, "The follow-up sweep failed (retried next interval): {Error}")]
    private static partial void SweepFailed(ILogger logger, string error);
}
