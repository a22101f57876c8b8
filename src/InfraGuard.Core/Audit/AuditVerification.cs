using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace InfraGuard.Core.Audit;

/// <summary>
/// The result of <c>audit verify</c>: every finding, the first tampered seq and the exit code
/// (0 valid, 1 tamper evidence, 2 unable to verify). Serialises to JSON with <see cref="ToJson"/>.
/// </summary>
/// <param name="Entries">Entries read.</param>
/// <param name="Checkpoints">Checkpoints read.</param>
/// <param name="Findings">All findings in log order, then checkpoints, then witnesses.</param>
/// <param name="UnableReason">Why verification could not be done, or null.</param>
/// <param name="Tail">The entries after the newest validly signed checkpoint, when verification ran.</param>
public sealed record AuditVerification(long Entries, long Checkpoints, IReadOnlyList<AuditFinding> Findings, string? UnableReason, AuditTail? Tail = null)
{
    /// <summary>Exit code for a valid log.</summary>
    public const int ExitValid = 0;

    /// <summary>Exit code when tamper evidence was found.</summary>
    public const int ExitTampered = 1;

    /// <summary>Exit code when the log could not be verified (missing key, unreadable database).</summary>
    public const int ExitUnable = 2;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>True when verification ran and found nothing.</summary>
    public bool IsValid => UnableReason is null && Findings.Count == 0;

    /// <summary>Lowest seq any finding points at, or null.</summary>
    public long? FirstTamperedSeq => Findings.Where(f => f.Seq is not null).Select(f => f.Seq).Min();

    /// <summary>0 valid, 1 tampered, 2 unable.</summary>
    public int ExitCode => UnableReason is not null ? ExitUnable : Findings.Count > 0 ? ExitTampered : ExitValid;

    /// <summary>A verification that could not run.</summary>
    public static AuditVerification Unable(string reason) => new(0, 0, [], reason);

    /// <summary>The JSON shape for <c>--format json</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new
        {
            valid = IsValid,
            exitCode = ExitCode,
            entries = Entries,
            checkpoints = Checkpoints,
            firstTamperedSeq = FirstTamperedSeq,
            unableReason = UnableReason,
            findings = Findings,
            tail = Tail is { } t
                ? new
                {
                    entriesAfterLastCheckpoint = t.Entries,
                    lastCheckpointSize = t.CheckpointSize,
                    lastCheckpointTime = t.CheckpointTime is { } at ? CanonicalJson.FormatTimestamp(at) : null,
                    lastCheckpointAgeSeconds = t.CheckpointAge is { } age ? (long?)Math.Max(0, (long)age.TotalSeconds) : null,
                }
                : null,
        },
        JsonOptions);

    /// <summary>Human report modelled on <c>aws cloudtrail validate-logs</c>.</summary>
    /// <param name="source">What was verified, e.g. <c>sqlite ./infraguard.db</c>.</param>
    public string RenderText(string source)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Verifying audit log ({source})\n");
        if (UnableReason is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Result: UNABLE TO VERIFY: {UnableReason}\n");
            return text.ToString();
        }

        foreach (var f in Findings)
        {
            var where = f.Seq is { } s ? $"seq {s}" : "log";
            text.Append(CultureInfo.InvariantCulture, $"{where,-11} INVALID  {f.Kind}: {f.Detail}\n");
        }

        if (Tail is { } tail)
        {
            text.Append(CultureInfo.InvariantCulture, $"{"tail",-11} {tail.Describe()}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"Result: {Entries} entries, {Checkpoints} checkpoints, {Findings.Count} findings.");
        text.Append(FirstTamperedSeq is { } first
            ? string.Create(CultureInfo.InvariantCulture, $" First tampered entry: seq {first}\n")
            : Findings.Count == 0 ? " Valid.\n" : "\n");
        return text.ToString();
    }
}

/// <summary>
/// The entries after the newest validly signed checkpoint. A checkpoint vouches only for the entries up to its size:
/// entries after it can be removed without a trace, unless a witness (a checkpoint kept elsewhere) saw them.
/// </summary>
/// <param name="Entries">Entries after the newest checkpoint (every entry when there is none).</param>
/// <param name="CheckpointSize">The size that checkpoint vouches for, or null when there is none.</param>
/// <param name="CheckpointTime">When it was signed, or null.</param>
/// <param name="CheckpointAge">Its age at the time of the verification, when the verifier was given that time.</param>
public sealed record AuditTail(long Entries, long? CheckpointSize, DateTimeOffset? CheckpointTime, TimeSpan? CheckpointAge)
{
    /// <summary>One sentence for reports, e.g. <c>2 entries after the last checkpoint (size 31, …, 4m ago); …</c>.</summary>
    public string Describe()
    {
        var entries = Entries == 1 ? "1 entry" : string.Create(CultureInfo.InvariantCulture, $"{Entries} entries");
        if (CheckpointSize is not { } size)
        {
            return $"{entries} and no signed checkpoint; nothing vouches for them, so their removal would show only against a witness (audit verify --witness).";
        }

        var when = CheckpointTime is { } at ? ", " + CanonicalJson.FormatTimestamp(at) : string.Empty;
        var age = CheckpointAge is { } a ? ", " + Policy.Duration.Format(TimeSpan.FromSeconds(Math.Floor(a.TotalSeconds))) + " ago" : string.Empty;
        var checkpoint = string.Create(CultureInfo.InvariantCulture, $"the last checkpoint (size {size}{when}{age})");
        return Entries == 0
            ? $"none: {checkpoint} vouches for every entry."
            : $"{entries} after {checkpoint}; no checkpoint vouches for them yet, so their removal would show only against a witness (audit verify --witness).";
    }
}
