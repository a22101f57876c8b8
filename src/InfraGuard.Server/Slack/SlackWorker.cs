using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Web;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Runs <see cref="SlackJobs"/> one at a time, so replies keep their order and never hold up an ack. Keeping request
/// messages current is not its job: <see cref="ChannelWorkers"/> does that for every channel.
/// </summary>
internal sealed class SlackWorker(SlackJobs jobs, IServiceProvider services, ILogger<SlackWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var job in jobs.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunAsync(job, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // One failed post must not stop the worker (or the host): log it and carry on.
                    SlackLog.JobFailed(logger, job.GetType().Name, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private Task RunAsync(SlackJob job, CancellationToken ct) => job switch
    {
        EphemeralJob e => services.GetRequiredService<SlackApprovalChannel>().TellAsync(e.Where, e.User, e.Text, ct),
        ReplyJob r => services.GetRequiredService<SlackWebApi>().PostMessageAsync(r.Channel, r.Message, r.ThreadTs, ct),
        _ => Task.CompletedTask,
    };
}
