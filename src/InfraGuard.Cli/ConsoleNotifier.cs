using System.Globalization;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;

namespace InfraGuard.Cli;

/// <summary>
/// Tells the person (or the CI log) what a guarded run is doing, on stderr. On a terminal the waiting line is
/// redrawn in place; in CI a heartbeat line is printed at each interval.
/// </summary>
internal sealed class ConsoleNotifier(CliContext context) : INotifier
{
    public Task ProgressAsync(string line, CancellationToken cancellationToken)
    {
        context.Error.WriteLine(line);
        return Task.CompletedTask;
    }

    public Task RequestOpenedAsync(ChangeRequest request, bool created, CancellationToken cancellationToken)
    {
        var a = request.RequiredApprovals;
        var from = a.From.Count == 0 ? "any independent person" : string.Join(", ", a.From);
        context.Error.WriteLine(created
            ? $"Approval required: change request {request.Id} (stack {request.Stack}, tier {request.Tier}, score {request.Score})."
            : $"Found change request {request.Id} from an earlier run of this plan; waiting on it.");
        context.Error.WriteLine($"  Needs {a.Count} approval(s) from {from}; expires {Time(request.ExpiresAt)}.");
        context.Error.WriteLine($"  Approve: infraguard approve {request.Id} --reason \"...\"   Reject: infraguard reject {request.Id} --reason \"...\"");
        context.Error.WriteLine($"  Details: infraguard requests show {request.Id}");
        return Task.CompletedTask;
    }

    public Task WaitingAsync(ChangeRequest request, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var line = $"Waiting for approval of {request.Id}: {Elapsed(elapsed)} elapsed, expires {Time(request.ExpiresAt)}";
        if (context.ErrorIsTerminal)
        {
            context.Error.Write("\r" + line + "\u001b[K");
        }
        else
        {
            context.Error.WriteLine(line);
        }

        return Task.CompletedTask;
    }

    public Task RequestClosedAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        EndLiveLine();
        context.Error.WriteLine($"Change request {request.Id} was {request.State.ToString().ToLowerInvariant()}.");
        return Task.CompletedTask;
    }

    public Task ApplyFinishedAsync(ChangeRequest request, ApplyOutcome outcome, CancellationToken cancellationToken)
    {
        EndLiveLine();
        context.Error.WriteLine(outcome.Succeeded
            ? $"Applied {request.Id}: {string.Join(", ", outcome.Counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {Core.Changes.ChangeOps.Name(c.Key)}"))}."
            : $"Apply of {request.Id} failed (engine exit {outcome.ExitCode}).");
        return Task.CompletedTask;
    }

    private void EndLiveLine()
    {
        if (context.ErrorIsTerminal)
        {
            context.Error.WriteLine();
        }
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Elapsed(TimeSpan t) => t.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m")
        : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s");
}
