using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;

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

        return CanonicalJson.Fingerprint(root);
    }
}

/// <summary>
/// SHA-256 of a saved update plan (<c>preview --save-plan</c>), normalised so two previews of the same change hash
/// alike: <c>manifest</c> (time, CLI version) and each resource plan's random <c>seed</c> are dropped. The bytes that
/// are applied are always the stored, approved plan itself; this hash only identifies which change it is.
/// </summary>
public static class PlanFingerprint
{
    /// <summary>Lower-case hex SHA-256 of the normalised plan. Throws <see cref="JsonException"/> for text that is not a JSON object.</summary>
    public static string Compute(ReadOnlySpan<byte> planUtf8)
    {
        var root = JsonNode.Parse(planUtf8) as JsonObject
            ?? throw new JsonException("a plan file must be a JSON object");
        root.Remove("manifest");
        foreach (var (_, plan) in root["resourcePlans"] as JsonObject ?? [])
        {
            (plan as JsonObject)?.Remove("seed");
        }

        return CanonicalJson.Fingerprint(root);
    }
}
