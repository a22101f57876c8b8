using System.Globalization;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Policy.Detectors;

/// <summary>Many deletes or replaces in one plan.</summary>
internal sealed class MassDeletionDetector : IDetector
{
    public static readonly DetectorOption MinCount = new("min-count", 10m, 2m, 100_000m, "deletes and replaces in one plan that trigger it");

    public string Id => "mass-deletion";

    public string Summary => "many resources are deleted or replaced in one plan";

    public string Description =>
        "Counts the plan's deletes and replaces (not forgets, not deletes with retainOnDelete) among the resources "
        + "the rule's conditions select, and fires once, plan-wide, when there are min-count or more. A whole-stack "
        + "destroy or a renamed module that re-creates everything looks like this.";

    public IReadOnlyList<DetectorOption> Options => [MinCount];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        var threshold = input.Option(MinCount);
        var count = 0;
        foreach (var view in input.Views)
        {
            if (view.Op is ChangeOp.Delete or ChangeOp.Replace && !view.RetainOnDelete)
            {
                count++;
            }
        }

        if (count >= threshold)
        {
            var inv = CultureInfo.InvariantCulture;
            yield return new DetectorHit(string.Empty, string.Empty, ChangeOp.Delete, null, null, count.ToString(inv),
                string.Create(inv, $"{count} resources would be deleted or replaced in one plan (threshold {threshold}): check this is not an accidental destroy"));
        }
    }
}
