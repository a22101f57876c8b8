using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Numeric capacity settings go down.</summary>
internal sealed class CapacityDecreaseDetector : IDetector
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "COUNT", "REPLICAS", "DESIREDCOUNT", "DESIREDCAPACITY", "DESIREDSIZE", "MINSIZE", "MAXSIZE", "MINCAPACITY",
        "MAXCAPACITY", "MINREPLICAS", "MAXREPLICAS", "ALLOCATEDSTORAGE", "MAXALLOCATEDSTORAGE", "STORAGE",
        "STORAGESIZE", "DISKSIZE", "VOLUMESIZE", "SIZE", "IOPS", "THROUGHPUT", "NUMNODES", "NUMCACHENODES",
        "NUMBEROFNODES", "INITIALNODECOUNT", "MINNODES", "MAXNODES", "MEMORY", "MEMORYSIZE", "CPU", "VCPUS", "CORES",
        "READCAPACITY", "WRITECAPACITY", "SHARDCOUNT", "REPLICASPERNODEGROUP", "NUMNODEGROUPS",
        "PROVISIONEDCONCURRENTEXECUTIONS", "CAPACITY",
    };

    private static readonly string[] Suffixes =
    [
        "COUNT", "REPLICAS", "CAPACITY", "IOPS", "THROUGHPUT", "STORAGEGB", "STORAGEMB", "SIZEGB", "SIZEMB", "SIZEINGB",
        "MEMORYMB", "MEMORYGB", "MEMORYSIZEMB", "NODES",
    ];

    // Capacity-like names that are not retention settings, decided once per distinct name.
    private static readonly NameTrait CapacityName =
        NameTrait.Normalised(name => !name.Contains("RETENTION", StringComparison.Ordinal) && (Names.Contains(name) || HasCapacitySuffix(name)));

    public string Id => "capacity-decrease";

    public string Summary => "a count, replica, size, storage, IOPS, throughput or memory setting goes down";

    public string Description =>
        "Looks at numeric properties named like count, replicas, desiredCapacity, min/max size, allocatedStorage, "
        + "storage, iops, throughput, node count, memory or cpu (any case, _ or -; also names ending in Count, "
        + "Replicas, Capacity, Iops, Throughput, SizeGb, MemoryMb, Nodes). Reads numbers, numeric strings and "
        + "Kubernetes quantities (512Mi, 2Gi, 500m). Fires when the new value is smaller than the old one. Unknown, "
        + "secret or absent values never count as a decrease. Retention settings belong to retention-cut.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            var r = view.Resource;
            foreach (var leaf in view.Leaves)
            {
                if (!leaf.NameFacts.Is(CapacityName))
                {
                    continue;
                }

                if (leaf.BeforeNumber is { } before && leaf.AfterNumber is { } after && after < before)
                {
                    yield return DetectorHit.On(r, $"{leaf.Name} goes down from {leaf.BeforeDisplay} to {leaf.AfterDisplay}", leaf.Path, leaf.BeforeDisplay, leaf.AfterDisplay);
                }
            }
        }
    }

    private static bool HasCapacitySuffix(string name)
    {
        foreach (var suffix in Suffixes)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
