using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>Action lists and addressing cases the real fixtures lack (TestData/synthetic-actions.plan.json, synthetic).</summary>
public class TerraformPlanReaderActionTests
{
    [Theory]
    [InlineData("""["no-op"]""", ChangeOp.Same, null)]
    [InlineData("""["create"]""", ChangeOp.Create, null)]
    [InlineData("""["read"]""", ChangeOp.Read, null)]
    [InlineData("""["update"]""", ChangeOp.Update, null)]
    [InlineData("""["delete"]""", ChangeOp.Delete, null)]
    [InlineData("""["forget"]""", ChangeOp.Forget, null)]
    [InlineData("""["delete","create"]""", ChangeOp.Replace, ReplaceOrder.DeleteBeforeCreate)]
    [InlineData("""["create","delete"]""", ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete)]
    [InlineData("""["create","forget"]""", ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete)]
    [InlineData("""["forget","create"]""", ChangeOp.Replace, ReplaceOrder.DeleteBeforeCreate)]
    [InlineData("""["update","delete"]""", ChangeOp.Unknown, null)]
    [InlineData("""["open"]""", ChangeOp.Read, null)]
    [InlineData("""["Create"]""", ChangeOp.Unknown, null)]
    [InlineData("""[]""", ChangeOp.Unknown, null)]
    [InlineData("""[1]""", ChangeOp.Unknown, null)]
    [InlineData("""null""", ChangeOp.Unknown, null)]
    public void Read_ActionList_MapsToOp(string actions, ChangeOp op, ReplaceOrder? order)
    {
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_db_instance.main", actions, """ "before":{"a":1},"after":{"a":1} """)));

        Assert.Equal(1, set.Counts[op]);
        Assert.Equal(1, set.Counts.Values.Sum());
        if (op == ChangeOp.Same)
        {
            Assert.Empty(set.Changes);
            return;
        }

        var change = Assert.Single(set.Changes);
        Assert.Equal(op, change.Op);
        Assert.Equal(order, change.ReplaceOrder);
    }

    [Fact]
    public void Read_MissingChangeObject_UnknownNotException()
    {
        var set = TfPlans.Text(TfPlans.Plan("""{"address":"aws_vpc.main","type":"aws_vpc"}"""));

        var change = Assert.Single(set.Changes);
        Assert.Equal(ChangeOp.Unknown, change.Op);
        Assert.Equal("(no change.actions)", change.EngineOp);
    }

    [Fact]
    public void Read_SyntheticActions_DeposedObjectHasItsOwnAddress()
    {
        var set = TfPlans.TestData("synthetic-actions.plan.json");

        var deposed = set.Change("aws_instance.web (deposed object 1a2b3c4d)");
        Assert.Equal(ChangeOp.Delete, deposed.Op);
        Assert.Equal("aws_instance", deposed.Type);
        Assert.Equal("i-0deposed", (string?)deposed.Before!["id"]);
        Assert.Contains("deposed", deposed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(set.Changes, c => c.Address == "aws_instance.web"); // the current object is a no-op
    }

    [Fact]
    public void Read_SyntheticActions_ForgetReplacementsBothOrders()
    {
        var set = TfPlans.TestData("synthetic-actions.plan.json");

        var terraform = set.Change("aws_s3_bucket.logs");
        Assert.Equal((ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete, "create,forget"), (terraform.Op, terraform.ReplaceOrder, terraform.EngineOp));
        Assert.Equal(Redaction.UnknownMarker, (string?)terraform.Property("arn").After);
        var tofu = set.Change("aws_s3_bucket.assets");
        Assert.Equal((ChangeOp.Replace, ReplaceOrder.DeleteBeforeCreate, "forget,create"), (tofu.Op, tofu.ReplaceOrder, tofu.EngineOp));
        Assert.Equal("forgot_because_lifecycle_destroy_in_config", tofu.Reason);
    }

    [Fact]
    public void Read_SyntheticActions_UnknownActionsFailClosed()
    {
        var set = TfPlans.TestData("synthetic-actions.plan.json");

        Assert.Equal(1, set.Counts[ChangeOp.Unknown]);
        Assert.Equal("update,delete", set.Change("aws_kms_key.main").EngineOp);
        Assert.Equal(ChangeOp.Unknown, set.Change("aws_kms_key.main").Op);
        Assert.Equal("open", set.Change("ephemeral_thing.session").EngineOp);
        Assert.Equal(ChangeOp.Read, set.Change("ephemeral_thing.session").Op);
    }

    [Fact]
    public void Read_SyntheticActions_NoOpWithImportingIsImport()
    {
        var set = TfPlans.TestData("synthetic-actions.plan.json");

        var import = set.Change("aws_iam_role.imported");
        Assert.Equal(ChangeOp.Import, import.Op);
        Assert.Equal("no-op", import.EngineOp);
        Assert.Empty(import.Properties);
        Assert.Equal(1, set.Counts[ChangeOp.Same]);
        Assert.Equal(1, set.Counts[ChangeOp.Import]);
    }

    [Fact]
    public void Read_SyntheticActions_StringIndexAndRequestedReplace()
    {
        var change = TfPlans.TestData("synthetic-actions.plan.json").Change("aws_route53_record.www[\"a.example.com\"]");

        Assert.Equal("replace_by_request", change.Reason);
        Assert.Empty(change.ReplaceReasons);
        var record = change.Property("records[0]");
        Assert.Equal(("1.2.3.4", "1.2.3.5"), ((string?)record.Before, (string?)record.After));
        Assert.False(record.ForcesReplace);
    }

    [Fact]
    public void Read_SyntheticActions_DriftWithoutAddressInModuleAndDataMode()
    {
        var set = TfPlans.TestData("synthetic-actions.plan.json");

        var drift = Assert.Single(set.Drift);
        Assert.Equal("module.net.data.aws_subnets.private[\"eu-west-1a\"]", drift.Address);
        Assert.Equal(PropertyChangeKind.Add, drift.Property("ids[1]").Kind);
        Assert.DoesNotContain(set.Changes, c => c.Address == drift.Address);
        Assert.Equal(8, set.Counts.Values.Sum()); // resource_changes only
    }

    [Fact]
    public void Read_SyntheticActions_SkippedSectionsNeverReachTheModel()
    {
        var json = TfPlans.Serialise(TfPlans.TestData("synthetic-actions.plan.json"));

        Assert.DoesNotContain("prior-state-value-q7", json, StringComparison.Ordinal);
        Assert.DoesNotContain("variables-section-value-z9", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"errored":true}""", false, "errored")]
    [InlineData("""{"complete":false}""", false, "complete")]
    [InlineData("""{"applyable":false}""", false, "applyable")]
    [InlineData("""{"applyable":true,"complete":true,"errored":false}""", true, null)]
    [InlineData("""{}""", true, null)]
    public void Read_StatusFlags_SetComplete(string flags, bool complete, string? reasonMentions)
    {
        var extra = "," + flags.Trim('{', '}');
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_vpc.main", """["create"]"""), extra.Length > 1 ? extra : ""));

        Assert.Equal(complete, set.Complete);
        if (reasonMentions is null)
        {
            Assert.Null(set.IncompleteReason);
        }
        else
        {
            Assert.Contains(reasonMentions, set.IncompleteReason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Read_NotApplyableWithoutChanges_StillComplete()
    {
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_vpc.main", """["no-op"]"""), ""","applyable":false,"complete":true,"errored":false"""));

        Assert.True(set.Complete);
        Assert.Empty(set.Changes);
        Assert.Equal(1, set.Counts[ChangeOp.Same]);
    }

    [Fact]
    public void Read_NoResourceChangesKey_EmptyPlan()
    {
        var set = TfPlans.Text("""{"format_version":"1.2","planned_values":{},"errored":false}""");

        Assert.Empty(set.Changes);
        Assert.All(set.Counts.Values, n => Assert.Equal(0, n));
        Assert.True(set.Complete);
    }

    [Theory]
    [InlineData("0.1")]
    [InlineData("0.2")]
    [InlineData("1.0")]
    [InlineData("1.2")]
    [InlineData("1.99")]
    public void Read_SupportedFormatVersions_Accepted(string version) =>
        Assert.Equal(version, TfPlans.Text($$"""{"format_version":"{{version}}","resource_changes":[]}""").FormatVersion);
}
