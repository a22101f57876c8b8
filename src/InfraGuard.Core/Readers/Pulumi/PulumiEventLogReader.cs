using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Pulumi;

/// <summary>Reads a Pulumi engine event log (<c>--event-log</c>, JSON Lines or pretty-printed) into a <see cref="ChangeSet"/>.</summary>
public static class PulumiEventLogReader
{
    /// <summary>Reads the whole stream. Throws <see cref="PlanReadException"/> for malformed input.</summary>
    public static ChangeSet Read(Stream utf8, string sourceName) =>
        throw new NotImplementedException("placeholder until the reader lands");
}
