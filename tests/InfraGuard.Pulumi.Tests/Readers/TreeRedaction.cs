using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Pulumi.Readers;

namespace InfraGuard.Pulumi.Tests.Readers;

/// <summary>
/// The reader's former redaction, kept verbatim as the oracle for the byte-level <see cref="StateRedactor"/>: it
/// parses a map into nodes and rewrites them in place, depth first. The two must agree on every value and on the
/// order of the secret paths they report.
/// </summary>
internal static class TreeRedaction
{
    private const string UnknownSentinel = PulumiValues.UnknownSentinel;
    private const string SigKey = "4dabf18193072939515e22adb298388d";
    private const string SecretSig = "1b47061264138c4ac30d75fd1eb44270";
    private const string AssetSig = "c44067f5952c0a294b673a41bacd8c17";
    private const string ArchiveSig = "0def7320c3a5731c473e5ecbe6d01bc7";
    private const string ResourceReferenceSig = "5cf8f73096256a8f31e491e813e4eb8e";
    private const string NonUtf8StringSig = "803fd3297a5875dc03ca845dda5d2a98";

    /// <summary>Sanitizes <paramref name="root"/> and returns it; secret paths are added to <paramref name="sensitivePaths"/>.</summary>
    public static JsonObject Sanitize(JsonObject root, SensitivePaths sensitivePaths, SecretNames names)
    {
        SanitizeObject(root, string.Empty, sensitivePaths, names);
        return root;
    }

    private static JsonNode? SanitizeValue(JsonNode? node, string path, SensitivePaths sensitivePaths, SecretNames names)
    {
        switch (node)
        {
            case JsonObject obj when obj.TryGetPropertyValue(SigKey, out var sig):
                return Describe(obj, sig, path, sensitivePaths);
            case JsonObject obj:
                SanitizeObject(obj, path, sensitivePaths, names);
                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    var replaced = SanitizeValue(item, PropertyPath.AppendIndex(path, i), sensitivePaths, names);
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

    private static void SanitizeObject(JsonObject obj, string path, SensitivePaths sensitivePaths, SecretNames names)
    {
        obj.Remove("__defaults");
        obj.Remove("__meta");
        List<(string Key, JsonNode? Value)>? replacements = null;
        foreach (var (key, value) in obj)
        {
            var childPath = PropertyPath.AppendKey(path, key);
            var replaced = SanitizeValue(value, childPath, sensitivePaths, names);
            if (replaced is not null && names.IsSecretLooking(key) && !Redaction.IsMarker(replaced))
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

    /// <summary>
    /// The former lookup over nodes: the value at <paramref name="path"/>, or null when absent. A redaction marker met on the way is the answer:
    /// a path inside a secret is secret.
    /// </summary>
    public static JsonNode? Lookup(JsonNode? root, string path, out bool found)
    {
        var current = root;
        foreach (var segment in PropertyPath.Parse(path))
        {
            if (Redaction.IsMarker(current))
            {
                found = true;
                return current;
            }

            switch (current)
            {
                case JsonObject obj when segment.Key is { } key && obj.TryGetPropertyValue(key, out var child):
                    current = child;
                    break;
                case JsonArray array when segment.Key is null && segment.Index < array.Count:
                    current = array[segment.Index];
                    break;
                default:
                    found = false;
                    return null;
            }
        }

        found = true;
        return current;
    }
}
