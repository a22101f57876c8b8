using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Redundancy goes down: Multi-AZ or zone redundancy off, replica or node counts cut, replicas or standbys removed, autoscaling maximum lowered below current use.</summary>
internal sealed class AvailabilityReductionDetector : IDetector
{
    // true → false means less redundancy (AWS multi_az / multiAz, ElastiCache failover, Azure zone_redundant).
    private static readonly NameTrait RedundancyFlag = NameTrait.Normalised(n => n is
        "MULTIAZ" or "MULTIAZENABLED" or "ENABLEMULTIAZ" or "ZONEREDUNDANT" or "ZONEREDUNDANCYENABLED" or "ZONEBALANCE"
        or "AUTOMATICFAILOVERENABLED" or "HIGHAVAILABILITY" or "HAENABLED" or "CROSSZONELOADBALANCING" or "ENABLECROSSZONELOADBALANCING");

    // REGIONAL → ZONAL (Cloud SQL availability_type), ZoneRedundant → SameZone / disabled (Azure high_availability mode).
    private static readonly NameTrait RedundancyMode = NameTrait.Normalised(n => n is "AVAILABILITYTYPE" or "MODE" or "HIGHAVAILABILITYMODE");

    private static readonly NameTrait ReplicaCount = NameTrait.Normalised(n => n is
        "REPLICAS" or "REPLICACOUNT" or "NUMREPLICAS" or "READREPLICAS" or "REPLICASPERNODEGROUP" or "NUMCACHENODES"
        or "NUMCACHECLUSTERS" or "NUMBEROFNODES" or "NODECOUNT" or "NUMNODES" or "INSTANCECOUNT" or "NUMNODEGROUPS"
        or "MINREPLICAS" or "MINSIZE" or "MINCAPACITY" or "MINNODECOUNT" or "DESIREDCAPACITY" or "DESIREDSIZE" or "DESIREDCOUNT");

    private static readonly NameTrait AutoscalingMax = NameTrait.Normalised(n => n is
        "MAXSIZE" or "MAXCAPACITY" or "MAXREPLICAS" or "MAXNODECOUNT" or "MAXNODES" or "MAXINSTANCES" or "MAXINSTANCECOUNT");

    // Top-level settings that say how much is in use now (the autoscaling maximum must stay at or above them).
    private static readonly HashSet<string> CurrentUse = new(StringComparer.Ordinal)
    {
        "DESIREDCAPACITY", "DESIREDSIZE", "DESIREDCOUNT", "MINSIZE", "MINCAPACITY", "MINREPLICAS", "MINNODECOUNT",
    };

    // A deleted resource holding one of these (set) is a replica or standby of another.
    private static readonly HashSet<string> ReplicaOf = new(StringComparer.Ordinal)
    {
        "REPLICATESOURCEDB", "REPLICATIONSOURCEIDENTIFIER", "MASTERINSTANCENAME", "SOURCESERVERID", "SOURCEDBINSTANCEIDENTIFIER", "PRIMARYCLUSTERID",
    };

    public string Id => "availability-reduction";

    public string Summary => "Multi-AZ or zone redundancy off, replica or node counts cut, a replica or standby removed, or an autoscaling maximum lowered below current use";

    public string Description =>
        "Fires when a redundancy flag (multi_az / multiAz, zone_redundant, automatic_failover_enabled, cross-zone load "
        + "balancing) goes from true to false; when availability_type goes REGIONAL → ZONAL or a high-availability mode "
        + "from ZoneRedundant to anything else; when a replica, node or instance count (or a minimum or desired size) "
        + "goes down; when a resource that replicates another (replicate_source_db, master_instance_name, source_server_id …) "
        + "or whose type names a replica is deleted; and when an autoscaling maximum (max_size, maxCapacity, maxReplicas …) "
        + "goes below the old desired or minimum size (or down at all when neither is known). Unknown values never count.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            var r = view.Resource;
            if (r.Op == ChangeOp.Delete && RemovedReplica(r) is { } why)
            {
                yield return DetectorHit.On(r, why);
                continue;
            }

            if (r.Op is not (ChangeOp.Update or ChangeOp.Replace))
            {
                continue;
            }

            var current = (r.Before ?? []).Where(p => CurrentUse.Contains(LeafChange.Normalise(p.Key))).Select(p => Values.Number(p.Value)).Max();
            foreach (var leaf in view.Leaves)
            {
                if (leaf.BeforeIsMarker || leaf.AfterIsMarker)
                {
                    continue;
                }

                if (leaf.NameFacts.Is(RedundancyFlag) && leaf.BeforeBool == true && leaf.AfterBool == false)
                {
                    yield return DetectorHit.On(r, $"{leaf.Name} is switched off: the resource loses its redundancy across zones", leaf.Path, leaf.BeforeDisplay, leaf.AfterDisplay);
                }
                else if (leaf.NameFacts.Is(RedundancyMode) && ModeLosesRedundancy(leaf.BeforeText, leaf.AfterText))
                {
                    yield return DetectorHit.On(r, $"{leaf.Name} goes from {leaf.BeforeText} to {leaf.AfterText ?? "unset"}: the resource loses its redundancy across zones", leaf.Path, leaf.BeforeDisplay, leaf.AfterDisplay ?? "unset");
                }
                else if (leaf.NameFacts.Is(ReplicaCount) && leaf.BeforeNumber is { } before && leaf.AfterNumber is { } after && after < before)
                {
                    yield return DetectorHit.On(r, $"{leaf.Name} is cut from {leaf.BeforeDisplay} to {leaf.AfterDisplay}: fewer replicas or nodes to fail over to", leaf.Path, leaf.BeforeDisplay, leaf.AfterDisplay);
                }
                else if (leaf.NameFacts.Is(AutoscalingMax) && leaf.BeforeNumber is { } oldMax && leaf.AfterNumber is { } newMax && newMax < oldMax && (current is null || newMax < current))
                {
                    var use = current is null ? "" : $", below the {current} in use";
                    yield return DetectorHit.On(r, $"the autoscaling maximum {leaf.Name} is lowered from {leaf.BeforeDisplay} to {leaf.AfterDisplay}{use}", leaf.Path, leaf.BeforeDisplay, leaf.AfterDisplay);
                }
            }
        }
    }

    private static bool ModeLosesRedundancy(string? before, string? after) =>
        (string.Equals(before, "REGIONAL", StringComparison.OrdinalIgnoreCase) && !string.Equals(after, "REGIONAL", StringComparison.OrdinalIgnoreCase))
        || (string.Equals(before, "ZoneRedundant", StringComparison.OrdinalIgnoreCase) && !string.Equals(after, "ZoneRedundant", StringComparison.OrdinalIgnoreCase));

    private static string? RemovedReplica(ResourceChange r)
    {
        if (r.Type.Contains("replica", StringComparison.OrdinalIgnoreCase))
        {
            return $"the replica {r.Name} is deleted";
        }

        foreach (var (key, value) in r.Before ?? [])
        {
            if (ReplicaOf.Contains(LeafChange.Normalise(key)) && Values.Display(value) is { Length: > 0 } source && source != "null")
            {
                return $"the replica or standby {r.Name} of {source} is deleted";
            }
        }

        return null;
    }
}
