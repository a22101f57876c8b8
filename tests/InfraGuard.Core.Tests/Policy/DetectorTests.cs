using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy.Detectors;
using InfraGuard.Core.Tests.Risk;

namespace InfraGuard.Core.Tests.Policy;

public class DetectorTests
{
    private static List<DetectorHit> Run(string detectorId, params ResourceChange[] changes) => Run(detectorId, new Dictionary<string, decimal>(), changes);

    private static List<DetectorHit> Run(string detectorId, Dictionary<string, decimal> options, params ResourceChange[] changes)
    {
        var set = Some.Set(changes);
        return BuiltInDetectors.Find(detectorId)!.Detect(new DetectorInput(set, set.Changes, StatefulCatalogue.Default, options)).ToList();
    }

    [Theory]
    [InlineData("db.r6g.2xlarge", "db.t4g.medium", -1)]
    [InlineData("m5.4xlarge", "m5.large", -1)]
    [InlineData("m5.large", "m5.4xlarge", 1)]
    [InlineData("db.r6g.large", "db.m6g.large", -1)]
    [InlineData("db.r6g.large", "db.m6g.xlarge", 0)]
    [InlineData("cache.r6g.large", "cache.t4g.micro", -1)]
    [InlineData("r6g.large.search", "r6g.xlarge.search", 1)]
    [InlineData("n2-standard-8", "n2-standard-4", -1)]
    [InlineData("n2-highmem-8", "n2-standard-8", -1)]
    [InlineData("db-custom-4-15360", "db-custom-2-7680", -1)]
    [InlineData("db-custom-2-7680", "db-custom-4-15360", 1)]
    [InlineData("e2-medium", "e2-micro", -1)]
    [InlineData("Standard_D4s_v3", "Standard_D2s_v3", -1)]
    [InlineData("Standard_E8s_v5", "Standard_D8s_v5", -1)]
    [InlineData("GP_Gen5_8", "GP_Gen5_2", -1)]
    public void SizeRank_KnownSizes_Compare(string before, string after, int expected)
    {
        Assert.Equal(expected, SizeRank.Compare(before, after));
    }

    [Theory]
    [InlineData("db.r6g.2xlarge", "n2-standard-4")]
    [InlineData("db.r6g.2xlarge", "[unknown]")]
    [InlineData("large", "small")]
    public void SizeRank_DifferentSchemesOrUnknown_HaveNoOrder(string before, string after)
    {
        Assert.Null(SizeRank.Compare(before, after));
    }

    [Fact]
    public void SizeDowngrade_PulumiAndTerraformRds_NamePropertyBeforeAndAfter()
    {
        var hits = Run("size-downgrade", Some.RdsScaleDown(), Some.TerraformRdsScaleDown());

        Assert.Equal(2, hits.Count);
        Assert.All(hits, h => Assert.Equal(("db.r6g.2xlarge", "db.t4g.medium"), (h.Before, h.After)));
        Assert.Equal(["instanceClass", "instance_class"], hits.Select(h => h.Path));
    }

    [Fact]
    public void SizeDowngrade_NestedGcpTierAndAzureVmSize_AreFound()
    {
        var gcp = Some.Update("google_sql_database_instance", "settings", new JsonArray(new JsonObject { ["tier"] = "db-custom-4-15360" }), new JsonArray(new JsonObject { ["tier"] = "db-custom-1-3840" }));
        var azure = Some.Update("azurerm_linux_virtual_machine", "size", "Standard_D4s_v3", "Standard_D2s_v3", name: "vm");

        var hits = Run("size-downgrade", gcp, azure);

        Assert.Equal(["settings[0].tier", "size"], hits.Select(h => h.Path));
    }

    [Fact]
    public void SizeDowngrade_UpgradeOrUnknownAfter_IsNotAHit()
    {
        Assert.Empty(Run("size-downgrade",
            Some.Update("aws:rds/instance:Instance", "instanceClass", "db.t4g.medium", "db.r6g.2xlarge"),
            Some.Update("aws:rds/instance:Instance", "instanceClass", "db.r6g.2xlarge", Redaction.UnknownMarker, name: "other")));
    }

    [Fact]
    public void CapacityDecrease_NumbersStringsAndQuantities_Decrease()
    {
        var hits = Run("capacity-decrease",
            Some.Update("aws_autoscaling_group", "desired_capacity", 6, 2, name: "web"),
            Some.Update("aws:rds/instance:Instance", "allocatedStorage", "500", "100"),
            Some.Update("kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].resources.limits.memory", "2Gi", "512Mi", name: "api"),
            Some.Update("kubernetes:apps/v1:Deployment", "spec.replicas", 3, 5, name: "up"));

        Assert.Equal(["desired_capacity", "allocatedStorage", "spec.template.spec.containers[0].resources.limits.memory"], hits.Select(h => h.Path));
    }

    [Fact]
    public void CapacityDecrease_UnknownValue_IsNeverADecrease()
    {
        var tf = Some.Resource("aws_autoscaling_group", ChangeOp.Update, "web",
            before: new JsonObject { ["desired_capacity"] = 4, ["max_size"] = 10 },
            after: new JsonObject { ["desired_capacity"] = Redaction.UnknownMarker, ["max_size"] = 10 });

        Assert.Empty(Run("capacity-decrease", tf, Some.Update("aws_ecs_service", "desired_count", 4, Redaction.UnknownMarker, name: "svc")));
    }

    [Fact]
    public void ProtectionRemoved_DeletionProtectionOffAndForceDestroyOn_AreHits()
    {
        var hits = Run("protection-removed",
            Some.Update("aws:rds/instance:Instance", "deletionProtection", true, false),
            Some.Update("aws_s3_bucket", "force_destroy", false, true, name: "logs"),
            Some.Update("aws_instance", "disable_api_termination", true, false, name: "web"),
            Some.Update("aws:rds/instance:Instance", "deletionProtection", false, true, name: "on"));

        Assert.Equal(["deletionProtection", "force_destroy", "disable_api_termination"], hits.Select(h => h.Path));
        Assert.Equal(("true", "false"), (hits[0].Before, hits[0].After));
    }

    [Fact]
    public void ProtectionRemoved_UnknownAfter_IsNotAHit()
    {
        Assert.Empty(Run("protection-removed", Some.Update("aws:rds/instance:Instance", "deletionProtection", true, Redaction.UnknownMarker)));
    }

    [Fact]
    public void RetentionCut_BackupRetentionVersioningAndPitr_AreHits()
    {
        var hits = Run("retention-cut",
            Some.Update("aws:rds/instance:Instance", "backupRetentionPeriod", 7, 1),
            Some.Update("aws_s3_bucket_versioning", "versioning_configuration", new JsonArray(new JsonObject { ["status"] = "Enabled" }), new JsonArray(new JsonObject { ["status"] = "Suspended" }), name: "v"),
            Some.Update("aws_dynamodb_table", "point_in_time_recovery", new JsonArray(new JsonObject { ["enabled"] = true }), new JsonArray(new JsonObject { ["enabled"] = false }), name: "t"),
            Some.Update("aws_cloudwatch_log_group", "retention_in_days", 30, 0, name: "never-expire"),
            Some.Update("aws:rds/instance:Instance", "backupRetentionPeriod", 7, 14, name: "longer"));

        Assert.Equal(["backupRetentionPeriod", "versioning_configuration[0].status", "point_in_time_recovery[0].enabled"], hits.Select(h => h.Path));
    }

    [Fact]
    public void PublicExposure_WorldIngressPublicAclAndPubliclyAccessible_AreHits()
    {
        var sg = Some.Update("aws:ec2/securityGroup:SecurityGroup", "ingress[0].cidrBlocks[0]", "10.0.0.0/8", "0.0.0.0/0", name: "web");
        var egress = Some.Update("aws:ec2/securityGroup:SecurityGroup", "egress[0].cidrBlocks[0]", "10.0.0.0/8", "0.0.0.0/0", name: "out");
        var acl = Some.Update("aws_s3_bucket_acl", "acl", "private", "public-read", name: "b");
        var rds = Some.Resource("aws_db_instance", ChangeOp.Create, "new", after: new JsonObject { ["publicly_accessible"] = true });
        var pab = Some.Resource("aws_s3_bucket_public_access_block", ChangeOp.Delete, "pab", before: new JsonObject { ["block_public_acls"] = true });

        var hits = Run("public-exposure", sg, egress, acl, rds, pab);

        Assert.Equal(["web", "b", "new", "pab"], hits.Select(h => h.Address.Split('.', ':').Last()));
    }

    [Fact]
    public void SecretMaterial_SecretPathChangeAndKmsDelete_AreHitsWithoutValues()
    {
        var password = Some.Update("aws:rds/instance:Instance", "password", Redaction.SecretMarker, Redaction.SecretMarker);
        var key = Some.Resource("aws_kms_key", ChangeOp.Delete, "data");
        var created = Some.Resource("aws_db_instance", ChangeOp.Create, "fresh", after: new JsonObject { ["password"] = Redaction.SecretMarker });

        var hits = Run("secret-material", password, key, created);

        Assert.Equal(2, hits.Count);
        Assert.Equal((Redaction.SecretMarker, Redaction.SecretMarker), (hits[0].Before, hits[0].After));
        Assert.Equal("aws_kms_key.data", hits[1].Address);
    }

    [Fact]
    public void IamPrivilege_WildcardActionAdminAttachmentAndTrustChange_AreHits()
    {
        const string narrow = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}""";
        const string wide = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/*"}]}""";
        var policy = Some.Update("aws_iam_policy", "policy", narrow, wide, name: "p");
        var attach = Some.Resource("aws_iam_role_policy_attachment", ChangeOp.Create, "admin", after: new JsonObject { ["policy_arn"] = "arn:aws:iam::aws:policy/AdministratorAccess", ["role"] = "ci" });
        var trust = Some.Update("aws:iam/role:Role", "assumeRolePolicy", narrow, narrow.Replace("s3:GetObject", "sts:AssumeRole", StringComparison.Ordinal), name: "r");
        var same = Some.Update("aws_iam_policy", "policy", wide, wide.Replace("b/*", "c/*", StringComparison.Ordinal), name: "still-wide");

        var hits = Run("iam-privilege", policy, attach, trust, same);

        Assert.Equal(["the policy gains Action *", "admin-level role arn:aws:iam::aws:policy/AdministratorAccess is granted", "the role's trust policy changes: who can assume the role changes"], hits.Select(h => h.Reason));
    }

    [Fact]
    public void MassDeletion_AtThreshold_FiresOncePlanWide()
    {
        var deletes = Enumerable.Range(0, 3).Select(i => Some.Resource("aws_instance", ChangeOp.Delete, "vm" + i)).ToArray();
        var options = new Dictionary<string, decimal> { ["min-count"] = 3 };

        var hit = Assert.Single(Run("mass-deletion", options, deletes));
        Assert.Equal(string.Empty, hit.Address);
        Assert.StartsWith("3 resources would be deleted or replaced", hit.Reason, StringComparison.Ordinal);
        Assert.Empty(Run("mass-deletion", options, deletes[..2]));
    }

    [Fact]
    public void StatefulDelete_DeleteReplaceAndForget_ScoreDifferently()
    {
        var hits = Run("stateful-delete",
            Some.Resource("aws:rds/instance:Instance", ChangeOp.Delete, "db"),
            Some.Resource("google_sql_database_instance", ChangeOp.Replace, "sql"),
            Some.Resource("kubernetes:core/v1:PersistentVolumeClaim", ChangeOp.Forget, "pvc"),
            Some.Resource("aws_instance", ChangeOp.Delete, "stateless"));

        Assert.Equal([1m, 1m, 0.1m], hits.Select(h => h.Factor));
        Assert.DoesNotContain(hits, h => h.Address.Contains("stateless", StringComparison.Ordinal));
    }

    [Fact]
    public void StatefulCatalogue_CoversCloudsAndKubernetes_AndCanBeExtended()
    {
        var c = StatefulCatalogue.Default;
        string[] stateful = ["aws_db_instance", "aws:rds/cluster:Cluster", "aws_dynamodb_table", "aws:s3/bucket:Bucket", "aws_efs_file_system",
            "aws_elasticache_replication_group", "aws_opensearch_domain", "aws_redshift_cluster", "aws_kms_key", "azurerm_mssql_database",
            "azurerm_cosmosdb_account", "azurerm_storage_account", "google_sql_database_instance", "gcp:bigquery/dataset:Dataset",
            "google_storage_bucket", "google_spanner_instance", "kubernetes:core/v1:PersistentVolume", "kubernetes_stateful_set_v1", "kubernetes:core/v1:Namespace"];
        Assert.All(stateful, t => Assert.True(c.IsStateful(t), t));
        Assert.False(c.IsStateful("aws_instance"));
        Assert.True(c.With(["custom:db/*"]).IsStateful("custom:db/thing:Thing"));
    }

    [Fact]
    public void UnknownOp_FailsClosed()
    {
        var detector = BuiltInDetectors.Find("unknown-op")!;

        Assert.True(detector.AlwaysBlocks);
        Assert.Single(Run("unknown-op", Some.Resource("aws_instance", ChangeOp.Unknown, "x", engineOp: "teleport"), Some.Resource("aws_instance", ChangeOp.Delete, "y")));
    }
}
