using InfraGuard.Core.Changes;
using InfraGuard.Core.Engine;

namespace InfraGuard.Pulumi.Tests;

/// <summary>The public constructor wires the real <c>PulumiEventLogReader</c>: preview output becomes the change model.</summary>
public class PulumiEngineRealReaderTests
{
    [Fact]
    public async Task PreviewAsync_RdsScaleDown_ChangeSetHasRedactedInstanceClassUpdate()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        Assert.True(result.Changes.Complete, result.Changes.IncompleteReason);
        var change = Assert.Single(result.Changes.Changes);
        Assert.Equal("urn:pulumi:prod::shop::aws:rds/instance:Instance::orders-db", change.Address);
        Assert.Equal(ChangeOp.Update, change.Op);
        var property = Assert.Single(change.Properties, p => p.Path == "instanceClass");
        Assert.Equal("db.r6g.2xlarge", (string?)property.Before);
        Assert.Equal("db.t4g.medium", (string?)property.After);
        Assert.Equal(1, result.Changes.Counts[ChangeOp.Update]);
        Assert.Equal(1, result.Changes.Counts[ChangeOp.Same]);
        var before = change.Before!.ToJsonString();
        Assert.Contains(Redaction.SecretMarker, before, StringComparison.Ordinal);
        Assert.DoesNotContain("ciphertext", before, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewAsync_ProtectedDelete_IncompleteChangeSetAndDiagnostics()
    {
        using var session = new StandInSession("synthetic-protected-delete-fails");
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var result = await engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken);

        Assert.False(result.Succeeded);
        Assert.False(result.Changes.Complete);
        Assert.Contains(result.Changes.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Message.Contains("protected", StringComparison.Ordinal));
        Assert.Contains("because it is protected", result.Diagnostics, StringComparison.Ordinal);
    }
}
