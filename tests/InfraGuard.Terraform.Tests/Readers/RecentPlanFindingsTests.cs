using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>What trying recent public plans found (issue 19): OpenTofu's ephemeral open, and the setup-terraform wrapper.</summary>
public class RecentPlanFindingsTests
{
    [Fact]
    public void Read_OpenTofuEphemeralOpen_IsAReadNotUnknown()
    {
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("ephemeral.aws_secretsmanager_secret_version.db", """["open"]""")));

        var change = Assert.Single(set.Changes);
        Assert.Equal(ChangeOp.Read, change.Op);
        Assert.DoesNotContain(ChangeOp.Unknown, set.Counts.Where(c => c.Value > 0).Select(c => c.Key));
    }

    [Fact]
    public void Read_OutputCapturedThroughSetupTerraformWrapper_SaysToTurnTheWrapperOff()
    {
        var captured = "[command]/home/runner/work/_temp/terraform-bin show -json plan.tfplan\n" + TfPlans.Plan(TfPlans.Resource("aws_s3_bucket.logs", """["create"]"""));

        var error = Assert.Throws<PlanReadException>(() => TerraformPlanReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(captured)), "plan.json"));

        Assert.Contains("terraform_wrapper: false", error.Message, StringComparison.Ordinal);
    }
}
