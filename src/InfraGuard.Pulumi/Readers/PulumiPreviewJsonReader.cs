using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Reads <c>pulumi preview --json</c> output (the PreviewDigest) into a <see cref="ChangeSet"/>, streaming.
/// </summary>
/// <remarks>
/// <para>The digest has no policy events and, by default, neither <c>same</c> steps nor the halves of a
/// replacement: <see cref="ChangeSet.Counts"/> takes <c>same</c> from <c>changeSummary</c>, and a replacement seen
/// only as its <c>replace</c> step has no <see cref="ResourceChange.ReplaceOrder"/> (null: unknown).</para>
/// <para><see cref="ChangeSet.Complete"/> is false on an error diagnostic, on <c>maybeCorrupt</c>, and when
/// <c>changeSummary</c> is missing (the preview never reached its summary).</para>
/// </remarks>
public static class PulumiPreviewJsonReader
{
    /// <summary>Reads the whole stream.</summary>
    /// <param name="utf8">The digest, UTF-8.</param>
    /// <param name="sourceName">The input's label for error messages (usually its path).</param>
    /// <exception cref="PlanReadException">The input is empty, not JSON, truncated, or not a digest object.</exception>
    public static ChangeSet Read(Stream utf8, string sourceName) => Read(utf8, sourceName, JsonStreamDriver.DefaultBufferSize);

    internal static ChangeSet Read(Stream utf8, string sourceName, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var driver = new JsonStreamDriver(utf8, sourceName, PreviewDigestHandler.Expected, bufferSize);
        var handler = new PreviewDigestHandler();
        driver.Run(handler);
        return handler.Finish(sourceName, driver);
    }
}
