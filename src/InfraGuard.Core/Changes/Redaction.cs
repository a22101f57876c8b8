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

    /// <summary>
    /// A command line as it may be shown and stored: the value of every flag whose name looks secret
    /// (<c>--password=…</c>, <c>--token …</c>, <c>PGPASSWORD=…</c>) becomes <see cref="SecretMarker"/>, and so do the
    /// secrets inside any argument (<see cref="RedactText"/>). The program (first element) is kept as written.
    /// </summary>
    public static IReadOnlyList<string> RedactArgv(IReadOnlyList<string> argv)
    {
        ArgumentNullException.ThrowIfNull(argv);
        var result = new List<string>(argv.Count);
        var nextIsSecret = false;
        for (var i = 0; i < argv.Count; i++)
        {
            var arg = argv[i];
            if (nextIsSecret)
            {
                result.Add(SecretMarker);
                nextIsSecret = false;
                continue;
            }

            var name = arg.TrimStart('-');
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (i > 0 && equals > 0 && IsSecretFlag(name[..equals]))
            {
                result.Add(arg[..(arg.Length - name.Length + equals + 1)] + SecretMarker);
                continue;
            }

            // "--password VALUE": a secret-looking flag without a value of its own takes the next argument.
            nextIsSecret = i > 0 && equals < 0 && arg.StartsWith('-') && IsSecretFlag(name);
            result.Add(i == 0 ? arg : RedactText(arg));
        }

        return result;
    }

    /// <summary>
    /// Secrets inside free text: the password of a URL (<c>postgres://app:[secret]@db/orders</c>), the value of
    /// <c>password=</c>, <c>pwd=</c>, <c>token=</c>, <c>AccountKey=</c> … in a connection string, and the credentials
    /// of an <c>Authorization:</c> header.
    /// </summary>
    public static string RedactText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var redacted = UrlPassword().Replace(text, "$1" + SecretMarker + "@");
        redacted = KeyValueSecret().Replace(redacted, m => m.Groups[1].Value + SecretMarker);
        return AuthorizationHeader().Replace(redacted, "$1" + SecretMarker);
    }

    /// <summary>A tool call's arguments as they may be shown and stored: secret-looking names and secrets inside strings redacted (a copy).</summary>
    public static JsonObject RedactArguments(JsonObject arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var copy = (JsonObject)RedactSecretLookingNames(arguments.DeepClone())!;
        RedactStrings(copy);
        return copy;
    }

    private static void RedactStrings(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (obj[key] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        obj[key] = RedactText(s);
                    }
                    else
                    {
                        RedactStrings(obj[key]);
                    }
                }

                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    if (arr[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        arr[i] = RedactText(s);
                    }
                    else
                    {
                        RedactStrings(arr[i]);
                    }
                }

                break;
        }
    }

    // A flag that names a secret rather than holding one (--secret-id, --password-file, --token-name) is shown as written.
    private static bool IsSecretFlag(string name) =>
        name.Length > 0
        && (IsSecretLookingName(name) || name.Equals("pw", StringComparison.OrdinalIgnoreCase) || name.Equals("pwd", StringComparison.OrdinalIgnoreCase))
        && !NamesASecret().IsMatch(name);

    [GeneratedRegex(@"[-_.]?(id|ids|name|arn|file|path|ref|version|stage|type)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NamesASecret();

    [GeneratedRegex(@"(://[^/\s:@]*:)[^@/\s]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"((?:passw(?:or)?d|pwd|secret|token|api_?key|access_?key|account_?key|shared_?access_?key|client_?secret)\s*[=:]\s*)(?!\[secret\])[^;&\s,]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex KeyValueSecret();

    [GeneratedRegex(@"(\bauthorization\s*:\s*(?:\w+\s+)?)\S+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationHeader();

    // Whole-word-ish match on the last segment: "password", "db_password", "masterUserPassword", "secret_key",
    // "private_key", "api_token", "client_secret", "connection_string", "sas", "credentials".
    [GeneratedRegex(@"(passw(or)?d|secret|token(?!s\b)|private_?key|api_?key|access_?key|credential|connection_?string|sas_?key|passphrase|auth_?key|certificate_?key|\bkey_?material)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();
}
