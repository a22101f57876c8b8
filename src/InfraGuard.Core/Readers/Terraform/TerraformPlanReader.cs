using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Terraform;

/// <summary>Reads <c>terraform show -json PLAN</c> / <c>tofu show -json PLAN</c> output into a <see cref="ChangeSet"/>.</summary>
public static class TerraformPlanReader
{
    /// <summary>Reads the whole stream. Throws <see cref="PlanReadException"/> for malformed input.</summary>
    public static ChangeSet Read(Stream stream, string sourceName) =>
        throw new NotImplementedException("placeholder until the reader lands");
}
