using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfraGuard.Core.Changes;

/// <summary>
/// The single place that decides what is secret. Readers call it before a value enters the model, so nothing
/// downstream (Slack, audit, logs, console) can see a secret.
/// </summary>
public static partial class Redaction
{
    /// <summary>Stands for a secret value. Pulumi uses the same text.</summary>
    public const string SecretMarker = "[secret]";

    /// <summary>Stands for a value not known until apply.</summary>
    public const string UnknownMarker = "[unknown]";

    /// <summary>
    /// True for attribute names that usually hold secret material (password, secret, token, private key …),
    /// matched on the last path segment, case-insensitively.
    /// </summary>
    public static bool IsSecretLookingName(string name) => SecretName().IsMatch(name);

    /// <summary>
    /// Redacts values in place: every property whose name looks secret becomes <see cref="SecretMarker"/>.
    /// Returns the same node for chaining.
    /// </summary>
    public static JsonNode? RedactSecretLookingNames(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (IsSecretLookingName(key) && obj[key] is not null && !IsMarker(obj[key]))
                    {
                        obj[key] = SecretMarker;
                    }
                    else
                    {
                        RedactSecretLookingNames(obj[key]);
                    }
                }

                break;
            case JsonArray arr:
                foreach (var item in arr)
                {
                    RedactSecretLookingNames(item);
                }

                break;
        }

        return node;
    }

    /// <summary>True when the node is one of the two markers.</summary>
    public static bool IsMarker(JsonNode? node) => IsString(node, SecretMarker) || IsString(node, UnknownMarker);

    /// <summary>True when the node is <see cref="SecretMarker"/>.</summary>
    public static bool IsSecret(JsonNode? node) => IsString(node, SecretMarker);

    /// <summary>True when the node is <see cref="UnknownMarker"/>.</summary>
    public static bool IsUnknown(JsonNode? node) => IsString(node, UnknownMarker);

    // Values read from JSON wrap an element: compare its UTF-8 text in place rather than allocating a string for
    // every value looked at (detectors ask this of every changed leaf).
    private static bool IsString(JsonNode? node, string text) => node switch
    {
        JsonValue v when v.TryGetValue<JsonElement>(out var e) =>
            e.ValueKind == JsonValueKind.String && e.ValueEquals(text),
        JsonValue v => v.TryGetValue<string>(out var s) && s == text,
        _ => false,
    };

    // Whole-word-ish match on the last segment: "password", "db_password", "masterUserPassword", "secret_key",
    // "private_key", "api_token", "client_secret", "connection_string", "sas", "credentials".
    [GeneratedRegex(@"(passw(or)?d|secret|token(?!s\b)|private_?key|api_?key|access_?key|credential|connection_?string|sas_?key|passphrase|auth_?key|certificate_?key|\bkey_?material)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
