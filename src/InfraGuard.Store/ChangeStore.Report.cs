using System.Runtime.CompilerServices;
using Dapper;
using InfraGuard.Core.Audit.Report;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>What the period report reads from the store besides the audit log, and the refusals it needs recorded.</summary>
public sealed partial class ChangeStore
{
    /// <summary>
    /// The requests created in [<paramref name="from"/>, <paramref name="to"/>), oldest first, streamed (one row in
    /// memory at a time). Their findings are not part of the signed log; the report uses them only when the plan hash
    /// matches the signed one.
    /// </summary>
    public async IAsyncEnumerable<ChangeRequest> StreamRequestsCreatedAsync(DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = c.QueryUnbufferedAsync<RequestRow>(
            "SELECT * FROM change_request WHERE created_at >= @from AND created_at < @to ORDER BY created_at, id",
            new { from = Format(from), to = Format(to) });
        await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return row.ToModel();
        }
    }

    /// <summary>The period report over this store (see <see cref="AuditReportGenerator"/>).</summary>
    public Task<GeneratedReport> ReportAsync(ReportRequest request, CancellationToken cancellationToken = default) =>
        AuditReportGenerator.GenerateAsync(this, request, (period, ct) => StreamRequestsCreatedAsync(period.Start, period.End, ct), Now(), cancellationToken);

    // A refused decision changes nothing, so its record is a transaction of its own after the refusal's rollback.
    private async Task RecordRefusalAsync(ChangeRequest request, RequestDecision attempt, DecisionRefused refusal, CancellationToken cancellationToken) =>
        await WriteAsync((c, tx) => AppendInTransactionAsync(c, tx, Refusals.Event(request, attempt, refusal), cancellationToken), cancellationToken).ConfigureAwait(false);
}
