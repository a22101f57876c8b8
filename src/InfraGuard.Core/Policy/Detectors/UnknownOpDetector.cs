using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>An op InfraGuard does not know: fail closed.</summary>
internal sealed class UnknownOpDetector : IDetector
{
    public string Id => "unknown-op";

    public string Summary => "the engine plans an operation InfraGuard does not know (always blocks: fail closed)";

    public string Description =>
        "Fires for every change whose op could not be mapped to a known operation. Any finding of this detector "
        + "blocks the change in every tier, whatever the rule's score or block setting, and runs even when the pack "
        + "has no rule for it.";

    public IReadOnlyList<DetectorOption> Options => [];

    public bool AlwaysBlocks => true;

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            if (view.Op == ChangeOp.Unknown)
            {
                var r = view.Resource;
                yield return DetectorHit.On(r, $"the engine's operation '{r.EngineOp}' is unknown to InfraGuard: refusing rather than guessing");
            }
        }
    }
}
