using System.Text.Json;
using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>Every real plan in shared/fixtures/terraform, plus hand-checked changes from several of them.</summary>
public class TerraformPlanReaderFixtureTests
{
    public static TheoryData<string> Fixtures => new(TfPlans.FixtureNames());

    [Fact]
    public void Fixtures_Listing_HasTheCataloguedFiles() => Assert.True(TfPlans.FixtureNames().Count() >= 25);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Read_Fixture_CountsMatchTheActionsInTheFile(string name)
    {
        var expected = Expected.From(name);

        var set = TfPlans.Fixture(name);

        Assert.Equal(EngineKind.Terraform, set.Engine);
        Assert.Equal(expected.FormatVersion, set.FormatVersion);
        foreach (var op in ChangeOps.All)
        {
            Assert.True(expected.Counts.GetValueOrDefault(op) == set.Counts[op], $"{name}: {op} expected {expected.Counts.GetValueOrDefault(op)}, got {set.Counts[op]}");
        }

        Assert.Equal(expected.ChangedAddresses, set.Changes.Select(c => c.Address));
        Assert.Equal(expected.ChangedEngineOps, set.Changes.Select(c => c.EngineOp));
        Assert.Equal(expected.DriftCount, set.Drift.Count);
        Assert.DoesNotContain(set.Changes, c => c.Op == ChangeOp.Same);
        Assert.Null(set.Stack);
        Assert.Null(set.Project);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Read_Fixture_ChangesCarryTypeProviderAndRootObjects(string name)
    {
        var set = TfPlans.Fixture(name);

        foreach (var change in set.Changes.Concat(set.Drift))
        {
            Assert.False(string.IsNullOrEmpty(change.Type));
            Assert.Equal(change.Address, change.Name);
            Assert.False(string.IsNullOrEmpty(change.Provider)); // "aws" in 0.12 plans, "registry.terraform.io/hashicorp/aws" later
            Assert.Equal(change.Op == ChangeOp.Replace, change.ReplaceOrder is not null);
        }
    }

    [Fact]
    public void Read_ForgetRemoved_IsForgetWithReasonAndNoAfter()
    {
        var change = TfPlans.Fixture("tfplancomment-forget-removed.plan.json").Change("local_file.test2");

        Assert.Equal(ChangeOp.Forget, change.Op);
        Assert.Equal("forget", change.EngineOp);
        Assert.Equal("delete_because_no_resource_config", change.Reason);
        Assert.Null(change.After);
        Assert.Equal("../test2.txt", (string?)change.Before!["filename"]);
        Assert.Equal(PropertyChangeKind.Delete, change.Property("filename").Kind);
    }

    [Fact]
    public void Read_TaintedReplace_IsDeleteBeforeCreateWithTaintedReason()
    {
        var set = TfPlans.Fixture("tfjson-action-reason-tainted.plan.json");
        var change = set.Change("null_resource.example");

        Assert.Equal(ChangeOp.Replace, change.Op);
        Assert.Equal(ReplaceOrder.DeleteBeforeCreate, change.ReplaceOrder);
        Assert.Equal("delete,create", change.EngineOp);
        Assert.Equal("replace_because_tainted", change.Reason);
        Assert.Empty(change.ReplaceReasons);
        Assert.Equal("registry.terraform.io/hashicorp/null", change.Provider);

        // id is recomputed; triggers are unchanged, so they are not a property change.
        var id = change.Property("id");
        Assert.Equal(PropertyChangeKind.Update, id.Kind);
        Assert.Equal("8868159889619753631", (string?)id.Before);
        Assert.Equal(Redaction.UnknownMarker, (string?)id.After);
        Assert.DoesNotContain(change.Properties, p => p.Path.StartsWith("triggers", StringComparison.Ordinal));
        Assert.True(set.Complete);
    }

    [Fact]
    public void Read_CreateBeforeDestroy_IsReplaceCreateBeforeDelete()
    {
        var change = TfPlans.Fixture("checkov-create-before-destroy-secret.plan.json").Change("aws_secretsmanager_secret.default");

        Assert.Equal(ChangeOp.Replace, change.Op);
        Assert.Equal(ReplaceOrder.CreateBeforeDelete, change.ReplaceOrder);
        Assert.Equal("create,delete", change.EngineOp);
        Assert.Null(change.Before); // this fixture's before is null (hand-trimmed upstream)
        Assert.NotNull(change.After);
    }

    [Fact]
    public void Read_ReplacePaths_MarkForcesReplaceAndReplaceReasons()
    {
        var set = TfPlans.Fixture("tfplancomment-replace-paths.plan.json");
        var change = set.Change("local_file.test3");

        Assert.Equal(ChangeOp.Replace, change.Op);
        Assert.Equal(ReplaceOrder.DeleteBeforeCreate, change.ReplaceOrder);
        Assert.Equal("replace_because_cannot_update", change.Reason);
        Assert.Equal(["content"], change.ReplaceReasons);
        var content = change.Property("content");
        Assert.True(content.ForcesReplace);
        Assert.Equal(PropertyChangeKind.Update, content.Kind);
        Assert.StartsWith("just a line", (string?)content.After, StringComparison.Ordinal);
        Assert.False(change.Property("content_md5").ForcesReplace);
        Assert.Equal(Redaction.UnknownMarker, (string?)change.Property("content_md5").After);
        Assert.Equal(1, set.Counts[ChangeOp.Same]);
        Assert.Equal(2, set.Counts[ChangeOp.Replace]);
    }

    [Fact]
    public void Read_OpenTofuRequiresReplace_ReplacePathsAmi()
    {
        var set = TfPlans.Fixture("tofu-requires-replace.plan.json");
        var change = set.Change("test_instance.test");

        Assert.Equal("1.0", set.FormatVersion);
        Assert.Equal(ChangeOp.Replace, change.Op);
        Assert.Equal(["ami"], change.ReplaceReasons);
        Assert.True(change.Property("ami").ForcesReplace);
        Assert.Equal("registry.opentofu.org/hashicorp/test", change.Provider);
        Assert.True(set.Complete); // OpenTofu writes no applyable/complete: not required
    }

    [Fact]
    public void Read_OpenTofuBasicDelete_DeleteWithReason()
    {
        var set = TfPlans.Fixture("tofu-basic-delete.plan.json");
        var delete = set.Change("test_instance.test-delete");

        Assert.Equal(ChangeOp.Delete, delete.Op);
        Assert.Equal("delete_because_no_resource_config", delete.Reason);
        Assert.Null(delete.After);
        Assert.Equal(1, set.Counts[ChangeOp.Update]);
    }

    [Fact]
    public void Read_OpenTofuDrift_KeptApartFromChanges()
    {
        var set = TfPlans.Fixture("tofu-drift.plan.json");

        var drift = Assert.Single(set.Drift);
        Assert.Equal("test_instance.should_refresh", drift.Address);
        Assert.Equal(ChangeOp.Update, drift.Op);
        var ami = drift.Property("ami");
        Assert.Equal(("refresh-me", "refreshed"), ((string?)ami.Before, (string?)ami.After));

        // The planned change of the same resource is in Changes with its own values; drift is not counted.
        var planned = set.Change("test_instance.should_refresh");
        Assert.Equal("baz", (string?)planned.Property("ami").After);
        Assert.Equal(2, set.Counts[ChangeOp.Update]);
        Assert.Equal(2, set.Changes.Count);
    }

    [Fact]
    public void Read_Terraform100DriftWithoutAddress_AddressComposedFromParts()
    {
        var set = TfPlans.Fixture("tfcompliance-aws-delete-update-drift.plan.json");

        Assert.Equal(15, set.Drift.Count);
        Assert.Contains(set.Drift, d => d.Address == "aws_cloudwatch_event_rule.metrics_schedule" && d.Op == ChangeOp.Update);
        Assert.All(set.Drift, d => Assert.DoesNotContain(d, set.Changes));
        var delete = set.Change("aws_cloudwatch_event_rule.Metricos_custom_alert_schedule_frequent[0]");
        Assert.Equal(ChangeOp.Delete, delete.Op);
        Assert.Null(delete.Reason); // 1.0.0 wrote no delete reasons
        Assert.Equal("0.1", set.FormatVersion);
    }

    [Fact]
    public void Read_EbsDrift_UpdateInDriftOnly()
    {
        var set = TfPlans.Fixture("infracost-ebs-attachment-drift.plan.json");

        var drift = Assert.Single(set.Drift);
        Assert.Equal("aws_ebs_volume.storage", drift.Address);
        Assert.DoesNotContain(set.Changes, c => c.Address == "aws_ebs_volume.storage" && c.Op == ChangeOp.Update);
        Assert.Equal(3, set.Counts[ChangeOp.Create]);
        Assert.Equal(1, set.Counts[ChangeOp.Same]);
    }

    [Fact]
    public void Read_Tf014NestedModules_DbUpdateListShrinksElementWise()
    {
        var set = TfPlans.Fixture("infracost-rds-ec2-26res-tf014.plan.json");
        var db = set.Change("module.db.module.db_1.module.db_instance.aws_db_instance.this[0]");

        Assert.Equal("0.1", set.FormatVersion);
        Assert.Equal(ChangeOp.Update, db.Op);
        var sg = db.Property("vpc_security_group_ids[0]");
        Assert.Equal(PropertyChangeKind.Delete, sg.Kind);
        Assert.Equal("sg-5277e14a", (string?)sg.Before);
        Assert.Equal(0L, (long)db.After!["backup_retention_period"]!);
        Assert.False((bool)db.After!["deletion_protection"]!);
        Assert.Equal(Redaction.SecretMarker, (string?)db.After!["password"]);
        Assert.Contains("password", db.SensitivePaths);
        Assert.Equal(6, set.Changes.Count(c => c.Type == "aws_instance" && c.Op == ChangeOp.Create)); // the other 6 are no-op
    }

    [Fact]
    public void Read_EncryptionDisabledUpdate_NestedListPath()
    {
        var change = TfPlans.Fixture("snyk-aws-update-encryption-disabled.plan.json").Change("aws_codebuild_project.some_projed");

        var flag = change.Property("artifacts[0].encryption_disabled");
        Assert.Equal(PropertyChangeKind.Update, flag.Kind);
        Assert.False((bool)flag.Before!);
        Assert.True((bool)flag.After!);
    }

    [Fact]
    public void Read_WholeStackDestroy_EightDeletesWithBeforeOnly()
    {
        var set = TfPlans.Fixture("snyk-aws-destroy-8.plan.json");

        Assert.Equal(8, set.Counts[ChangeOp.Delete]);
        var bucket = set.Change("aws_s3_bucket.terra_ci");
        Assert.Null(bucket.After);
        Assert.Equal("terra-ci-artifacts-eu-west-1-000002", (string?)bucket.Before!["bucket"]);
        Assert.False((bool)bucket.Property("force_destroy").Before!);
    }

    [Fact]
    public void Read_DataSourceReads_ReadOpWithReasonAndStringIndex()
    {
        var set = TfPlans.Fixture("checkov-iam-oidc-read-reasons.plan.json");
        var read = set.Change("module.poc.data.aws_iam_policy_document.r4[\"p1\"]");

        Assert.Equal(ChangeOp.Read, read.Op);
        Assert.Equal("read_because_dependency_pending", read.Reason);
        Assert.Equal("aws_iam_policy_document", read.Type);
        Assert.Equal(4, set.Counts[ChangeOp.Read]);
        Assert.Equal("1.2", set.FormatVersion);
    }

    [Fact]
    public void Read_IdentityUpdate_UpdateOfAgeAndNameOnly()
    {
        var change = TfPlans.Fixture("tfjson-identity-update.plan.json").Change("corner_user_identity.user");

        Assert.Equal(ChangeOp.Update, change.Op);
        Assert.Equal("imports an existing object", change.Reason);
        Assert.Equal(["age", "name"], change.Properties.Select(p => p.Path).Order(StringComparer.Ordinal));
        var age = change.Property("age");
        Assert.Equal(PropertyChangeKind.Add, age.Kind); // null -> 999: absent before
        Assert.Equal(999L, (long)age.After!);
    }

    [Fact]
    public void Read_AsgWithUnknownDesiredCapacity_UnknownMarkerNotNull()
    {
        var set = TfPlans.Fixture("tfcompliance-asg-elb-launchconfig.plan.json");
        var asg = Assert.Single(set.Changes, c => c.Type == "aws_autoscaling_group");

        Assert.Equal(Redaction.UnknownMarker, (string?)asg.After!["desired_capacity"]);
        Assert.True(Redaction.IsUnknown(asg.Property("desired_capacity").After));
        Assert.Equal(10L, (long)asg.After!["max_size"]!);
    }

    [Fact]
    public void Read_Tf114AndTf19Flags_CompleteWhenNotErrored()
    {
        Assert.True(TfPlans.Fixture("tfcompliance-tf114-eventbridge.plan.json").Complete);
        var gcp = TfPlans.Fixture("gcpconv-compute-instance-iam-drift.plan.json");
        Assert.True(gcp.Complete);
        Assert.Null(gcp.IncompleteReason);
        Assert.Empty(gcp.Drift); // resource_drift: []
    }

    [Fact]
    public void Read_Create300_AllCreatesInOrder()
    {
        var set = TfPlans.Fixture("tfplancomment-create-300.plan.json");

        Assert.Equal(300, set.Counts[ChangeOp.Create]);
        Assert.Equal(300, set.Changes.Count);
        Assert.All(set.Changes, c => Assert.Null(c.Before));
    }

    /// <summary>What a plain JsonDocument pass over the file says the reader should find.</summary>
    private sealed record Expected(string? FormatVersion, Dictionary<ChangeOp, int> Counts, List<string> ChangedAddresses, List<string> ChangedEngineOps, int DriftCount)
    {
        private static readonly Dictionary<string, ChangeOp> Ops = new(StringComparer.Ordinal)
        {
            ["no-op"] = ChangeOp.Same, ["create"] = ChangeOp.Create, ["read"] = ChangeOp.Read, ["update"] = ChangeOp.Update,
            ["delete"] = ChangeOp.Delete, ["forget"] = ChangeOp.Forget, ["delete,create"] = ChangeOp.Replace, ["create,delete"] = ChangeOp.Replace,
        };

        public static Expected From(string name)
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(TfPlans.FixturePath(name)));
            var root = document.RootElement;
            var counts = new Dictionary<ChangeOp, int>();
            var addresses = new List<string>();
            var engineOps = new List<string>();
            foreach (var rc in root.GetProperty("resource_changes").EnumerateArray())
            {
                var actions = string.Join(',', rc.GetProperty("change").GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
                var op = Ops[actions];
                counts[op] = counts.GetValueOrDefault(op) + 1;
                if (op != ChangeOp.Same)
                {
                    addresses.Add(rc.GetProperty("address").GetString()!);
                    engineOps.Add(actions);
                }
            }

            var drift = root.TryGetProperty("resource_drift", out var d) && d.ValueKind == JsonValueKind.Array ? d.GetArrayLength() : 0;
            return new Expected(root.GetProperty("format_version").GetString(), counts, addresses, engineOps, drift);
        }
    }
}
