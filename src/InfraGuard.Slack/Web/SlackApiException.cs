namespace InfraGuard.Slack.Web;

/// <summary>Slack answered <c>ok:false</c> (or rate-limited past the retry budget).</summary>
/// <param name="method">The Web API method, e.g. <c>chat.postMessage</c>.</param>
/// <param name="error">Slack's machine-readable error code, e.g. <c>channel_not_found</c>.</param>
/// <param name="details">Slack's <c>response_metadata.messages</c>, if any.</param>
public sealed class SlackApiException(string method, string error, IReadOnlyList<string> details)
    : Exception($"Slack {method} failed: {error}{(details.Count > 0 ? " (" + string.Join("; ", details) + ")" : "")}.")
{
    /// <summary>The method that failed.</summary>
    public string Method { get; } = method;

    /// <summary>Slack's error code.</summary>
    public string Error { get; } = error;

    /// <summary>Detail messages (json-pointer hints for <c>invalid_blocks</c>).</summary>
    public IReadOnlyList<string> Details { get; } = details;

    /// <summary>The trigger id was too old or already used (both spellings Slack documents).</summary>
    public bool IsExpiredTrigger => Error is "expired_trigger_id" or "exchanged_trigger_id" or "trigger_expired" or "trigger_exchanged";
}
