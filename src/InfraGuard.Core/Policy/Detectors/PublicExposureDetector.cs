using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

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

    private const int SourceAddressPrefix = 1, Acl = 2, OpenSwitch = 3, PublicNetworkAccess = 4, BlockSwitch = 5, PublicAccessPrevention = 6, SourceRanges = 7;
    private const int PublicAccessBlockType = 1, IngressType = 2;

    // What a leaf name is, decided once per distinct name.
    private static readonly NameTrait NameKind = new(n => n.Normalised switch
    {
        "SOURCEADDRESSPREFIX" or "SOURCEADDRESSPREFIXES" => SourceAddressPrefix,
        "ACL" or "CANNEDACL" or "PREDEFINEDACL" => Acl,
        "PUBLICNETWORKACCESS" => PublicNetworkAccess,
        "PUBLICACCESSPREVENTION" => PublicAccessPrevention,
        "SOURCERANGES" => SourceRanges,
        var name when OpenSwitches.Contains(name) => OpenSwitch,
        var name when BlockSwitches.Contains(name) => BlockSwitch,
        _ => 0,
    });

    // What a resource type mentions, decided once per distinct type.
    private static readonly NameTrait TypeKind = new(t =>
        (t.Normalised.Contains("PUBLICACCESSBLOCK", StringComparison.Ordinal) ? PublicAccessBlockType : 0)
        | (t.Normalised.Contains("INGRESS", StringComparison.Ordinal) ? IngressType : 0));

    // Paths that mention ingress, decided once per distinct path.
    private static readonly NameTrait IngressPath = NameTrait.Normalised(p => p.Contains("INGRESS", StringComparison.Ordinal));

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        var views = input.Views;
        for (var v = 0; v < views.Length; v++)
        {
            var view = views[v];
            var r = view.Resource;
            if (view.Op == ChangeOp.Delete && (view.Type.Get(TypeKind) & PublicAccessBlockType) != 0)
            {
                yield return DetectorHit.On(r, "the public access block is deleted: the bucket or account may become public");
                continue;
            }

            var leaves = view.Leaves;
            for (var i = 0; i < leaves.Length; i++)
            {
                var leaf = leaves[i];
                if (leaf.AfterIsMarker || leaf.After is null)
                {
                    continue;
                }

                var name = leaf.NameFacts.Get(NameKind);
                if (name == 0 && !MayBePublicWhateverTheName(leaf))
                {
                    continue;
                }

                // Why rarely says anything: only then is it worth comparing the two values.
                if (Why(view, leaf, name) is { } why && !JsonNode.DeepEquals(leaf.Before, leaf.After))
                {
                    yield return DetectorHit.On(r, why, leaf.Path, leaf.BeforeDisplay ?? "unset", leaf.AfterDisplay);
                }
            }
        }
    }

    // Whatever the leaf's name, only a string can be a world CIDR or a public member: rule the rest out from the
    // raw bytes when there are any, without decoding the value.
    private static bool MayBePublicWhateverTheName(LeafChange leaf)
    {
        if (!leaf.AfterIsString)
        {
            return false;
        }

        if (!leaf.TryGetAfterUtf8(out var s))
        {
            return true;
        }

        // Non-ASCII text can fold to ASCII letters under OrdinalIgnoreCase: let Why decide.
        return s.SequenceEqual("0.0.0.0/0"u8) || s.SequenceEqual("::/0"u8) || !Ascii.IsValid(s)
               || s.Length is 8 or 21 || s.IndexOf("user:"u8) >= 0
               || (s.Length >= 8 && Ascii.EqualsIgnoreCase(s[..8], "allUsers"u8));
    }

    private static string? Why(ResourceView view, LeafChange leaf, int name)
    {
        var r = view.Resource;
        var after = leaf.AfterText;
        if (after is null)
        {
            return null;
        }

        if (WorldCidrs.Contains(after) && IsIngress(view, leaf, name))
        {
            return $"ingress opens to {after}: reachable from the whole internet";
        }

        switch (name)
        {
            case SourceAddressPrefix when AzureWorld.Contains(after) && !IsOutbound(r):
                return $"inbound rule allows source {after}: reachable from the whole internet";
            case Acl when PublicAcls.Contains(after):
                return $"ACL becomes {after}: objects become publicly readable";
            case OpenSwitch when leaf.AfterBool == true && leaf.BeforeBool != true:
                return $"{leaf.Name} becomes true: the resource gets a public endpoint";
            case PublicNetworkAccess when string.Equals(after, "Enabled", StringComparison.OrdinalIgnoreCase) && leaf.Before is not null:
                return "public network access is enabled";
            case BlockSwitch when leaf.BeforeBool == true && leaf.AfterBool == false:
                return $"{leaf.Name} is switched off: public ACLs or policies are no longer blocked";
            case PublicAccessPrevention when string.Equals(leaf.BeforeText, "enforced", StringComparison.OrdinalIgnoreCase):
                return $"public access prevention goes from enforced to {after}";
        }

        if (PublicMembers.Contains(after.Replace("user:", string.Empty, StringComparison.Ordinal)) || after.StartsWith("allUsers", StringComparison.OrdinalIgnoreCase))
        {
            return $"{after} is granted access: anyone on the internet";
        }

        return null;
    }

    private static bool IsIngress(ResourceView view, LeafChange leaf, int name)
    {
        if (leaf.At.Is(IngressPath) || (view.Type.Get(TypeKind) & IngressType) != 0)
        {
            return true;
        }

        var state = view.Resource.After ?? view.Resource.Before;
        if (string.Equals(Values.Text(state?["type"]), "ingress", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return name == SourceRanges && !string.Equals(Values.Text(state?["direction"]), "EGRESS", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsOutbound(ResourceChange r) =>
        string.Equals(Values.Text((r.After ?? r.Before)?["direction"]), "Outbound", StringComparison.OrdinalIgnoreCase);
}
