using InfraGuard.Core.Audit;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// Tails the audit log and announces every request it mentions to <see cref="RequestChanges"/>: every change to a
/// request is audited, wherever it was made (this server, the CLI in another process, another server on the same
/// database), so this is how long-polls wake and chat messages follow changes made elsewhere. Reads only entries after
/// the last one seen, every <see cref="ServerOptions.FeedMilliseconds"/>.
/// </summary>
internal sealed partial class ChangeFeed(ChangeStore store, RequestChanges changes, IOptions<ServerOptions> options, TimeProvider time, ILogger<ChangeFeed> logger) : BackgroundService
{
    private const int Page = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(options.Value.FeedMilliseconds);
        long? seen = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                seen ??= (await store.GetHeadAsync(stoppingToken).ConfigureAwait(false)).Size;
                seen = await ReadAfterAsync(seen.Value, stoppingToken).ConfigureAwait(false);
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException)
            {
                FeedFailed(logger, e.Message);
                await Task.Delay(interval * 10, time, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Announces the requests of every entry after <paramref name="seq"/>; returns the last seq read.</summary>
    private async Task<long> ReadAfterAsync(long seq, CancellationToken ct)
    {
        while (true)
        {
            var entries = await store.ListEntriesAsync(new AuditQuery(FromSeq: seq + 1, Limit: Page), ct).ConfigureAwait(false);
            foreach (var id in entries.Select(e => e.Subject).OfType<string>().Distinct(StringComparer.Ordinal))
            {
                changes.Changed(id);
            }

            if (entries.Count == 0)
            {
                return seq;
            }

            seq = entries[^1].Seq;
            if (entries.Count < Page)
            {
                return seq;
            }
        }
    }

    [LoggerMessage(50, LogLevel.Warning, "Could not read the audit log for changes (will retry): {Error}")]
    private static partial void FeedFailed(ILogger logger, string error);
}
