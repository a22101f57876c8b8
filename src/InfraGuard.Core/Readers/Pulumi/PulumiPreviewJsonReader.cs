using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Pulumi;

/// <summary>Reads <c>pulumi preview --json</c> output (the PreviewDigest) into a <see cref="ChangeSet"/>.</summary>
public static class PulumiPreviewJsonReader
{
    /// <summary>Reads the whole stream. Throws <see cref="PlanReadException"/> for malformed input.</summary>
    public static ChangeSet Read(Stream utf8, string sourceName) =>
        throw new NotImplementedException("placeholder until the reader lands");
}
