using InfraGuard.Store;

namespace InfraGuard.Server.Hosting;

/// <summary>A singleton job: forgets expired seen keys (Slack replay guard, event de-duplication) every ten minutes.</summary>
internal sealed partial class SeenKeySweep(ChangeStore store, TimeProvider time, ILogger<SeenKeySweep> logger) : ISingletonJob
{
    private static readonly TimeSpan Every = TimeSpan.FromMinutes(10);

    public string Name => "seen-key sweep";

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ForgetExpiredAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StoreUnavailableException or System.Data.Common.DbException)
            {
                SweepFailed(logger, e.Message);
            }

            await Task.Delay(Every, time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(96, LogLevel.Warning, "Could not forget expired seen keys (will retry): {Error}")]
    private static partial void SweepFailed(ILogger logger, string error);
}
