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

/// <summary>Delete or replace of a catalogued stateful resource.</summary>
internal sealed class StatefulDeleteDetector : IDetector
{
    public static readonly DetectorOption ForgetFactor = new("forget-factor", 0.1m, 0m, 1m, "share of the points for a forget or retained delete (data is kept)");

    public string Id => "stateful-delete";

    public string Summary => "a stateful resource (database, bucket, volume, key ...) is deleted or replaced";

    public string Description =>
        "Fires for a delete or replace of a resource whose type is in the stateful catalogue (RDS, DynamoDB, S3, EFS, "
        + "ElastiCache, OpenSearch, Redshift, KMS keys, Azure SQL / Cosmos DB / storage accounts, Cloud SQL, BigQuery, "
        + "GCS, Spanner, Kubernetes PersistentVolume(Claim), StatefulSet, Namespace and more, under Pulumi and "
        + "Terraform names; packs add types with stateful-types:). A forget, or a delete of a resource with "
        + "retainOnDelete, keeps the data and earns only forget-factor of the points.";

    public IReadOnlyList<DetectorOption> Options => [ForgetFactor];

    public IEnumerable<DetectorHit> Detect(DetectorInput input)
    {
        var forget = input.Option(ForgetFactor);
        foreach (var view in input.Views)
        {
            // Only removals can lose data: the catalogue is not worth asking about anything else.
            if (view.Op is not (ChangeOp.Forget or ChangeOp.Delete or ChangeOp.Replace) || !input.Catalogue.IsStateful(view.Type))
            {
                continue;
            }

            var r = view.Resource;
            var kept = r.Op == ChangeOp.Forget || (r.Op == ChangeOp.Delete && r.RetainOnDelete);
            if (kept)
            {
                yield return DetectorHit.On(r, $"stateful {r.Type} is removed from state but kept in the cloud: no data is lost, it is no longer managed", factor: forget);
            }
            else if (r.Op == ChangeOp.Delete)
            {
                yield return DetectorHit.On(r, $"stateful {r.Type} would be deleted: its data is lost");
            }
            else if (r.Op == ChangeOp.Replace)
            {
                var order = r.ReplaceOrder == ReplaceOrder.DeleteBeforeCreate ? " (deleted before the new one exists)" : string.Empty;
                yield return DetectorHit.On(r, $"stateful {r.Type} would be destroyed and re-created{order}: its data is lost");
            }
        }
    }
}

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
