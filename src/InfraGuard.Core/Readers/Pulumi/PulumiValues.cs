using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Readers.Pulumi;

/// <summary>
/// Turns Pulumi's serialized property values into InfraGuard's redacted form, in place: secrets become
/// <see cref="Redaction.SecretMarker"/> (path recorded), unknowns become <see cref="Redaction.UnknownMarker"/>,
/// assets, archives and resource references become a short description, and the bridged providers'
/// <c>__defaults</c>/<c>__meta</c> bookkeeping is dropped, and values under names that look secret
/// (<see cref="Redaction.IsSecretLookingName"/>) become the marker, exactly as
/// <see cref="Redaction.RedactSecretLookingNames"/> does, in the same walk. Ciphertext and plaintext never leave
/// this class.
/// </summary>
internal static class PulumiValues
{
    /// <summary>The value Pulumi uses for "not known until apply".</summary>
    public const string UnknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

    private const string SigKey = "4dabf18193072939515e22adb298388d";
    private const string SecretSig = "1b47061264138c4ac30d75fd1eb44270";
    private const string AssetSig = "c44067f5952c0a294b673a41bacd8c17";
    private const string ArchiveSig = "0def7320c3a5731c473e5ecbe6d01bc7";
    private const string ResourceReferenceSig = "5cf8f73096256a8f31e491e813e4eb8e";
    private const string NonUtf8StringSig = "803fd3297a5875dc03ca845dda5d2a98";

    /// <summary>Sanitizes <paramref name="root"/> and returns it; secret paths are added to <paramref name="sensitivePaths"/>.</summary>
    public static JsonObject Sanitize(JsonObject root, SensitivePaths sensitivePaths)
    {
        SanitizeObject(root, string.Empty, sensitivePaths);
        return root;
    }

    private static JsonNode? SanitizeValue(JsonNode? node, string path, SensitivePaths sensitivePaths)
    {
        switch (node)
        {
            case JsonObject obj when obj.TryGetPropertyValue(SigKey, out var sig):
                return Describe(obj, sig, path, sensitivePaths);
            case JsonObject obj:
                SanitizeObject(obj, path, sensitivePaths);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var replaced = SanitizeValue(item, PropertyPath.AppendIndex(path, i), sensitivePaths);
                    if (!ReferenceEquals(replaced, item))
                    {
                        array[i] = replaced;
                    }
                }

                return array;
            case JsonValue value when IsString(value, UnknownSentinel):
                return JsonValue.Create(Redaction.UnknownMarker);
            case JsonValue value when IsString(value, Redaction.SecretMarker):
                sensitivePaths.Add(path);
                return value;
            default:
                return node;
        }
    }

    private static void SanitizeObject(JsonObject obj, string path, SensitivePaths sensitivePaths)
    {
        obj.Remove("__defaults");
        obj.Remove("__meta");
        List<(string Key, JsonNode? Value)>? replacements = null;
        foreach (var (key, value) in obj)
        {
            var childPath = PropertyPath.AppendKey(path, key);
            var replaced = SanitizeValue(value, childPath, sensitivePaths);
            if (replaced is not null && sensitivePaths.Names.IsSecretLooking(key) && !Redaction.IsMarker(replaced))
            {
                sensitivePaths.Add(childPath);
                replaced = JsonValue.Create(Redaction.SecretMarker);
            }

            if (!ReferenceEquals(replaced, value))
            {
                (replacements ??= []).Add((key, replaced));
            }
        }

        foreach (var (key, value) in replacements ?? [])
        {
            obj[key] = value;
        }
    }

    private static JsonValue Describe(JsonObject obj, JsonNode? sig, string path, SensitivePaths sensitivePaths)
    {
        var kind = sig is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (kind)
        {
            case SecretSig:
                sensitivePaths.Add(path);
                return JsonValue.Create(Redaction.SecretMarker);
            case AssetSig:
                return JsonValue.Create(DescribeAsset("asset", obj));
            case ArchiveSig:
                return JsonValue.Create(DescribeAsset("archive", obj));
            case ResourceReferenceSig:
                return JsonValue.Create($"[resource {Text(obj, "urn") ?? "reference"}]");
            case NonUtf8StringSig:
                return JsonValue.Create("[non-UTF-8 string]");
            default:
                // Unknown signature: could hold anything, so say nothing about its content.
                return JsonValue.Create("[unrecognised Pulumi value]");
        }
    }

    private static string DescribeAsset(string kind, JsonObject obj)
    {
        var source = Text(obj, "path") is { } p ? " path=" + p
            : Text(obj, "uri") is { } u ? " uri=" + u
            : obj["text"] is not null ? " (inline text)"
            : obj["assets"] is JsonObject assets ? string.Create(CultureInfo.InvariantCulture, $" of {assets.Count} assets")
            : string.Empty;
        var hash = Text(obj, "hash") is { Length: > 0 } h ? " hash=" + h[..Math.Min(12, h.Length)] : string.Empty;
        return $"[{kind}{source}{hash}]";
    }

    // Values parsed from the input wrap a JsonElement: compare without materializing a string per value.
    private static bool IsString(JsonValue value, string text) =>
        value.TryGetValue<JsonElement>(out var element)
            ? element.ValueKind == JsonValueKind.String && element.ValueEquals(text)
            : value.TryGetValue<string>(out var s) && s == text;

    private static string? Text(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

/// <summary>An ordered, de-duplicated list of property paths that held secrets.</summary>
internal sealed class SensitivePaths(SecretNames names)
{
    private readonly List<string> _paths = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>The read's cache of secret-looking names.</summary>
    public SecretNames Names { get; } = names;

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
    private readonly Dictionary<string, bool> _known = new(StringComparer.Ordinal);

    public bool IsSecretLooking(string name)
    {
        if (!_known.TryGetValue(name, out var secret))
        {
            secret = Redaction.IsSecretLookingName(name);
            _known[name] = secret;
        }

        return secret;
    }
}
