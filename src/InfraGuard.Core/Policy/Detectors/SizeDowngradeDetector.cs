using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Instance class / machine type / VM size moved to a smaller size.</summary>
internal sealed class SizeDowngradeDetector : IDetector
{
    private static readonly HashSet<string> SizeNames = new(StringComparer.Ordinal)
    {
        "INSTANCECLASS", "DBINSTANCECLASS", "INSTANCETYPE", "MACHINETYPE", "VMSIZE", "SIZE", "TIER", "NODETYPE",
        "CACHENODETYPE", "SKUNAME", "SKU", "INSTANCESIZE", "NODESIZE", "NODEVMSIZE",
    };

    // Leaf names worth a look, decided once per distinct name.
    private static readonly NameTrait SizeName = NameTrait.Normalised(SizeNames.Contains);

    public string Id => "size-downgrade";

    public string Summary => "an instance class, machine type or VM size moves to a smaller size";

    public string Description =>
        "Looks at properties named instanceClass, instanceType, machineType, vmSize, size, tier, nodeType, skuName "
        + "(any case, _ or -) whose old and new values are both known size names of one cloud: AWS "
        + "(db.r6g.2xlarge, m5.large, cache.t4g.micro), GCP (n2-standard-8, e2-medium, db-custom-4-15360) or Azure "
        + "(Standard_D4s_v3, GP_Gen5_8). Sizes are ranked by estimated memory (vCPUs x GiB per vCPU for the family), "
        + "so a family change that shrinks the machine counts too. Unknown or secret values never count.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            var r = view.Resource;
            foreach (var leaf in view.Leaves)
            {
                if (!leaf.NameFacts.Is(SizeName) || leaf.BeforeIsOpaque || leaf.AfterIsOpaque)
                {
                    continue;
                }

                if (leaf.BeforeText is { } before && leaf.AfterText is { } after && SizeRank.Compare(before, after) < 0)
                {
                    yield return DetectorHit.On(r, $"{leaf.Name} is downsized from {before} to {after}; a smaller machine can run out of memory or CPU under load", leaf.Path, before, after);
                }
            }
        }
    }
}
