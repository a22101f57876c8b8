using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace InfraGuard.Pulumi;

/// <summary>One engine event line (<c>--event-log</c> file or <c>up --json</c> stdout): its payload key and payload.</summary>
internal sealed partial record EngineEvent(string Kind, JsonObject Payload)
{
    /// <summary>Parses a JSON line; null for blank lines, non-JSON lines and lines without a known envelope.</summary>
    public static EngineEvent? Parse(string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return null;
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(line) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        // Exactly one payload key besides the envelope's sequence and timestamp; unknown kinds are kept and ignored.
        var payload = root?.FirstOrDefault(p => p.Key is not ("sequence" or "timestamp") && p.Value is JsonObject);
        return payload is { Key: { } key, Value: JsonObject value } ? new EngineEvent(key, value) : null;
    }

    /// <summary>A diagnostic's or policy violation's error text, colour markup removed; null for anything else.</summary>
    public string? ErrorText() => Kind switch
    {
        "diagnosticEvent" when (string?)Payload["severity"] == "error" => Clean((string?)Payload["message"]),
        "policyEvent" when (string?)Payload["enforcementLevel"] == "mandatory" =>
            $"policy {(string?)Payload["policyPackName"]}/{(string?)Payload["policyName"]}: {Clean((string?)Payload["message"])}",
        "errorEvent" => Clean((string?)Payload["error"]),
        _ => null,
    };

    /// <summary>The step metadata of a resource event.</summary>
    public JsonObject? Metadata => Payload["metadata"] as JsonObject;

    /// <summary>True for steps emitted during a preview (<c>planning: true</c>).</summary>
    public bool Planning => (bool?)Payload["planning"] ?? false;

    public static string Clean(string? message) => ColourMarkup().Replace(message ?? "", "").Trim();

    [GeneratedRegex(@"<\{%[^%]*%\}>", RegexOptions.CultureInvariant)]
    private static partial Regex ColourMarkup();
}
