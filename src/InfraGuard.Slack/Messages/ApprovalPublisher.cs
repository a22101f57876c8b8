using InfraGuard.Slack.Web;

namespace InfraGuard.Slack.Messages;

/// <summary>Posts an <see cref="ApprovalPost"/>: the parent, then its replies and the diff file into the parent's thread.</summary>
public sealed class ApprovalPublisher(SlackWebApi api)
{
    /// <summary>Posts everything; returns the parent message (store its channel and ts to update it later).</summary>
    public async Task<PostedMessage> PublishAsync(string channel, ApprovalPost post, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(post);
        var parent = await api.PostMessageAsync(channel, post.Parent, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var reply in post.Replies)
        {
            await api.PostMessageAsync(parent.Channel, reply, parent.Ts, cancellationToken).ConfigureAwait(false);
        }

        if (post.DiffFile is { } file)
        {
            await api.UploadTextFileAsync(parent.Channel, parent.Ts, file, cancellationToken).ConfigureAwait(false);
        }

        return parent;
    }
}
