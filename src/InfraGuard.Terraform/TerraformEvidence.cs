using InfraGuard.Core.Changes;
using InfraGuard.Core.Runs;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform;

/// <summary>Terraform/OpenTofu evidence for the authority: the plan JSON <c>show -json</c> printed, and the saved plan file.</summary>
public sealed class TerraformEvidence : IEvidenceReader
{
    private const string JsonName = "submitted Terraform plan JSON";
    private const string PlanName = "submitted Terraform saved plan";

    /// <inheritdoc/>
    public EngineKind Engine => EngineKind.Terraform;

    /// <inheritdoc/>
    public ChangeSet Read(byte[] engineOutput)
    {
        using var stream = new MemoryStream(engineOutput, writable: false);
        return TerraformPlanReader.Read(stream, JsonName);
    }

    /// <inheritdoc/>
    public string PlanHash(byte[] savedPlan) => TerraformPlanFile.Hash(savedPlan, PlanName);

    /// <inheritdoc/>
    public string? Mismatch(ChangeSet changes, byte[] savedPlan) => TerraformPlanFile.Mismatch(changes, savedPlan, PlanName);
}
