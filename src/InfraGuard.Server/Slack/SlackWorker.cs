using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Web;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>
/// Runs <see cref="SlackJobs"/> one at a time, so posts to Slack keep their order and never hold up an ack. On start it
/// first catches up on every request whose Slack message is behind the store (created while Slack was off, or jobs
/// still queued when the server last stopped), so nothing waits unannounced.
/// </summary>
internal sealed class SlackWorker(SlackJobs jobs, ChangeStore store, IOptions<SlackOptions> options, IServiceProvider services, ILogger<SlackWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (options.Value.Enabled)
            {
                var behind = await store.ListSlackBacklogAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                if (behind.Count > 0)
                {
                    SlackLog.CatchingUp(logger, behind.Count);
                }

                foreach (var id in behind)
                {
                    jobs.Enqueue(new SyncJob(id));
                }
            }

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
        SyncJob s => services.GetRequiredService<SlackRequestPublisher>().SyncAsync(s.RequestId, s.Force, ct),
        EphemeralJob e => services.GetRequiredService<SlackWebApi>().PostEphemeralAsync(e.Channel, e.User, ApprovalMessages.Notice(e.Text), e.ThreadTs, ct),
        ReplyJob r => services.GetRequiredService<SlackWebApi>().PostMessageAsync(r.Channel, r.Message, r.ThreadTs, ct),
        _ => Task.CompletedTask,
    };
}
