namespace InfraGuard.Slack.Messages;

/// <summary>Settings for <see cref="ApprovalMessages"/>.</summary>
public sealed record ApprovalMessageOptions
{
    /// <summary>Base URL of InfraGuard's web pages; a request's page is <c>{base}/requests/{id}</c>.</summary>
    public required Uri WebBaseUrl { get; init; }

    /// <summary>Findings shown in the parent message.</summary>
    public int TopFindings { get; init; } = 5;

    /// <summary>Most thread replies with per-resource details; the rest is only in the diff file.</summary>
    public int MaxDetailReplies { get; init; } = 4;

    /// <summary>A diff longer than this is attached as a file (shorter ones are covered by the detail replies).</summary>
    public int DiffFileThreshold { get; init; } = 2500;
}
