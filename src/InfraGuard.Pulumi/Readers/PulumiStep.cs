namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// One engine step as read from an event's <c>metadata</c> (event log) or a digest <c>steps[]</c> entry. Old and new
/// states are kept raw until the change is built, and only for steps that change something.
/// </summary>
internal sealed class PulumiStep
{
    /// <summary>A <c>same</c> step read without its URN (nothing else is read of a <c>same</c> step).</summary>
    public static readonly PulumiStep SameWithoutUrn = new() { Op = PulumiOps.Same, Urn = string.Empty };

    public required string Op { get; init; }

    public required string Urn { get; init; }

    public string? Type { get; set; }

    /// <summary>Provider reference <c>PROVIDER_URN::ID</c>.</summary>
    public string? Provider { get; set; }

    /// <summary>The old state as read (raw UTF-8); redacted and parsed only for the step that describes a change.</summary>
    public RawState? Old { get; set; }

    /// <summary>The new state as read (raw UTF-8); redacted and parsed only for the step that describes a change.</summary>
    public RawState? New { get; set; }

    /// <summary>Keys forcing replacement (<c>keys</c> / <c>replaceReasons</c>).</summary>
    public List<string>? Keys { get; set; }

    /// <summary>Changed top-level keys (<c>diffs</c> / <c>diffReasons</c>), possibly with duplicates.</summary>
    public List<string>? Diffs { get; set; }

    /// <summary>The provider's detailed diff, or null when absent or <c>null</c>.</summary>
    public List<DetailedDiffEntry>? DetailedDiff { get; set; }

    /// <summary>Fills what this step lacks from an earlier read of the same step (pre-event before outputs event).</summary>
    public PulumiStep FillFrom(PulumiStep earlier)
    {
        Type ??= earlier.Type;
        Provider ??= earlier.Provider;
        Old ??= earlier.Old;
        New ??= earlier.New;
        Keys ??= earlier.Keys;
        Diffs ??= earlier.Diffs;
        DetailedDiff ??= earlier.DetailedDiff;
        return this;
    }
}

/// <summary>One <c>detailedDiff</c> entry: path, kind (<c>add</c> … <c>update-replace</c>) and <c>inputDiff</c>.</summary>
internal readonly record struct DetailedDiffEntry(string Path, string Kind, bool InputDiff);

/// <summary>Pulumi's step op names, interned so the reader does not allocate a string per event.</summary>
internal static class PulumiOps
{
    public const string Same = "same";
    public const string Create = "create";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string Replace = "replace";
    public const string CreateReplacement = "create-replacement";
    public const string DeleteReplaced = "delete-replaced";
    public const string Read = "read";
    public const string ReadReplacement = "read-replacement";
    public const string Refresh = "refresh";
    public const string Discard = "discard";
    public const string DiscardReplaced = "discard-replaced";
    public const string RemovePendingReplace = "remove-pending-replace";
    public const string Import = "import";
    public const string ImportReplacement = "import-replacement";

    private static readonly (byte[] Utf8, string Name)[] Known =
    [
        ("same"u8.ToArray(), Same), ("update"u8.ToArray(), Update), ("create"u8.ToArray(), Create),
        ("delete"u8.ToArray(), Delete), ("replace"u8.ToArray(), Replace),
        ("create-replacement"u8.ToArray(), CreateReplacement), ("delete-replaced"u8.ToArray(), DeleteReplaced),
        ("read"u8.ToArray(), Read), ("read-replacement"u8.ToArray(), ReadReplacement),
        ("refresh"u8.ToArray(), Refresh), ("discard"u8.ToArray(), Discard),
        ("discard-replaced"u8.ToArray(), DiscardReplaced), ("remove-pending-replace"u8.ToArray(), RemovePendingReplace),
        ("import"u8.ToArray(), Import), ("import-replacement"u8.ToArray(), ImportReplacement),
    ];

    /// <summary>The interned name of the op under the reader (a string token), or a new string for unknown ops.</summary>
    public static string ReadOp(ref System.Text.Json.Utf8JsonReader reader)
    {
        foreach (var (utf8, name) in Known)
        {
            if (reader.ValueTextEquals(utf8))
            {
                return name;
            }
        }

        return reader.GetString() ?? string.Empty;
    }

    /// <summary>The half of a replacement that creates the new resource.</summary>
    public static bool IsCreateHalf(string op) => op is CreateReplacement or ImportReplacement or ReadReplacement;

    /// <summary>The half of a replacement that removes the old resource (from the cloud or only from state).</summary>
    public static bool IsDeleteHalf(string op) => op is DeleteReplaced or DiscardReplaced or RemovePendingReplace;

    /// <summary>Any step that belongs to a replacement (<c>IsReplacementStep</c> in the engine).</summary>
    public static bool IsReplacementStep(string op) => op == Replace || IsCreateHalf(op) || IsDeleteHalf(op);
}
