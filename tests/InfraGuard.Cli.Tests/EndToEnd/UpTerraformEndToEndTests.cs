using System.Text.Json.Nodes;
using InfraGuard.Testing;

namespace InfraGuard.Cli.Tests.EndToEnd;

/// <summary>
/// `infraguard up` for Terraform/OpenTofu end to end: the real infraguard executable driving the stand-in terraform
/// (tests/StandIn.Terraform, replaying real plans from shared/fixtures/terraform), with decisions from a second
/// infraguard process against the same store. The same scenarios as <see cref="UpEndToEndTests"/> for Pulumi.
/// </summary>
public class UpTerraformEndToEndTests
{
    private const string Alice = "slack:U0EXAMPLEA";
    private const string Bob = "slack:U0EXAMPLEB";

    // Eight deletions: review in production, allowed in development.
    private const string ProdDelete = "snyk-aws-destroy-8";
    private const string DevCreate = "tfcompliance-rds-create";

    private static string[] Up(params string[] extra) => ["up", "--stack", "prod", .. extra];

    private static async Task<string> RequestIdAsync(ProcessRun run)
    {
        var line = await run.WaitForErrorLineAsync("Approval required: change request ");
        return line.Split("change request ")[1].Split(' ')[0];
    }

    [Fact]
    public async Task UpTerraform_DevChange_DetectsEngineAndAppliesTheSavedPlanWithExactCommands()
    {
        using var box = Sandbox.ForTerraform(DevCreate);

        var run = await box.RunAsync(["up", "--stack", "dev", "--", "-var-file=dev.tfvars", "-var", "size=small"]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        Assert.StartsWith("applied cr_", run.Out, StringComparison.Ordinal);
        var plan = Assert.Single(box.Argv("plan"));
        Assert.Equal(["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=300s"], plan[..5]);
        Assert.StartsWith("-out=", plan[5], StringComparison.Ordinal);
        Assert.Equal(["-var-file=dev.tfvars", "-var", "size=small"], plan[6..]);
        var planFile = plan[5]["-out=".Length..];
        Assert.Equal(["show", "-json", "-no-color", planFile], Assert.Single(box.Argv("show")));
        var apply = Assert.Single(box.Argv("apply"));
        Assert.Equal(["apply", "-input=false", "-no-color", "-lock-timeout=300s"], apply[..4]);
        Assert.Equal(5, apply.Length);
        Assert.DoesNotContain("-auto-approve", apply);
        Assert.Empty(box.Argv("init"));
        Assert.All(box.Calls().Where(c => (string?)c["event"] == "started"), c => Assert.Equal("1", (string?)c["env"]!["TF_IN_AUTOMATION"]));
    }

    [Fact]
    public async Task UpTofu_InitAndWorkspaceAsked_RunsTofuInitAndPassesTheWorkspace()
    {
        using var box = Sandbox.ForTerraform(DevCreate);

        var run = await box.RunAsync(["up", "--engine", "tofu", "--workspace", "dev", "--init"]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        Assert.Single(box.Argv("init"));
        var started = box.Calls().Where(c => (string?)c["event"] == "started").ToList();
        Assert.All(started, c => Assert.Equal("dev", (string?)c["env"]!["TF_WORKSPACE"]));
        var shown = JsonNode.Parse((await box.RunAsync(["requests", "show", run.Out.Split(' ')[1].Trim(), "--format", "json"])).Out)!;
        Assert.Equal("dev", (string?)shown["request"]!["stack"]);
    }

    [Fact]
    public async Task UpTerraform_ProdDeletesApprovedByIndependentLead_AppliesThatPlanAndAuditsIt()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var waiting = box.Start(Up());
        var id = await RequestIdAsync(waiting);

        var approve = await box.RunAsync(["approve", id, "--reason", "decommissioning the old stack, agreed"], Alice);
        var run = await waiting.WaitAsync();

        Assert.True(approve.ExitCode == ExitCodes.Ok, approve.Error);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        Assert.Single(box.Argv("apply"));
        var shown = JsonNode.Parse((await box.RunAsync(["requests", "show", id, "--format", "json"])).Out)!;
        Assert.Equal("applied", (string?)shown["request"]!["state"]);
        var audit = (await box.RunAsync(["audit", "list", "--request", id])).Out;
        foreach (var kind in new[] { "plan.submitted", "approval.granted", "deploy.started", "deploy.completed" })
        {
            Assert.Contains(kind, audit, StringComparison.Ordinal);
        }

        Assert.Equal(0, (await box.RunAsync(["audit", "verify"])).ExitCode);
    }

    [Fact]
    public async Task UpTerraform_Rejected_ExitsFourAndAppliesNothing()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var waiting = box.Start(Up());
        var id = await RequestIdAsync(waiting);

        await box.RunAsync(["reject", id, "--reason", "these buckets still serve reports"], Bob);
        var run = await waiting.WaitAsync();

        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Empty(box.Argv("apply"));
    }

    [Fact]
    public async Task UpTerraform_NobodyDecides_ExitsFive()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);

        var run = await box.RunAsync(Up("--wait", "1s"));

        Assert.Equal(ExitCodes.Expired, run.ExitCode);
        Assert.Empty(box.Argv("apply"));
    }

    [Fact]
    public async Task UpTerraform_StateChangedAfterApproval_ExitsSixWithoutApplying()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var waiting = box.Start(Up(), extra: new Dictionary<string, string> { ["STANDIN_CHANGE_STATE_AFTER_PLAN"] = "1" });
        var id = await RequestIdAsync(waiting);

        await box.RunAsync(["approve", id, "--reason", "decommissioning the old stack, agreed"], Alice);
        var run = await waiting.WaitAsync();

        Assert.Equal(ExitCodes.PlanChanged, run.ExitCode);
        Assert.Empty(box.Argv("apply"));
        Assert.Contains("superseded", (await box.RunAsync(["requests", "list"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpTerraform_EngineRefusesStalePlan_ExitsSix()
    {
        using var box = Sandbox.ForTerraform(DevCreate);

        var run = await box.RunAsync(["up", "--stack", "dev"], extra: new Dictionary<string, string> { ["STANDIN_STALE_ON_APPLY"] = "1" });

        Assert.Equal(ExitCodes.PlanChanged, run.ExitCode);
        Assert.Contains("Saved plan is stale", run.Error, StringComparison.Ordinal);
        Assert.Contains("Re-run", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpTerraform_PlanFails_ExitsSevenWithDiagnostics()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);

        var run = await box.RunAsync(Up(), extra: new Dictionary<string, string> { ["STANDIN_FAIL"] = "plan" });

        Assert.Equal(ExitCodes.EngineFailed, run.ExitCode);
        Assert.Contains("Invalid reference", run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Argv("show"));
        Assert.Empty(box.Argv("apply"));
    }

    [Fact]
    public async Task UpTerraform_ApplyFails_ExitsSevenAndRecordsTheFailure()
    {
        using var box = Sandbox.ForTerraform(DevCreate);

        var run = await box.RunAsync(["up", "--stack", "dev"], extra: new Dictionary<string, string> { ["STANDIN_FAIL"] = "apply" });

        Assert.Equal(ExitCodes.EngineFailed, run.ExitCode);
        Assert.Contains("failed", (await box.RunAsync(["requests", "list", "--state", "failed"])).Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-auto-approve")]
    [InlineData("-lock=false")]
    [InlineData("-refresh-only")]
    [InlineData("-out=/tmp/other.tfplan")]
    [InlineData("-state")]
    public async Task UpTerraform_RefusedFlag_IsUsageErrorBeforeAnyEngineCall(string flag)
    {
        using var box = Sandbox.ForTerraform(DevCreate);

        var run = await box.RunAsync(["up", "--stack", "dev", "--", flag]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains(flag.Split('=')[0], run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Calls());
    }

    [Fact]
    public async Task UpTerraform_RunnerKilledWhileWaiting_RerunFindsSameRequestAndItsApproval()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var first = box.Start(Up());
        var id = await RequestIdAsync(first);
        first.Process.Kill(entireProcessTree: true);
        await first.Process.WaitForExitAsync(TestContext.Current.CancellationToken);

        await box.RunAsync(["approve", id, "--reason", "decommissioning the old stack, agreed"], Alice);
        var rerun = await box.RunAsync(Up());

        Assert.True(rerun.ExitCode == ExitCodes.Ok, rerun.Error);
        Assert.Equal($"applied {id}", rerun.Out.Trim());
        Assert.Single(box.Argv("apply"));

        // Like real Terraform, the two plans of the one change carry different timestamps (and differ byte-wise).
        var planned = box.Calls().Where(c => (string?)c["event"] == "planned").Select(c => (string?)c["timestamp"]).ToList();
        Assert.Equal(2, planned.Count);
        Assert.NotEqual(planned[0], planned[1]);
    }

    [Fact]
    public async Task UpTerraform_RunnerKilledThenPlanChangesOneAttribute_NewRequestAndOldApprovalNotUsed()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var first = box.Start(Up());
        var id = await RequestIdAsync(first);
        first.Process.Kill(entireProcessTree: true);
        await first.Process.WaitForExitAsync(TestContext.Current.CancellationToken);
        await box.RunAsync(["approve", id, "--reason", "decommissioning the old stack, agreed"], Alice);

        // The same deletions, but one resource's recorded attribute differs: another change, whatever the timestamps.
        var plan = JsonNode.Parse(File.ReadAllText(box.Environment["STANDIN_TF_PLAN"]))!;
        var before = plan["resource_changes"]![0]!["change"]!["before"]!.AsObject();
        before["tags"] = new JsonObject { ["changed-after-approval"] = "yes" };
        var variant = Path.Combine(box.Root, "variant.plan.json");
        File.WriteAllText(variant, plan.ToJsonString());
        var rerun = box.Start(Up(), extra: new Dictionary<string, string> { ["STANDIN_TF_PLAN"] = variant });
        var second = await RequestIdAsync(rerun);
        rerun.Process.Kill(entireProcessTree: true);
        await rerun.Process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(id, second);
        Assert.Empty(box.Argv("apply"));
        Assert.Contains("pending", (await box.RunAsync(["requests", "show", second])).Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task UpTerraformRefreshOnly_DevDrift_AllowedAndAppliesExactlyTheRefreshOnlyPlan()
    {
        using var box = Sandbox.ForTerraform("tofu-drift");

        var run = await box.RunAsync(["up", "--stack", "dev", "--refresh-only"]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        var id = run.Out.Trim()["applied ".Length..];
        var plan = Assert.Single(box.Argv("plan"));
        Assert.Equal(["plan", "-input=false", "-no-color", "-detailed-exitcode", "-lock-timeout=300s", "-refresh-only"], plan[..6]);
        Assert.StartsWith("-out=", plan[6], StringComparison.Ordinal);
        Assert.Equal(7, plan.Length);
        var apply = Assert.Single(box.Argv("apply"));
        Assert.Equal(["apply", "-input=false", "-no-color", "-lock-timeout=300s"], apply[..4]);
        Assert.Equal(5, apply.Length);
        Assert.DoesNotContain("-refresh-only", apply);
        var shown = (await box.RunAsync(["requests", "show", id])).Out;
        Assert.Contains("refresh-only", shown, StringComparison.Ordinal);
        Assert.Contains("infra.refresh-only", (await box.RunAsync(["requests", "show", id, "--format", "json"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpTerraformRefreshOnly_ProdDropsResourcesDeletedOutsideTerraform_WaitsForReview()
    {
        // Terraform 1.0.0 plan whose drift has six resources deleted outside Terraform: a refresh-only run drops them from state.
        using var box = Sandbox.ForTerraform("tfcompliance-aws-delete-update-drift");

        var run = box.Start(Up("--refresh-only"));
        var id = await RequestIdAsync(run);
        var shown = (await box.RunAsync(["requests", "show", id])).Out;
        run.Process.Kill(entireProcessTree: true);
        await run.Process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.Contains("pending", shown, StringComparison.Ordinal);
        Assert.Contains("refresh-only", shown, StringComparison.Ordinal);
        Assert.Contains("state-drop", shown, StringComparison.Ordinal);
        Assert.Contains("aws_security_group.lambda_sg", shown, StringComparison.Ordinal);
        Assert.Contains("-refresh-only", Assert.Single(box.Argv("plan")));
        Assert.Empty(box.Argv("apply"));
    }

    [Fact]
    public async Task UpPulumi_RefreshOnly_UsageErrorBeforeAnyEngineCall()
    {
        using var box = Sandbox.For("synthetic-dev-scale-down");

        var run = await box.RunAsync(["up", "--stack", "dev", "--refresh-only"]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--refresh-only is for Terraform/OpenTofu", run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Calls());
    }

    [Fact]
    public async Task UpTerraform_InterruptedDuringPlan_ForwardsInterruptAndRecordsCancellation()
    {
        using var box = Sandbox.ForTerraform(ProdDelete);
        var run = box.Start(Up(), extra: new Dictionary<string, string> { ["STANDIN_HANG"] = "plan" });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!box.Calls().Any(c => (string?)c["event"] == "waiting") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        run.Signal("INT");
        await run.WaitAsync();

        Assert.Equal(ExitCodes.Interrupted, run.ExitCode);
        Assert.Contains(box.Calls(), c => (string?)c["event"] == "interrupted");
        Assert.Contains("run.cancelled", (await box.RunAsync(["audit", "list"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_FolderWithNeitherPulumiNorTerraform_IsUsageErrorNamingEngine()
    {
        using var box = Sandbox.ForTerraform(DevCreate);
        File.Delete(Path.Combine(box.Project, "main.tf"));

        var run = await box.RunAsync(["up", "--stack", "dev"]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--engine", run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Calls());
    }
}
