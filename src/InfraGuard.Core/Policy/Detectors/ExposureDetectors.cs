using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Something becomes reachable from the whole internet or publicly readable.</summary>
internal sealed class PublicExposureDetector : IDetector
{
    private static readonly HashSet<string> WorldCidrs = new(StringComparer.Ordinal) { "0.0.0.0/0", "::/0" };
    private static readonly HashSet<string> AzureWorld = new(StringComparer.OrdinalIgnoreCase) { "*", "Internet", "0.0.0.0/0", "::/0", "Any" };
    private static readonly HashSet<string> PublicAcls = new(StringComparer.OrdinalIgnoreCase) { "public-read", "public-read-write", "authenticated-read", "publicRead", "publicReadWrite" };
    private static readonly HashSet<string> PublicMembers = new(StringComparer.OrdinalIgnoreCase) { "allUsers", "allAuthenticatedUsers" };
    private static readonly HashSet<string> OpenSwitches = new(StringComparer.Ordinal)
    {
        "PUBLICLYACCESSIBLE", "ALLOWBLOBPUBLICACCESS", "PUBLICNETWORKACCESSENABLED", "ASSOCIATEPUBLICIPADDRESS", "MAPPUBLICIPONLAUNCH",
    };

    private static readonly HashSet<string> BlockSwitches = new(StringComparer.Ordinal)
    {
        "BLOCKPUBLICACLS", "BLOCKPUBLICPOLICY", "IGNOREPUBLICACLS", "RESTRICTPUBLICBUCKETS",
    };

    public string Id => "public-exposure";

    public string Summary => "a resource opens to the internet (0.0.0.0/0, public ACL, publicly accessible, public access block removed)";

    public string Description =>
        "Fires when an ingress rule (path or type mentions ingress, or a security-group rule of type ingress, or GCP "
        + "source_ranges / Azure source_address_prefix on an inbound rule) gains 0.0.0.0/0 or ::/0 (Azure: *, Internet); "
        + "when an ACL becomes public-read, public-read-write or authenticated-read; when publicly_accessible, "
        + "allow_blob_public_access, public_network_access_enabled, associate_public_ip_address or "
        + "map_public_ip_on_launch becomes true; when a public-access-block switch (block_public_acls, "
        + "block_public_policy, ignore_public_acls, restrict_public_buckets) goes from true to false or the block is "
        + "deleted; when public_access_prevention leaves 'enforced'; and when allUsers or allAuthenticatedUsers is "
        + "granted. Creates count too: a new public resource is an exposure.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var r in input.Resources)
        {
            var type = LeafChange.Normalise(r.Type);
            if (r.Op == ChangeOp.Delete && type.Contains("PUBLICACCESSBLOCK", StringComparison.Ordinal))
            {
                yield return DetectorHit.On(r, "the public access block is deleted: the bucket or account may become public");
                continue;
            }

            foreach (var leaf in LeafChange.Of(r))
            {
                if (Redaction.IsMarker(leaf.After) || leaf.After is null || JsonNode.DeepEquals(leaf.Before, leaf.After))
                {
                    continue;
                }

                if (Why(r, type, leaf) is { } why)
                {
                    yield return DetectorHit.On(r, why, leaf.Path, Values.Display(leaf.Before) ?? "unset", Values.Display(leaf.After));
                }
            }
        }
    }

    private static string? Why(ResourceChange r, string type, LeafChange leaf)
    {
        var after = Values.Text(leaf.After);
        var name = leaf.NormalisedName;
        if (after is null)
        {
            return null;
        }

        if (WorldCidrs.Contains(after) && IsIngress(r, type, leaf))
        {
            return $"ingress opens to {after}: reachable from the whole internet";
        }

        if (name is "SOURCEADDRESSPREFIX" or "SOURCEADDRESSPREFIXES" && AzureWorld.Contains(after) && !IsOutbound(r))
        {
            return $"inbound rule allows source {after}: reachable from the whole internet";
        }

        if (name is "ACL" or "CANNEDACL" or "PREDEFINEDACL" && PublicAcls.Contains(after))
        {
            return $"ACL becomes {after}: objects become publicly readable";
        }

        if (OpenSwitches.Contains(name) && Values.Bool(leaf.After) == true && Values.Bool(leaf.Before) != true)
        {
            return $"{leaf.Name} becomes true: the resource gets a public endpoint";
        }

        if (name == "PUBLICNETWORKACCESS" && string.Equals(after, "Enabled", StringComparison.OrdinalIgnoreCase) && leaf.Before is not null)
        {
            return "public network access is enabled";
        }

        if (BlockSwitches.Contains(name) && Values.Bool(leaf.Before) == true && Values.Bool(leaf.After) == false)
        {
            return $"{leaf.Name} is switched off: public ACLs or policies are no longer blocked";
        }

        if (name == "PUBLICACCESSPREVENTION" && string.Equals(Values.Text(leaf.Before), "enforced", StringComparison.OrdinalIgnoreCase))
        {
            return $"public access prevention goes from enforced to {after}";
        }

        if (PublicMembers.Contains(after.Replace("user:", string.Empty, StringComparison.Ordinal)) || after.StartsWith("allUsers", StringComparison.OrdinalIgnoreCase))
        {
            return $"{after} is granted access: anyone on the internet";
        }

        return null;
    }

    private static bool IsIngress(ResourceChange r, string type, LeafChange leaf)
    {
        if (leaf.NormalisedPath.Contains("INGRESS", StringComparison.Ordinal) || type.Contains("INGRESS", StringComparison.Ordinal))
        {
            return true;
        }

        var state = r.After ?? r.Before;
        if (string.Equals(Values.Text(state?["type"]), "ingress", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return leaf.NormalisedName is "SOURCERANGES" && !string.Equals(Values.Text(state?["direction"]), "EGRESS", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsOutbound(ResourceChange r) =>
        string.Equals(Values.Text((r.After ?? r.Before)?["direction"]), "Outbound", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Secret or sensitive values change; key material is destroyed or disabled.</summary>
internal sealed class SecretMaterialDetector : IDetector
{
    private static readonly string[] KeyTypeWords = ["KMS", "KEYVAULTKEY", "KEYVAULT/KEY", "KEYVAULT:KEY", "CRYPTOKEY", "SECRETSMANAGER", "SECRETMANAGER", "KEYVAULTSECRET"];

    public string Id => "secret-material";

    public string Summary => "a secret or sensitive value changes, or key material is deleted or disabled";

    public string Description =>
        "Fires on updates and replaces that change a path the engine marks sensitive or secret, or whose name looks "
        + "secret (password, token, private_key, access_key, connection_string ...); values are always shown as [secret]. "
        + "Also fires when a KMS key, Key Vault key, Cloud KMS crypto key or secrets-manager secret is deleted or "
        + "replaced (data encrypted with it becomes unreadable), or when such a key's is_enabled/enabled goes from true "
        + "to false. Creating a resource with a password is not a finding.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var r in input.Resources)
        {
            var type = LeafChange.Normalise(r.Type);
            var isKey = KeyTypeWords.Any(w => type.Contains(w, StringComparison.Ordinal)) && !type.Contains("ALIAS", StringComparison.Ordinal) && !type.Contains("POLICY", StringComparison.Ordinal);
            if (isKey && r.Op is ChangeOp.Delete or ChangeOp.Replace)
            {
                yield return DetectorHit.On(r, $"key or secret {r.Name} would be {(r.Op == ChangeOp.Delete ? "deleted" : "replaced")}: whatever it protects becomes unreadable");
                continue;
            }

            if (r.Op is not (ChangeOp.Update or ChangeOp.Replace or ChangeOp.Unknown))
            {
                continue;
            }

            foreach (var leaf in LeafChange.Of(r))
            {
                if (isKey && leaf.NormalisedName is "ISENABLED" or "ENABLED" && Values.Bool(leaf.Before) == true && Values.Bool(leaf.After) == false)
                {
                    yield return DetectorHit.On(r, "the key is disabled: data encrypted with it cannot be read until it is enabled again", leaf.Path, "true", "false");
                }
                else if (IsSensitive(r, leaf))
                {
                    yield return DetectorHit.On(r, $"secret value {leaf.Name} changes: dependants must pick up the new value", leaf.Path, Redaction.SecretMarker, Redaction.SecretMarker);
                }
            }
        }
    }

    private static bool IsSensitive(ResourceChange r, LeafChange leaf) =>
        Redaction.IsSecretLookingName(leaf.Name)
        || Redaction.IsSecret(leaf.Before) || Redaction.IsSecret(leaf.After)
        || IsUnderSensitivePath(r, leaf.Path);

    // The path is a sensitive path or lies beneath one (path == s, or starts with s followed by '.' or '[').
    private static bool IsUnderSensitivePath(ResourceChange r, string path)
    {
        foreach (var s in r.SensitivePaths)
        {
            if (path.StartsWith(s, StringComparison.Ordinal) && (path.Length == s.Length || path[s.Length] is '.' or '['))
            {
                return true;
            }
        }

        return false;
    }
}
