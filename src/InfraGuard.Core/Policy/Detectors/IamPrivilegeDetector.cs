using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

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

    private const int TrustPath = 1, StatementPath = 2;

    // What a path mentions, decided once per distinct path.
    private static readonly NameTrait PathKind = new(p =>
        (p.Normalised.Contains("ASSUMEROLEPOLICY", StringComparison.Ordinal) || p.Normalised.Contains("TRUSTPOLICY", StringComparison.Ordinal) ? TrustPath : 0)
        | (p.Normalised.Contains("STATEMENT", StringComparison.Ordinal) ? StatementPath : 0));

    private static readonly NameTrait RoleName = NameTrait.Normalised(RoleNames.Contains);

    // Policy documents repeat across a plan (one per role or policy, the same text many times): parse each text once.
    private const int MaxRememberedDocuments = 1024;
    private static readonly ConcurrentDictionary<string, IReadOnlySet<string>> DocumentGrants = new(StringComparer.Ordinal);

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
        var found = new List<DetectorHit>();
        var views = input.Views;
        for (var v = 0; v < views.Length; v++)
        {
            var r = views[v].Resource;
            if (r.Op == ChangeOp.Read)
            {
                // A data source that is only read (data.aws_iam_policy_document) grants nothing: no privilege changes.
                continue;
            }

            HashSet<string>? seen = null;
            var leaves = views[v].Leaves;
            for (var i = 0; i < leaves.Length; i++)
            {
                found.Clear();
                Check(r, leaves[i], found);
                foreach (var hit in found)
                {
                    if ((seen ??= new HashSet<string>(StringComparer.Ordinal)).Add(hit.Reason))
                    {
                        yield return hit;
                    }
                }
            }
        }
    }

    private static void Check(ResourceChange r, LeafChange leaf, List<DetectorHit> found)
    {
        if (leaf.AfterIsMarker)
        {
            return;
        }

        var path = leaf.At.Get(PathKind);
        if ((path & TrustPath) != 0 && r.Op != ChangeOp.Create && leaf.Before is not null && !JsonNode.DeepEquals(leaf.Before, leaf.After))
        {
            found.Add(DetectorHit.On(r, "the role's trust policy changes: who can assume the role changes", leaf.Path));
        }

        // Most leaves grant nothing after the change: only then is the old value worth reading.
        var afterGrants = (path & StatementPath) != 0 || MayBeDocument(leaf) ? Grants(leaf.AfterIsOpaque, leaf.AfterText, path, leaf.Name) : NoGrants;
        if (afterGrants.Count > 0)
        {
            foreach (var grant in afterGrants.Except(Grants(leaf.BeforeIsOpaque, leaf.BeforeText, path, leaf.Name)).Order(StringComparer.Ordinal))
            {
                found.Add(DetectorHit.On(r, $"the policy gains {grant}", leaf.Path, leaf.BeforeDisplay ?? "unset", leaf.AfterDisplay));
            }
        }

        if (leaf.NameFacts.Is(RoleName) && leaf.AfterText is { } role && leaf.BeforeText != role && IsAdmin(role))
        {
            found.Add(DetectorHit.On(r, $"admin-level role {role} is granted", leaf.Path, leaf.BeforeDisplay ?? "unset", role));
        }
    }

    private static bool IsAdmin(string role) =>
        AdminRoles.Contains(role) || AdminRoleSuffixes.Any(s => role.EndsWith(s, StringComparison.OrdinalIgnoreCase));

    // Off a statement path only a JSON document string grants anything: rule the rest out from the raw bytes when
    // there are any (a document's first character, after white space, is '{').
    private static bool MayBeDocument(LeafChange leaf)
    {
        if (!leaf.AfterIsString)
        {
            return false;
        }

        // The first byte of an empty string reads as 0.
        return !leaf.TryGetAfterStart(out var first) || first is (byte)'{' or (byte)' ' or >= 0x80;
    }

    // Wildcard grants in a value (given as its opacity and text): a JSON policy string, or a leaf of a flattened policy object.
    private static IReadOnlySet<string> Grants(bool opaque, string? text, int path, string name)
    {
        if (opaque || text is null)
        {
            return NoGrants;
        }

        var trimmed = text.TrimStart();
        var isDocument = trimmed.StartsWith('{');
        if (!isDocument && (path & StatementPath) == 0)
        {
            return NoGrants;
        }

        if (isDocument)
        {
            if (DocumentGrants.TryGetValue(trimmed, out var known))
            {
                return known;
            }

            var fromDocument = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                if (JsonNode.Parse(trimmed) is JsonObject doc)
                {
                    AddStatementGrants(doc["Statement"], fromDocument);
                }
            }
            catch (JsonException)
            {
                // Not a policy document.
            }

            if (DocumentGrants.Count < MaxRememberedDocuments)
            {
                DocumentGrants.TryAdd(trimmed, fromDocument);
            }

            return fromDocument;
        }

        var grants = new HashSet<string>(StringComparer.Ordinal);
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
