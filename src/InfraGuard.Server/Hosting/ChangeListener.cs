using InfraGuard.Store;

namespace InfraGuard.Server.Hosting;

/// <summary>
/// On PostgreSQL, hears the changes every server on the database commits (LISTEN/NOTIFY, sent in the writing
/// transaction, see <see cref="ChangeStore.ListenForChangesAsync"/>) and announces them to <see cref="RequestChanges"/>
/// at once, so a runner long-polling this server wakes when another server records the decision. A lost connection is
/// re-opened after a pause; meanwhile <see cref="ChangeFeed"/> (the audit-log tail) still brings every change, only
/// later. Does nothing on SQLite (one server).
/// </summary>
internal sealed partial class ChangeListener(ChangeStore store, RequestChanges changes, TimeProvider time, ILogger<ChangeListener> logger) : BackgroundService
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!store.IsShared)
        {
            return;
        }

        var lost = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ListenForChangesAsync(changes.Changed, () =>
                {
                    if (lost)
                    {
                        Listening(logger);
                        lost = false;
                    }
                }, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                lost = true;
                ListenFailed(logger, e.Message);
                try
                {
                    await Task.Delay(Reconnect, time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(94, LogLevel.Warning, "Lost the change notifications from PostgreSQL (re-listening; the audit-log feed covers the gap): {Error}")]
    private static partial void ListenFailed(ILogger logger, string error);

    [LoggerMessage(95, LogLevel.Information, "Listening to PostgreSQL change notifications again")]
    private static partial void Listening(ILogger logger);
}
