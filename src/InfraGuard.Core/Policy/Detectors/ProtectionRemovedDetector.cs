using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

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
