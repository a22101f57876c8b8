using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace InfraGuard.Pulumi;

/// <summary>
/// SHA-256 of a <c>pulumi stack export</c>, normalised so only real state changes alter it.
/// Dropped: the top-level <c>version</c> and <c>features</c> (format of the export, not state),
/// <c>deployment.manifest</c> (time, magic = sha256 of the CLI version, CLI version, plugins), and per resource
/// <c>created</c>, <c>modified</c>, <c>sourcePosition</c> and <c>stackTrace</c> (bookkeeping and program locations).
/// Object keys are sorted ordinally and whitespace removed; array order is kept (resource order is the dependency order).
/// Secret ciphertexts are kept: re-encryption makes a false "changed" (re-approve), ignoring them would miss a rotation.
/// </summary>
public static class StateFingerprint
{
    private static readonly string[] ResourceBookkeeping = ["created", "modified", "sourcePosition", "stackTrace"];

    /// <summary>Lower-case hex SHA-256 of the normalised export. Throws <see cref="JsonException"/> for text that is not a JSON object.</summary>
    public static string Compute(ReadOnlySpan<byte> stackExportUtf8)
    {
        var root = JsonNode.Parse(stackExportUtf8) as JsonObject
            ?? throw new JsonException("a stack export must be a JSON object");
        root.Remove("version");
        root.Remove("features");
        if (root["deployment"] is JsonObject deployment)
        {
            deployment.Remove("manifest");
            foreach (var resource in (deployment["resources"] as JsonArray ?? []).OfType<JsonObject>())
            {
                foreach (var key in ResourceBookkeeping)
                {
                    resource.Remove(key);
                }
            }
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(writer, root);
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteCanonical(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
