namespace InfraGuard.Core.Policy.Detectors;

/// <summary>The detectors rules can name with <c>detector: ID</c>.</summary>
public static class BuiltInDetectors
{
    /// <summary>Detectors that run even when a pack has no rule naming them, so that nothing fails open.</summary>
    public static IReadOnlyList<string> AlwaysOn { get; } = ["unknown-op", "failed-step", "engine-violation"];

    /// <summary>Every built-in detector, in documentation order.</summary>
    public static IReadOnlyList<IDetector> All { get; } =
    [
        new SizeDowngradeDetector(),
        new CapacityDecreaseDetector(),
        new AvailabilityReductionDetector(),
        new ProtectionRemovedDetector(),
        new RetentionCutDetector(),
        new PublicExposureDetector(),
        new SecretMaterialDetector(),
        new IamPrivilegeDetector(),
        new MassDeletionDetector(),
        new StatefulDeleteDetector(),
        new UnknownOpDetector(),
        new FailedStepDetector(),
        new EngineViolationDetector(),
    ];

    /// <summary>The detector with this id (case-insensitive), or null.</summary>
    public static IDetector? Find(string id) =>
        All.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.OrdinalIgnoreCase));

    /// <summary>Multi-line description of a detector for <c>infraguard policy explain</c>.</summary>
    public static string Describe(IDetector detector)
    {
        var lines = new List<string> { $"detector {detector.Id}: {detector.Summary}", "  " + detector.Description };
        lines.AddRange(detector.Options.Select(o => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  option {o.Name} (default {o.Default}, {o.Min}..{o.Max}): {o.Description}")));
        if (detector.AlwaysBlocks)
        {
            lines.Add("  any finding blocks the change in every tier");
        }

        return string.Join('\n', lines);
    }
}
