using System.Globalization;
using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi.Readers;

/// <summary>The constants of Pulumi's serialized property values that redaction looks for.</summary>
internal static class PulumiValues
{
    /// <summary>The value Pulumi uses for "not known until apply".</summary>
    public const string UnknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

    /// <summary>The property that marks an object as a special Pulumi value (secret, asset, archive, reference).</summary>
    public const string SigKey = "4dabf18193072939515e22adb298388d";
}

/// <summary>
/// What the redaction keeps of a special Pulumi value (an object with <see cref="PulumiValues.SigKey"/>): only the
/// signature and the fields that describe an asset, archive or resource reference. Never a secret's content.
/// </summary>
internal readonly record struct SpecialValue(
    string? Sig, string? Urn, string? Path, string? Uri, bool HasText, int? AssetCount, string? Hash)
{
    private const string SecretSig = "1b47061264138c4ac30d75fd1eb44270";
    private const string AssetSig = "c44067f5952c0a294b673a41bacd8c17";
    private const string ArchiveSig = "0def7320c3a5731c473e5ecbe6d01bc7";
    private const string ResourceReferenceSig = "5cf8f73096256a8f31e491e813e4eb8e";
    private const string NonUtf8StringSig = "803fd3297a5875dc03ca845dda5d2a98";

    /// <summary>True for a secret: its path is recorded and it becomes <see cref="Redaction.SecretMarker"/>.</summary>
    public bool IsSecret => Sig == SecretSig;

    /// <summary>The text that replaces the value: <see cref="Redaction.SecretMarker"/> for a secret, else a short description.</summary>
    public string Describe() => Sig switch
    {
        SecretSig => Redaction.SecretMarker,
        AssetSig => DescribeAsset("asset"),
        ArchiveSig => DescribeAsset("archive"),
        ResourceReferenceSig => $"[resource {Urn ?? "reference"}]",
        NonUtf8StringSig => "[non-UTF-8 string]",

        // Unknown signature: could hold anything, so say nothing about its content.
        _ => "[unrecognised Pulumi value]",
    };

    private string DescribeAsset(string kind)
    {
        var source = Path is { } p ? " path=" + p
            : Uri is { } u ? " uri=" + u
            : HasText ? " (inline text)"
            : AssetCount is { } count ? string.Create(CultureInfo.InvariantCulture, $" of {count} assets")
            : string.Empty;
        var hash = Hash is { Length: > 0 } h ? " hash=" + h[..Math.Min(12, h.Length)] : string.Empty;
        return $"[{kind}{source}{hash}]";
    }
}

/// <summary>An ordered, de-duplicated list of property paths that held secrets.</summary>
internal sealed class SensitivePaths
{
    private readonly List<string> _paths = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Paths => _paths;

    public void Add(string path)
    {
        if (path.Length > 0 && _seen.Add(path))
        {
            _paths.Add(path);
        }
    }
}

/// <summary>
/// <see cref="Redaction.IsSecretLookingName"/> memoized for one read: the same few hundred property names repeat
/// across thousands of resources, and the check is a regular expression.
/// </summary>
internal sealed class SecretNames
{
    private readonly Dictionary<string, bool> _known;
    private readonly Dictionary<string, bool>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    public SecretNames()
    {
        _known = new Dictionary<string, bool>(StringComparer.Ordinal);
        _byChars = _known.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool IsSecretLooking(string name)
    {
        if (!_known.TryGetValue(name, out var secret))
        {
            secret = Redaction.IsSecretLookingName(name);
            _known[name] = secret;
        }

        return secret;
    }

    /// <summary>The same answer for a name given as characters, without allocating once the name was seen.</summary>
    public bool IsSecretLooking(ReadOnlySpan<char> name) =>
        _byChars.TryGetValue(name, out var secret) ? secret : IsSecretLooking(name.ToString());
}
