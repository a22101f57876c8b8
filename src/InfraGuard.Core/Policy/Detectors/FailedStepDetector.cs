using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Steps the engine reported as failed during planning.</summary>
internal sealed class FailedStepDetector : IDetector
{
    public string Id => "failed-step";

    public string Summary => "the engine reported a step as failed while planning (e.g. deleting a protected resource)";

    public string Description =>
        "Fires for every change the engine marked as failed during the preview, such as an attempt to delete a "
        + "protected resource. Runs even when the pack has no rule for it (10 points).";

    public IReadOnlyList<DetectorOption> Options => [];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        foreach (var view in input.Views)
        {
            if (view.Failed)
            {
                var r = view.Resource;
                yield return DetectorHit.On(r, $"the engine reports the {ChangeOps.Name(r.Op)} of {r.Name} as failed{(r.Protected ? " (the resource is protected)" : string.Empty)}");
            }
        }
    }
}
