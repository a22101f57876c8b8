using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Core.Runs;

namespace InfraGuard.Pulumi;

/// <summary>Pulumi evidence for the authority: the preview's event log, and the plan it saved.</summary>
public sealed class PulumiEvidence : IEvidenceReader
{
    private const string LogName = "submitted Pulumi event log";
    private const string PlanName = "submitted Pulumi saved plan";

    /// <inheritdoc/>
    public EngineKind Engine => EngineKind.Pulumi;

    /// <inheritdoc/>
    public ChangeSet Read(byte[] engineOutput)
    {
        using var stream = new MemoryStream(engineOutput, writable: false);
        return PulumiEventLogReader.Read(stream, LogName);
    }

    /// <inheritdoc/>
    public string PlanHash(byte[] savedPlan)
    {
        try
        {
            return PlanFingerprint.Compute(savedPlan);
        }
        catch (JsonException e)
        {
            throw new PlanReadException(PlanName, e.LineNumber + 1, e.BytePositionInLine, "the saved plan is not a JSON object", "the file 'pulumi preview --save-plan' wrote", e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>A Pulumi plan is never a refresh-only run's: such evidence is refused.</remarks>
    public string? Mismatch(ChangeSet changes, byte[] savedPlan) =>
        changes?.Kind == RunKind.RefreshOnly
            ? "a Pulumi saved plan cannot be a refresh-only run's (refresh-only runs are Terraform/OpenTofu only)"
            : PulumiSavedPlan.Mismatch(changes!, savedPlan, PlanName);
}
