using InfraGuard.Core.Changes;
using InfraGuard.Core.Risk;

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

/// <summary>Deletion or termination protection is switched off.</summary>
internal sealed class ProtectionRemovedDetector : IDetector
{
    // Names where true means "protected".
    private static readonly HashSet<string> OnMeansProtected = new(StringComparer.Ordinal)
    {
        "DELETIONPROTECTION", "DELETIONPROTECTIONENABLED", "ENABLEDELETIONPROTECTION", "TERMINATIONPROTECTION",
        "ENABLETERMINATIONPROTECTION", "PROTECT", "PREVENTDESTROY", "DISABLEAPITERMINATION", "DISABLEAPISTOP",
    };

    // Names where true means "not protected".
    private static readonly HashSet<string> OnMeansUnprotected = new(StringComparer.Ordinal)
    {
        "FORCEDESTROY", "SKIPFINALSNAPSHOT", "FORCEDELETE",
    };

    private const int Protects = 1, Unprotects = 2;

    // Which of the two lists a leaf name is in, decided once per distinct name.
    private static readonly NameTrait Switch = new(n =>
        OnMeansProtected.Contains(n.Normalised) ? Protects : OnMeansUnprotected.Contains(n.Normalised) ? Unprotects : 0);

    public string Id => "protection-removed";

    public string Summary => "deletion or termination protection is switched off";

    public string Description =>
        "Fires when deletionProtection / deletion_protection / terminationProtection / Pulumi protect / prevent_destroy "
        + "or disableApiTermination goes from true (or ENABLED) to false (or DISABLED, or is removed), and "
        + "when force_destroy, skip_final_snapshot or forceDelete goes from false (or unset) to true. Unknown values never count.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            if (view.Op == ChangeOp.Create)
            {
                continue;
            }

            var r = view.Resource;
            foreach (var leaf in view.Leaves)
            {
                if (Removed(leaf))
                {
                    var before = leaf.BeforeDisplay ?? "unset";
                    var after = leaf.AfterDisplay ?? "unset";
                    yield return DetectorHit.On(r, $"{leaf.Name} changes from {before} to {after}: the resource loses its protection against deletion", leaf.Path, before, after);
                }
            }
        }
    }

    private static bool Removed(LeafChange leaf)
    {
        var kind = leaf.NameFacts.Get(Switch);
        if (kind == 0 || leaf.BeforeIsMarker || leaf.AfterIsMarker)
        {
            return false;
        }

        if (kind == Protects)
        {
            return Flag(leaf.BeforeBool, leaf.BeforeIsOpaque, leaf.BeforeText) == true
                   && ((leaf.After is null && leaf.FromDiff) || Flag(leaf.AfterBool, leaf.AfterIsOpaque, leaf.AfterText) == false);
        }

        return (leaf.Before is null || Flag(leaf.BeforeBool, leaf.BeforeIsOpaque, leaf.BeforeText) == false)
               && Flag(leaf.AfterBool, leaf.AfterIsOpaque, leaf.AfterText) == true;
    }

    // A boolean, or ENABLED / DISABLED in any case; nothing for unknown, secret or absent values.
    private static bool? Flag(bool? value, bool opaque, string? text) =>
        value ?? (opaque ? null : text?.ToUpperInvariant() switch
        {
            "ENABLED" => true,
            "DISABLED" => false,
            _ => null,
        });
}

/// <summary>Backup or log retention is shortened, versioning or point-in-time recovery switched off.</summary>
internal sealed class RetentionCutDetector : IDetector
{
    private static readonly string[] RetentionWords = ["RETENTION", "RECOVERYWINDOW", "DELETIONWINDOW"];
    private static readonly string[] RecoveryWords = ["VERSIONING", "POINTINTIMERECOVERY", "BACKUP", "BINARYLOG"];

    private const int RetentionWord = 1, RetentionInDays = 2, DeleteAutomatedBackups = 4;
    private const int RecoveryWord = 1, Versioning = 2;

    // What a leaf name says, decided once per distinct name.
    private static readonly NameTrait NameKind = new(n =>
        (ContainsAny(n.Normalised, RetentionWords) ? RetentionWord : 0)
        | (n.Normalised == "RETENTIONINDAYS" ? RetentionInDays : 0)
        | (n.Normalised == "DELETEAUTOMATEDBACKUPS" ? DeleteAutomatedBackups : 0));

    // What a path mentions, decided once per distinct path.
    private static readonly NameTrait PathKind = new(p =>
        (ContainsAny(p.Normalised, RecoveryWords) ? RecoveryWord : 0)
        | (p.Normalised.Contains("VERSIONING", StringComparison.Ordinal) ? Versioning : 0));

    public string Id => "retention-cut";

    public string Summary => "backup or log retention is shortened, or versioning / point-in-time recovery / backups are switched off";

    public string Description =>
        "Fires when a numeric property whose name mentions retention, recovery window or deletion window goes down "
        + "(backupRetentionPeriod 7 -> 1, retention_in_days 90 -> 30; CloudWatch's retention 0 means 'never expire' "
        + "and is not a cut); when a boolean under a versioning, point-in-time-recovery, backup or binary-log path goes "
        + "from true to false; when a versioning status goes from Enabled to anything else; and when "
        + "delete_automated_backups goes from false to true. Unknown values never count.";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            if (view.Op == ChangeOp.Create)
            {
                continue;
            }

            var r = view.Resource;
            foreach (var leaf in view.Leaves)
            {
                if (Why(leaf) is { } why)
                {
                    yield return DetectorHit.On(r, why, leaf.Path, leaf.BeforeDisplay ?? "unset", leaf.AfterDisplay ?? "unset");
                }
            }
        }
    }

    private static string? Why(LeafChange leaf)
    {
        var name = leaf.NameFacts.Get(NameKind);
        var path = leaf.At.Get(PathKind);
        if (name == 0 && path == 0)
        {
            return null;
        }

        if ((name & RetentionWord) != 0 && leaf.BeforeNumber is { } nb && leaf.AfterNumber is { } na && na < nb)
        {
            var neverExpires = na == 0 && (name & RetentionInDays) != 0;
            return neverExpires ? null : $"{leaf.Name} is cut from {nb} to {na}: less history to restore from";
        }

        if ((name & DeleteAutomatedBackups) != 0 && leaf.BeforeBool == false && leaf.AfterBool == true)
        {
            return "automated backups would be deleted with the instance";
        }

        if ((path & RecoveryWord) != 0 && (name & DeleteAutomatedBackups) == 0)
        {
            if (leaf.BeforeBool == true && leaf.AfterBool == false)
            {
                return $"{leaf.Path} is switched off: versions, backups or point-in-time recovery stop";
            }

            if ((path & Versioning) != 0 && !leaf.AfterIsOpaque
                && string.Equals(leaf.BeforeText, "Enabled", StringComparison.OrdinalIgnoreCase)
                && !string.Equals(leaf.AfterText, "Enabled", StringComparison.OrdinalIgnoreCase))
            {
                return $"versioning goes from Enabled to {leaf.AfterDisplay ?? "unset"}: overwritten and deleted objects can no longer be recovered";
            }
        }

        return null;
    }

    private static bool ContainsAny(string text, string[] words)
    {
        foreach (var word in words)
        {
            if (text.Contains(word, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
