using System.Threading.Channels;

namespace InfraGuard.Server.Slack;

/// <summary>Work for the Slack worker: anything slower than Slack's 3-second acknowledgement.</summary>
internal abstract record SlackJob;

/// <summary>Tell one user something only they see, in <paramref name="Where"/> (a channel, and the thread when its message id is set).</summary>
internal sealed record EphemeralJob(InfraGuard.Core.Approvals.ChannelAddress Where, string User, string Text) : SlackJob;

/// <summary>Post a reply in a thread (or the channel when <paramref name="ThreadTs"/> is null).</summary>
internal sealed record ReplyJob(string Channel, string? ThreadTs, InfraGuard.Slack.Messages.SlackMessage Message) : SlackJob;

/// <summary>The queue between the handlers (which must ack fast) and <see cref="SlackWorker"/>.</summary>
internal sealed class SlackJobs
{
    private readonly Channel<SlackJob> _channel = Channel.CreateUnbounded<SlackJob>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<SlackJob> Reader => _channel.Reader;

    public void Enqueue(SlackJob job) => _channel.Writer.TryWrite(job);
}
