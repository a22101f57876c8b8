using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Reads a Pulumi engine event log (<c>--event-log</c>, or <c>pulumi up --json</c> stdout) into a
/// <see cref="ChangeSet"/>. Accepts JSON Lines and pretty-printed (multi-line) events. Streams: memory is bounded by
/// the largest event and the number of changes, never by the file size.
/// </summary>
/// <remarks>
/// <para>A replacement's steps (<c>create-replacement</c>, <c>replace</c>, <c>delete-replaced</c> and the other
/// replacement steps) fold into one <see cref="ChangeOp.Replace"/> whose <see cref="ResourceChange.ReplaceOrder"/>
/// says which half came first. A <c>refresh</c> pre-event takes the op of its outputs event. A delete of a
/// <c>retainOnDelete</c> resource and a <c>discard</c> are <see cref="ChangeOp.Forget"/>. Unknown ops are
/// <see cref="ChangeOp.Unknown"/>, never an error.</para>
/// <para><see cref="ChangeSet.Complete"/> is false when the summary's <c>result</c> is not <c>succeeded</c>, when
/// there is no <c>summaryEvent</c>, when <c>maybeCorrupt</c> is set, on any error diagnostic or mandatory policy
/// violation, and when a step failed or never finished.</para>
/// </remarks>
public static class PulumiEventLogReader
{
    /// <summary>Reads the whole stream.</summary>
    /// <param name="utf8">The log, UTF-8.</param>
    /// <param name="sourceName">The input's label for error messages (usually its path).</param>
    /// <exception cref="PlanReadException">The log is empty, not JSON, truncated, or ends without <c>cancelEvent</c>.</exception>
    public static ChangeSet Read(Stream utf8, string sourceName) => Read(utf8, sourceName, JsonStreamDriver.DefaultBufferSize);

    internal static ChangeSet Read(Stream utf8, string sourceName, int bufferSize)
    {
        ArgumentNullException.ThrowIfNull(utf8);
        ArgumentNullException.ThrowIfNull(sourceName);
        using var driver = new JsonStreamDriver(utf8, sourceName, EventLogHandler.Expected, bufferSize);
        var handler = new EventLogHandler(driver);
        driver.Run(handler);
        return handler.Finish(sourceName);
    }
}
