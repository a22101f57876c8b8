using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Policy violations the engine (CrossGuard) reported.</summary>
internal sealed class EngineViolationDetector : IDetector
{
    public string Id => "engine-violation";

    public string Summary => "a CrossGuard policy reported a violation during the preview";

    public string Description =>
        "Fires for every advisory or mandatory policy violation the engine reported (disabled ones are ignored). "
        + "A mandatory violation also blocks the change outright, with a note. Runs even when the pack has no rule "
        + "for it (5 points).";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var v in input.ChangeSet.Violations)
        {
            if (string.Equals(v.EnforcementLevel, "disabled", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var resource = v.Address is null ? null : input.ChangeSet.Changes.FirstOrDefault(c => c.Address == v.Address);
            yield return new DetectorHit(v.Address ?? string.Empty, resource?.Type ?? string.Empty, resource?.Op ?? ChangeOp.Same, null, null, null,
                $"{v.PolicyPack}/{v.Policy} ({v.EnforcementLevel}): {v.Message}");
        }
    }
}
