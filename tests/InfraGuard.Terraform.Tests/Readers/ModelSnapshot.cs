using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>
/// Everything a reader puts into a <see cref="ChangeSet"/>, written as indented JSON: every field of every change and
/// drift entry, each node's JSON text (as <see cref="JsonNode.ToJsonString"/> gives it), its kind, whether it is parentless and whether a value wraps a parsed element.
/// Two readers that give the same snapshot give the same model to every caller.
/// </summary>
internal static class ModelSnapshot
{
    public static string Of(ChangeSet set)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("engine", set.Engine.ToString());
            writer.WriteString("formatVersion", set.FormatVersion);
            writer.WriteBoolean("complete", set.Complete);
            writer.WriteString("incompleteReason", set.IncompleteReason);
            writer.WriteStartObject("counts");
            foreach (var op in ChangeOps.All)
            {
                writer.WriteNumber(ChangeOps.Name(op), set.Counts[op]);
            }

            writer.WriteEndObject();
            Changes(writer, "changes", set.Changes);
            Changes(writer, "drift", set.Drift);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Digest(string snapshot) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(snapshot)));

    private static void Changes(Utf8JsonWriter writer, string name, IReadOnlyList<ResourceChange> changes)
    {
        writer.WriteStartArray(name);
        foreach (var c in changes)
        {
            writer.WriteStartObject();
            writer.WriteString("address", c.Address);
            writer.WriteString("name", c.Name);
            writer.WriteString("type", c.Type);
            writer.WriteString("provider", c.Provider);
            writer.WriteString("op", c.Op.ToString());
            writer.WriteString("engineOp", c.EngineOp);
            writer.WriteString("replaceOrder", c.ReplaceOrder?.ToString());
            writer.WriteString("reason", c.Reason);
            writer.WriteBoolean("protected", c.Protected);
            writer.WriteBoolean("retainOnDelete", c.RetainOnDelete);
            writer.WriteBoolean("failed", c.Failed);
            Strings(writer, "replaceReasons", c.ReplaceReasons);
            Strings(writer, "sensitivePaths", c.SensitivePaths);
            Node(writer, "before", c.Before);
            Node(writer, "after", c.After);
            writer.WriteStartArray("properties");
            foreach (var p in c.Properties)
            {
                writer.WriteStartObject();
                writer.WriteString("path", p.Path);
                writer.WriteString("kind", p.Kind.ToString());
                writer.WriteBoolean("forcesReplace", p.ForcesReplace);
                Node(writer, "before", p.Before);
                Node(writer, "after", p.After);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void Strings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    // The node's shape is read before its JSON text: reading the text materialises lazily parsed children.
    private static void Node(Utf8JsonWriter writer, string name, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNull(name);
            return;
        }

        writer.WriteStartObject(name);
        writer.WriteString("node", node.GetType().Name.StartsWith("JsonValue", StringComparison.Ordinal) ? "JsonValue" : node.GetType().Name);
        writer.WriteString("kind", node.GetValueKind().ToString());
        writer.WriteBoolean("parentless", node.Parent is null);
        if (node is JsonValue value)
        {
            writer.WriteBoolean("wrapsElement", value.TryGetValue<JsonElement>(out _));
        }

        writer.WritePropertyName("json");
        writer.WriteRawValue(node.ToJsonString());
        writer.WriteEndObject();
    }
}
