using System.Globalization;
using InfraGuard.Cli.Rendering;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;

namespace InfraGuard.Cli;

/// <summary>
/// Tells the person (or the CI log) what a guarded run is doing, on stderr: what is being asked (the summary and the
/// findings, as <c>check</c> prints them), the decision with who and why as soon as it lands and before anything is
/// applied, and the outcome. On a terminal the waiting line is redrawn in place and always ended before the next
/// message; in CI a heartbeat line is printed at each interval.
/// </summary>
internal sealed class ConsoleNotifier(CliContext context) : INotifier
{
    private bool _liveLine;

    public Task ProgressAsync(string line, CancellationToken cancellationToken)
    {
        Line(line);
        return Task.CompletedTask;
    }

    public Task RequestOpenedAsync(ChangeRequest request, bool created, CancellationToken cancellationToken)
    {
        var a = request.RequiredApprovals;
        var from = a.From.Count == 0 ? "any independent person" : string.Join(", ", a.From);
        var where = request.Action is { } action ? $"action {action.Kind} on {action.Target ?? action.Program}" : $"stack {request.Stack}";
        Line(created
            ? $"Approval required: change request {request.Id} ({where}, tier {request.Tier}, score {request.Score})."
            : $"Found change request {request.Id} from an earlier run of this plan; waiting on it.");
        Line("  " + RequestSummary.Sentence(request));
        CheckText.WriteFindings(Consoles.Create(context.Error, context.ErrorIsTerminal, context.ErrorColor), CheckReport.FindingsOf(request.Assessment));
        Line($"  Needs {a.Count} approval(s) from {from}; expires {Time(request.ExpiresAt)}.");
        Line($"  Approve: infraguard approve {request.Id} --reason \"...\"   Reject: infraguard reject {request.Id} --reason \"...\"");
        Line($"  Details: infraguard requests show {request.Id}");
        return Task.CompletedTask;
    }

    public Task WaitingAsync(ChangeRequest request, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var line = $"Waiting for approval of {request.Id}: {Elapsed(elapsed)} elapsed, expires {Time(request.ExpiresAt)}";
        if (context.ErrorIsTerminal)
        {
            context.Error.Write("\r" + line + "\u001b[K");
            _liveLine = true;
        }
        else
        {
            context.Error.WriteLine(line);
        }

        return Task.CompletedTask;
    }

    public Task RequestDecidedAsync(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, CancellationToken cancellationToken)
    {
        Line(request.State == RequestState.Approved
            ? $"Change request {request.Id} was approved; {(request.Action is null ? "applying exactly the approved plan" : "running exactly the approved command")} {request.PlanHash[..12]}."
            : $"Change request {request.Id} was {request.State.ToString().ToLowerInvariant()}; nothing will be {(request.Action is null ? "applied" : "run")}.");
        foreach (var d in decisions)
        {
            var verb = d.Verdict == Verdict.Approve ? "Approved" : "Rejected";
            Line($"  {verb} by {d.Approver.PersonId} ({d.Approver.RawIdentity}, {d.Channel.Name.ToLowerInvariant()}) at {Time(d.At)}: \"{d.Reason}\"");
        }

        return Task.CompletedTask;
    }

    public Task ApplyFinishedAsync(ChangeRequest request, ApplyOutcome outcome, CancellationToken cancellationToken)
    {
        Line(outcome.Succeeded
            ? $"Applied {request.Id}: {string.Join(", ", outcome.Counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {Core.Changes.ChangeOps.Name(c.Key)}"))}."
            : $"Apply of {request.Id} failed (engine exit {outcome.ExitCode}).");
        return Task.CompletedTask;
    }

    /// <summary>Writes a whole line, first ending the waiting line if one is drawn, so messages never run into each other.</summary>
    private void Line(string text)
    {
        if (_liveLine)
        {
            context.Error.WriteLine();
            _liveLine = false;
        }

        context.Error.WriteLine(text);
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s");
}
