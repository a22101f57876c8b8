using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace InfraGuard.Mcp;

/// <summary>
/// Tells the MCP client why a call waits (a progress notification per heartbeat, when the client sent a progress
/// token) and keeps the reviewers' reasons for the answer.
/// </summary>
internal sealed class ProgressNotifier(McpSession? session, ProgressToken? token) : INotifier
{
    private readonly List<string> _reasons = [];
    private int _step;

    public IReadOnlyList<string> Reasons => _reasons;

    public Task ProgressAsync(string line, CancellationToken cancellationToken) => NotifyAsync(line, cancellationToken);

    public Task RequestOpenedAsync(ChangeRequest request, bool created, CancellationToken cancellationToken) =>
        NotifyAsync(Waiting(request, TimeSpan.Zero), cancellationToken);

    public Task WaitingAsync(ChangeRequest request, TimeSpan elapsed, CancellationToken cancellationToken) =>
        NotifyAsync(Waiting(request, elapsed), cancellationToken);

    public Task RequestDecidedAsync(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, CancellationToken cancellationToken)
    {
        _reasons.AddRange(decisions.Where(d => !string.IsNullOrWhiteSpace(d.Reason)).Select(d => $"{d.Reason} ({d.Verdict.ToString().ToLowerInvariant()} by {d.Approver.PersonId})"));
        return NotifyAsync($"Request {request.Id} was {request.State.ToString().ToLowerInvariant()}.", cancellationToken);
    }

    public Task ApplyFinishedAsync(ChangeRequest request, ApplyOutcome outcome, CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Waiting(ChangeRequest request, TimeSpan elapsed)
    {
        var rules = string.Join(", ", request.Assessment.Findings.Select(f => f.RuleId).Distinct(StringComparer.Ordinal));
        return $"Waiting for an independent approval of InfraGuard request {request.Id} ({(int)elapsed.TotalSeconds}s so far; score {request.Assessment.Score} ≥ review-at {request.Assessment.ReviewAt} in tier {request.Assessment.Tier}; rules: {rules}). It expires at {request.ExpiresAt:u}.";
    }

    private async Task NotifyAsync(string message, CancellationToken cancellationToken)
    {
        if (session is null || token is not { } progressToken)
        {
            return;
        }

        _step++;
        await session.NotifyProgressAsync(progressToken, new ProgressNotificationValue { Progress = _step, Message = message }, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
