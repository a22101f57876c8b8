using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Policy.Detectors;

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
