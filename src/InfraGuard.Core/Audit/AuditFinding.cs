using System.Text.Json.Serialization;

namespace InfraGuard.Core.Audit;

/// <summary>What the verifier found wrong.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AuditFindingKind>))]
public enum AuditFindingKind
{
    /// <summary>Seq values skip (rows deleted or renumbered); Seq is the first missing one.</summary>
    SequenceGap,

    /// <summary>A seq appears again or goes backwards.</summary>
    Duplicate,

    /// <summary>prev_hash does not equal the stored entry hash of the previous entry.</summary>
    ChainBreak,

    /// <summary>Recomputed entry hash differs from the stored one (payload, seq or prev_hash edited).</summary>
    ContentHashMismatch,

    /// <summary>The payload bytes are not canonical JSON v1.</summary>
    NonCanonicalPayload,

    /// <summary>The entry signature does not verify with its key.</summary>
    BadSignature,

    /// <summary>The entry or checkpoint names a key that is not trusted (or was retired by a rotation before it).</summary>
    UnknownKey,

    /// <summary>A checkpoint's signature does not verify, or its body is malformed.</summary>
    CheckpointSignatureInvalid,

    /// <summary>A checkpoint's head differs from the head recomputed from genesis at its size.</summary>
    CheckpointHeadMismatch,

    /// <summary>Checkpoint sizes or times go backwards.</summary>
    CheckpointNotMonotonic,

    /// <summary>A checkpoint or witness vouches for more entries than the log holds (tail deleted or older copy restored).</summary>
    Truncated,

    /// <summary>A witnessed head differs from the head recomputed at that size.</summary>
    WitnessMismatch,
}

/// <summary>One piece of tamper evidence.</summary>
/// <param name="Kind">What kind.</param>
/// <param name="Seq">The entry (or, for checkpoints and witnesses, the size) it concerns.</param>
/// <param name="Detail">A sentence saying what was expected and what was found.</param>
public sealed record AuditFinding(AuditFindingKind Kind, long? Seq, string Detail);

/// <summary>A head seen by a witness outside the database (Slack audit channel, CI log, artifact).</summary>
public sealed record WitnessedHead(long Size, string Head);

/// <summary>Reads witness files: any text holding checkpoint bodies (or just <c>size N</c> / <c>head H</c> line pairs).</summary>
public static class AuditWitness
{
    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Every <c>size</c> line followed (not necessarily directly) by a <c>head</c> line, in order.</summary>
    /// <exception cref="FormatException">A size is not a number or a head is not 64 hex digits.</exception>
    public static IReadOnlyList<WitnessedHead> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var heads = new List<WitnessedHead>();
        long? size = null;
        var lineNo = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNo++;
            var line = raw.TrimEnd('\r').Trim();
            if (line.StartsWith("size ", StringComparison.Ordinal))
            {
                size = long.TryParse(line.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                    ? n
                    : throw new FormatException($"witness line {lineNo}: '{line}' is not 'size N'.");
            }
            else if (line.StartsWith("head ", StringComparison.Ordinal) && size is { } s)
            {
                var head = line[5..];
                if (head.Length != 64 || head.AsSpan().ContainsAnyExcept(HexDigits))
                {
                    throw new FormatException($"witness line {lineNo}: head must be 64 lower-case hex digits.");
                }

                heads.Add(new WitnessedHead(s, head));
                size = null;
            }
        }

        return heads;
    }
}
