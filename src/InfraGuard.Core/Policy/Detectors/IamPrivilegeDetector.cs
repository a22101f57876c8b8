using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>IAM grants widen: wildcard actions or resources, admin roles, trust policy changes.</summary>
internal sealed class IamPrivilegeDetector : IDetector
{
    private static readonly HashSet<string> RoleNames = new(StringComparer.Ordinal)
    {
        "POLICYARN", "MANAGEDPOLICYARNS", "ROLE", "ROLES", "ROLEDEFINITIONNAME", "ROLEDEFINITIONID",
    };

    private static readonly string[] AdminRoleSuffixes =
    [
        ":policy/AdministratorAccess", ":policy/IAMFullAccess", ":policy/PowerUserAccess",
    ];

    private static readonly HashSet<string> AdminRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        "roles/owner", "roles/editor", "roles/iam.securityAdmin", "roles/resourcemanager.organizationAdmin",
        "roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser",
        "Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator",
    };

    private static readonly IReadOnlySet<string> NoGrants = new HashSet<string>();

    public string Id => "iam-privilege";

    public string Summary => "IAM grants widen: wildcard actions or resources, admin roles attached, role trust changed";

    public string Description =>
        "Reads IAM policy documents, both JSON strings and objects: fires when an Allow statement gains Action '*' "
        + "or 'service:*', NotAction, or Resource '*' that the old document did not have (creates count). Fires when "
        + "an admin-level role is attached (AWS AdministratorAccess, IAMFullAccess, PowerUserAccess; GCP roles/owner, "
        + "roles/editor, security and token-creator roles; Azure Owner, Contributor, User Access Administrator), and "
        + "when a role's trust (assume-role) policy changes, which changes who can act as the role.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var r in input.Resources)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var leaf in LeafChange.Of(r))
            {
                foreach (var hit in Check(r, leaf))
                {
                    if (seen.Add(hit.Reason))
                    {
                        yield return hit;
                    }
                }
            }
        }
    }

    private static IEnumerable<DetectorHit> Check(ResourceChange r, LeafChange leaf)
    {
        if (Redaction.IsMarker(leaf.After))
        {
            yield break;
        }

        var path = leaf.NormalisedPath;
        var trust = path.Contains("ASSUMEROLEPOLICY", StringComparison.Ordinal) || path.Contains("TRUSTPOLICY", StringComparison.Ordinal);
        if (trust && r.Op != ChangeOp.Create && leaf.Before is not null && !JsonNode.DeepEquals(leaf.Before, leaf.After))
        {
            yield return DetectorHit.On(r, "the role's trust policy changes: who can assume the role changes", leaf.Path);
        }

        // Most leaves grant nothing after the change: only then is the old value worth reading.
        var afterGrants = Grants(leaf.After, path, leaf.Name);
        IEnumerable<string> gained = afterGrants.Count == 0 ? [] : afterGrants.Except(Grants(leaf.Before, path, leaf.Name)).Order(StringComparer.Ordinal);
        foreach (var grant in gained)
        {
            yield return DetectorHit.On(r, $"the policy gains {grant}", leaf.Path, Values.Display(leaf.Before) ?? "unset", Values.Display(leaf.After));
        }

        if (RoleNames.Contains(leaf.NormalisedName) && Values.Text(leaf.After) is { } role && Values.Text(leaf.Before) != role && IsAdmin(role))
        {
            yield return DetectorHit.On(r, $"admin-level role {role} is granted", leaf.Path, Values.Display(leaf.Before) ?? "unset", role);
        }
    }

    private static bool IsAdmin(string role) =>
        AdminRoles.Contains(role) || AdminRoleSuffixes.Any(s => role.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    // Wildcard grants in a value: a JSON policy string, or a leaf of a flattened policy object.
    private static IReadOnlySet<string> Grants(JsonNode? value, string normalisedPath, string name)
    {
        if (Values.IsOpaque(value) || Values.Text(value) is not { } text)
        {
            return NoGrants;
        }

        var trimmed = text.TrimStart();
        var isDocument = trimmed.StartsWith('{');
        if (!isDocument && !normalisedPath.Contains("STATEMENT", StringComparison.Ordinal))
        {
            return NoGrants;
        }

        var grants = new HashSet<string>(StringComparer.Ordinal);
        if (isDocument)
        {
            try
            {
                if (JsonNode.Parse(trimmed) is JsonObject doc)
                {
                    AddStatementGrants(doc["Statement"], grants);
                }
            }
            catch (JsonException)
            {
                // Not a policy document.
            }

            return grants;
        }

        AddGrant(name, text, grants);
        return grants;
    }

    private static void AddStatementGrants(JsonNode? statements, HashSet<string> grants)
    {
        IEnumerable<JsonNode?> list = statements switch
        {
            JsonArray a => a.ToList(),
            JsonObject o => new JsonNode?[] { o },
            _ => Array.Empty<JsonNode?>(),
        };
        foreach (var s in list.OfType<JsonObject>())
        {
            if (string.Equals(Values.Text(s["Effect"]), "Deny", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var key in new[] { "Action", "NotAction", "Resource" })
            {
                IEnumerable<JsonNode?> values = s[key] switch
                {
                    JsonArray a => a.ToList(),
                    JsonNode n => new JsonNode?[] { n },
                    _ => Array.Empty<JsonNode?>(),
                };
                foreach (var v in values)
                {
                    if (Values.Text(v) is { } text)
                    {
                        AddGrant(key, text, grants);
                    }
                }
            }
        }
    }

    private static void AddGrant(string key, string value, HashSet<string> grants)
    {
        switch (key.ToUpperInvariant())
        {
            case "ACTION" or "ACTIONS" when value == "*" || value.EndsWith(":*", StringComparison.Ordinal):
                grants.Add($"Action {value}");
                break;
            case "NOTACTION":
                grants.Add("NotAction (allow everything except a list)");
                break;
            case "RESOURCE" or "RESOURCES" when value == "*":
                grants.Add("Resource *");
                break;
        }
    }
}
