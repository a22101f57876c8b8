using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Policy.Detectors;

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
