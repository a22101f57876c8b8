using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Policy.Detectors;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Tests.Risk;
using InfraGuard.Terraform.Readers;
using InfraGuard.Testing;

namespace InfraGuard.Core.Tests.Policy;

/// <summary>availability-reduction on real resource shapes: Terraform plans and a Pulumi stack export from shared/fixtures.</summary>
public class AvailabilityReductionDetectorTests
{
    private static List<DetectorHit> Run(params ResourceChange[] changes)
    {
        var set = Some.Set(changes);
        return BuiltInDetectors.Find("availability-reduction")!.Detect(new DetectorInput(set, set.Changes, StatefulCatalogue.Default, new Dictionary<string, decimal>())).ToList();
    }

    private static ResourceChange TerraformAfter(string fixture, string type)
    {
        using var stream = File.OpenRead(Repo.Fixture("terraform", fixture + ".plan.json"));
        return TerraformPlanReader.Read(stream, fixture).Changes.First(c => c.Type == type);
    }

    // The fixture's resource as it is after its plan, turned into an update from `before` to `after`.
    private static ResourceChange Updated(ResourceChange real, Action<JsonObject> before, Action<JsonObject> after)
    {
        var b = (JsonObject)real.After!.DeepClone();
        var a = (JsonObject)real.After!.DeepClone();
        before(b);
        after(a);
        return real with { Op = ChangeOp.Update, EngineOp = "update", Before = b, After = a, Properties = [] };
    }

    [Fact]
    public void AvailabilityReduction_TerraformRdsMultiAzSwitchedOff_Fires()
    {
        var rds = TerraformAfter("tfcompliance-rds-create", "aws_db_instance");

        var hits = Run(Updated(rds, b => b["multi_az"] = true, a => a["multi_az"] = false));

        var hit = Assert.Single(hits);
        Assert.Equal("multi_az", hit.Path);
        Assert.Contains("redundancy", hit.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AvailabilityReduction_PulumiRdsMultiAzSwitchedOff_Fires()
    {
        var export = JsonNode.Parse(File.ReadAllText(Repo.Fixture("pulumi", "stack-exports", "rds-instance-5.42.0-state.json")))!;
        var outputs = (JsonObject)export["deployment"]!["resources"]!.AsArray().Single(r => (string?)r!["type"] == "aws:rds/instance:Instance")!["outputs"]!;
        var real = Some.Resource("aws:rds/instance:Instance", ChangeOp.Update, after: outputs);

        var hits = Run(Updated(real, b => b["multiAz"] = true, a => a["multiAz"] = false));

        Assert.Equal("multiAz", Assert.Single(hits).Path);
    }

    [Fact]
    public void AvailabilityReduction_MultiAzSwitchedOn_DoesNotFire()
    {
        var rds = TerraformAfter("tfcompliance-rds-create", "aws_db_instance");

        Assert.Empty(Run(Updated(rds, b => b["multi_az"] = false, a => a["multi_az"] = true)));
    }

    [Theory]
    [InlineData(10, 1, true)]
    [InlineData(10, 3, false)]
    public void AvailabilityReduction_AutoscalingMaxLowered_FiresOnlyBelowCurrentUse(int oldMax, int newMax, bool fires)
    {
        var asg = TerraformAfter("tfcompliance-asg-elb-launchconfig", "aws_autoscaling_group");

        var hits = Run(Updated(asg, b => b["max_size"] = oldMax, a => a["max_size"] = newMax));

        Assert.Equal(fires, hits.Any(h => h.Path == "max_size"));
    }

    [Fact]
    public void AvailabilityReduction_AutoscalingMinCut_FiresAsNodeCut()
    {
        var asg = TerraformAfter("tfcompliance-asg-elb-launchconfig", "aws_autoscaling_group");

        var hit = Assert.Single(Run(Updated(asg, b => b["min_size"] = 2, a => a["min_size"] = 1)));

        Assert.Equal(("2", "1"), (hit.Before, hit.After));
    }

    [Fact]
    public void AvailabilityReduction_ReadReplicaDeleted_FiresAndPrimaryDeleteDoesNot()
    {
        var rds = TerraformAfter("tfcompliance-rds-create", "aws_db_instance");
        var replica = (JsonObject)rds.After!.DeepClone();
        replica["replicate_source_db"] = "prod-primary";

        var hits = Run(
            rds with { Op = ChangeOp.Delete, Before = replica, After = null, Name = "reader" },
            rds with { Op = ChangeOp.Delete, Before = (JsonObject)rds.After!.DeepClone(), After = null, Name = "primary" });

        var hit = Assert.Single(hits);
        Assert.Contains("prod-primary", hit.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AvailabilityReduction_CloudSqlRegionalToZonal_Fires()
    {
        var sql = TerraformAfter("tfvalidator-google-sql-database-instance", "google_sql_database_instance");

        var hits = Run(Updated(sql, b => SetAvailability(b, "REGIONAL"), a => SetAvailability(a, "ZONAL")));

        Assert.Contains(hits, h => h.Reason.Contains("REGIONAL to ZONAL", StringComparison.Ordinal));
    }

    private static void SetAvailability(JsonObject instance, string value)
    {
        foreach (var settings in instance["settings"]!.AsArray())
        {
            settings!["availability_type"] = value;
        }
    }

    [Fact]
    public void DefaultPack_ProductionMultiAzOff_ScoresTheAvailabilityRule()
    {
        var rds = TerraformAfter("tfcompliance-rds-create", "aws_db_instance");
        var set = Some.Set(Updated(rds, b => b["multi_az"] = true, a => a["multi_az"] = false));
        var pack = PolicyPackLoader.LoadDefault();

        var assessment = RiskEngine.Assess(set, pack, new AssessmentContext("prod", ActorKind.Pipeline));

        Assert.Contains(assessment.Findings, f => f.RuleId == "availability-reduction" && f.Points > 0);
    }
}

/// <summary>A data source that is only read grants nothing (issue 19): iam-privilege must not fire on it.</summary>
public class IamPrivilegeReadTests
{
    [Fact]
    public void IamPrivilege_PolicyDocumentDataSourceRead_DoesNotFireButTheSameUpdateDoes()
    {
        var document = new JsonObject { ["json"] = """{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}""" };
        var read = Some.Resource("aws_iam_policy_document", ChangeOp.Read, "admin", after: document);
        var update = Some.Resource("aws_iam_policy", ChangeOp.Update, "admin", before: new JsonObject { ["policy"] = """{"Statement":[]}""" }, after: new JsonObject { ["policy"] = document["json"]!.DeepClone() });
        var set = Some.Set(read, update);

        var hits = BuiltInDetectors.Find("iam-privilege")!.Detect(new DetectorInput(set, set.Changes, StatefulCatalogue.Default, new Dictionary<string, decimal>())).ToList();

        Assert.NotEmpty(hits);
        Assert.All(hits, h => Assert.Equal("aws_iam_policy", h.Type));
    }
}
