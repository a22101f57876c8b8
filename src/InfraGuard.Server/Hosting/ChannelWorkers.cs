using System.Threading.Channels;
using InfraGuard.Core.Approvals;
using InfraGuard.Store;

namespace InfraGuard.Server.Hosting;

/// <summary>A chat channel the server can run; <see cref="Create"/> returns null when it is not enabled.</summary>
public sealed record ChatChannelRegistration(Func<IServiceProvider, IApprovalChannel?> Create);

/// <summary>
/// Keeps every enabled chat channel's messages current, one worker per channel (a slow Slack never holds up Teams):
/// each request that <see cref="RequestChanges"/> announces is brought up to date through <see cref="ChannelSync"/>, in
/// order, one at a time. The store is the outbox: on start and every minute a worker also asks it which requests its
/// channel is behind on (<see cref="IChannelPosts.ListBehindAsync"/>), so a failed post, a server that was down or a
/// channel that was off catches up and no message stays stale.
/// </summary>
/// <remarks>
/// A singleton job (<see cref="SingletonJobs"/>): with several servers on one database only the leader posts, so each
/// request gets one message per channel and the per-channel rate limit (one in-process limiter) holds across servers;
/// the leader hears changes made on the others through <see cref="ChangeListener"/>. A new leader starts with a catch-up.
/// </remarks>
internal sealed partial class ChannelWorkers(
    IEnumerable<ChatChannelRegistration> registrations, IServiceProvider services, ChangeStore store, RequestChanges changes, TimeProvider time, ILogger<ChannelWorkers> logger)
    : ISingletonJob
{
    private static readonly TimeSpan CatchUpEvery = TimeSpan.FromMinutes(1);

    public string Name => "chat channels";

    public Task RunAsync(CancellationToken stoppingToken)
    {
        var sync = new ChannelSync(store, store);
        var channels = registrations.Select(r => r.Create(services)).OfType<IApprovalChannel>().ToList();
        return Task.WhenAll(channels.Select(c => RunAsync(c, sync, stoppingToken)));
    }

    private async Task RunAsync(IApprovalChannel channel, ChannelSync sync, CancellationToken ct)
    {
        var queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        using var listening = changes.Listen(queue.Writer);
        var nextCatchUp = DateTimeOffset.MinValue;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var due = new List<string>();
                if (time.GetUtcNow() >= nextCatchUp)
                {
                    nextCatchUp = time.GetUtcNow() + CatchUpEvery;
                    due.AddRange(await BehindAsync(channel, ct).ConfigureAwait(false));
                }

                if (due.Count == 0)
                {
                    // Wait for a change, or until the next catch-up.
                    await Task.WhenAny(queue.Reader.WaitToReadAsync(ct).AsTask(), Task.Delay(Max(nextCatchUp - time.GetUtcNow(), TimeSpan.Zero), time, ct)).ConfigureAwait(false);
                    ct.ThrowIfCancellationRequested();
                }

                while (queue.Reader.TryRead(out var more))
                {
                    due.Add(more);
                }

                foreach (var id in due.Distinct(StringComparer.Ordinal))
                {
                    await SyncOneAsync(channel, sync, id, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down; whatever was not synced is found again on the next start.
        }
    }

    private async Task<IReadOnlyList<string>> BehindAsync(IApprovalChannel channel, CancellationToken ct)
    {
        try
        {
            var behind = await store.ListBehindAsync(channel.Name, cancellationToken: ct).ConfigureAwait(false);
            if (behind.Count > 0)
            {
                CatchingUp(logger, channel.Name, behind.Count);
            }

            return behind;
        }
        catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException)
        {
            SyncFailed(logger, channel.Name, "(catch-up)", e.Message);
            return [];
        }
    }

    private async Task SyncOneAsync(IApprovalChannel channel, ChannelSync sync, string id, CancellationToken ct)
    {
        try
        {
            await sync.SyncAsync(channel, id, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // One failed post must not stop the worker (or the host): the catch-up retries it.
            SyncFailed(logger, channel.Name, id, e.Message);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(51, LogLevel.Information, "{Channel} is behind the store on {Count} request(s); catching up")]
    private static partial void CatchingUp(ILogger logger, string channel, int count);

    [LoggerMessage(52, LogLevel.Warning, "{Channel}: could not bring request {RequestId} up to date (retried within a minute): {Error}")]
    private static partial void SyncFailed(ILogger logger, string channel, string requestId, string error);
}
