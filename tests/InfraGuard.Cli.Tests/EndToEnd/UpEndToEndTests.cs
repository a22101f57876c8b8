using System.Text.Json.Nodes;
using InfraGuard.Testing;

namespace InfraGuard.Cli.Tests.EndToEnd;

/// <summary>
/// `infraguard up` end to end: the real infraguard executable driving the stand-in pulumi
/// (tests/StandIn.Pulumi, replaying synthetic scenarios in the real event-log format), with approvals from a second
/// infraguard process against the same store. Identities come from the default pack's example people:
/// carol (platform, the requester), alice and bob (sre-leads).
/// </summary>
public class UpEndToEndTests
{
    private const string Alice = "slack:U0EXAMPLEA";
    private const string Bob = "slack:U0EXAMPLEB";
    private const string Carol = "github:carol-example";

    private static string[] Up(params string[] extra) => ["up", "--stack", "prod", .. extra];

    private static async Task<string> RequestIdAsync(ProcessRun run)
    {
        var line = await run.WaitForErrorLineAsync("Approval required: change request ");
        return line.Split("change request ")[1].Split(' ')[0];
    }

    [Fact]
    public async Task Up_DevHarmlessChange_AppliesWithoutApprovalWithExactCommands()
    {
        using var box = Sandbox.For("synthetic-dev-scale-down");

        var run = await box.RunAsync(["up", "--stack", "dev"]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        Assert.StartsWith("applied cr_", run.Out, StringComparison.Ordinal);
        var preview = Assert.Single(box.Argv("preview"));
        Assert.Equal(["preview", "--non-interactive", "--stack", "dev", "--color=never", "--event-log"], preview[..6]);
        Assert.Equal("--save-plan", preview[7]);
        Assert.Equal(9, preview.Length);
        var up = Assert.Single(box.Argv("up"));
        Assert.Equal(["up", "--non-interactive", "--yes", "--stack", "dev", "--color=never", "--plan"], up[..7]);
        Assert.Equal("--json", up[8]);
        Assert.DoesNotContain("--skip-preview", up);
        var started = box.Calls().First(c => (string?)c["event"] == "started" && (string?)c["argv"]![0] == "preview");
        Assert.Equal("true", (string?)started["env"]!["PULUMI_DEBUG_COMMANDS"]);
    }

    [Fact]
    public async Task Up_WaitingRun_ShowsTheAskThenTheDecisionWithReasonBeforeApplying()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var waiting = box.Start(Up());
        var id = await RequestIdAsync(waiting);
        await waiting.WaitForErrorLineAsync("Details: infraguard requests show");

        var approve = await box.RunAsync(["approve", id, "--reason", "restored from snapshot, safe to drop"], Alice);
        var run = await waiting.WaitAsync();

        Assert.True(approve.ExitCode == ExitCodes.Ok, approve.Error);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        var lines = run.Error.Split('\n');
        int At(string text) => Array.FindIndex(lines, l => l.Contains(text, StringComparison.Ordinal));
        Assert.True(At("wants to delete production database") > At("Approval required"), run.Error);
        Assert.True(At("Findings") > At("wants to delete"), run.Error);
        Assert.True(At("stateful-delete") > At("Findings"), run.Error);
        var decided = At($"Change request {id} was approved; applying exactly the approved plan");
        var reason = At("Approved by alice (slack:U0EXAMPLEA, cli)");
        Assert.True(decided > At("Needs 1 approval"), run.Error);
        Assert.True(reason == decided + 1, run.Error);
        Assert.EndsWith("\"restored from snapshot, safe to drop\"", lines[reason].TrimEnd(), StringComparison.Ordinal);
        Assert.True(At($"Applied {id}") > reason, run.Error);
    }

    [Fact]
    public async Task Up_ProdDeleteApprovedByIndependentLead_AppliesThePlanAndAuditsIt()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var waiting = box.Start(Up());
        var id = await RequestIdAsync(waiting);

        var approve = await box.RunAsync(["approve", id, "--reason", "restored from snapshot, safe to drop"], Alice);
        var run = await waiting.WaitAsync();

        Assert.True(approve.ExitCode == ExitCodes.Ok, approve.Error);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        Assert.Contains("--plan", Assert.Single(box.Argv("up")));
        var shown = JsonNode.Parse((await box.RunAsync(["requests", "show", id, "--format", "json"])).Out)!;
        Assert.Equal("applied", (string?)shown["request"]!["state"]);
        var decision = shown["decisions"]!.AsArray().Single()!;
        Assert.Equal("alice", (string?)decision["approver"]!["personId"]);
        Assert.Equal("restored from snapshot, safe to drop", (string?)decision["reason"]);
        Assert.True((bool)shown["outcome"]!["succeeded"]!);
        Assert.Equal(64, ((string?)shown["request"]!["planHash"])!.Length);

        var audit = await box.RunAsync(["audit", "list", "--request", id]);
        foreach (var kind in new[] { "plan.submitted", "approval.granted", "deploy.started", "deploy.completed" })
        {
            Assert.Contains(kind, audit.Out, StringComparison.Ordinal);
        }

        var verify = await box.RunAsync(["audit", "verify"]);
        Assert.True(verify.ExitCode == 0, verify.Out + verify.Error);
    }

    public static TheoryData<string, string, string> Refusals() => new()
    {
        { Carol, "", "You requested this change" },
        { Bob, "commit", "You authored a commit" },
        { Alice, "agent", "acts on your behalf" },
        { "email:zed@example.com", "", "not eligible" },
        { "github:example-deploy-bot[bot]", "", "Bots" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Approve_NotIndependentOrNotEligible_IsRefusedWithReason(string identity, string setup, string expected)
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        string[] args = setup == "agent" ? Up("--actor-kind", "agent", "--on-behalf-of", "github:alice-example", "--wait", "1s") : Up("--wait", "1s");
        if (setup == "commit")
        {
            box.CommitAs("bob@example.com");
        }

        var first = await box.RunAsync(args);
        var id = first.Out.Split(' ')[1].Trim();

        var approve = await box.RunAsync(["approve", id, "--reason", "looks fine to me, ship it"], identity);

        Assert.Equal(ExitCodes.Expired, first.ExitCode);
        Assert.Equal(ExitCodes.Refused, approve.ExitCode);
        Assert.Contains(expected, approve.Error, StringComparison.Ordinal);
        Assert.Contains("pending", (await box.RunAsync(["requests", "list", "--state", "pending"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_MissingOrShortReason_IsRefused()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var id = (await box.RunAsync(Up("--wait", "1s"))).Out.Split(' ')[1].Trim();

        var missing = await box.RunAsync(["approve", id], Alice);
        var shortReason = await box.RunAsync(["approve", id, "--reason", "ok"], Alice);

        Assert.Equal(ExitCodes.Usage, missing.ExitCode);
        Assert.Contains("--reason", missing.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Refused, shortReason.ExitCode);
        Assert.Contains("reason of at least", shortReason.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_Rejected_ExitsFourAndAppliesNothing()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var waiting = box.Start(Up());
        var id = await RequestIdAsync(waiting);

        var reject = await box.RunAsync(["reject", id, "--reason", "this database still serves reports"], Bob);
        var run = await waiting.WaitAsync();

        Assert.Equal(ExitCodes.Ok, reject.ExitCode);
        Assert.Equal(ExitCodes.Rejected, run.ExitCode);
        Assert.Empty(box.Argv("up"));
    }

    [Fact]
    public async Task Up_NobodyDecides_ExpiresWithExitFive()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var policy = Directory.CreateDirectory(Path.Combine(box.Root, "policy")).FullName;
        var ct = TestContext.Current.CancellationToken;
        await File.WriteAllTextAsync(Path.Combine(policy, "policy.yaml"), (await File.ReadAllTextAsync(Path.Combine(box.Environment["INFRAGUARD_POLICY"], "policy.yaml"), ct)).Replace("expires-after: 4h", "expires-after: 2s", StringComparison.Ordinal)
            .Replace("remind-after: 1h", "remind-after: 1s", StringComparison.Ordinal).Replace("escalate-after: 2h", "escalate-after: 1s", StringComparison.Ordinal), ct); // follow-ups come before expiry

        var run = await box.RunAsync(Up("--policy", policy));

        Assert.Equal(ExitCodes.Expired, run.ExitCode);
        Assert.Contains("expired", run.Error, StringComparison.Ordinal);
        Assert.Contains("expired", (await box.RunAsync(["requests", "list", "--state", "expired"])).Out, StringComparison.Ordinal);
        Assert.Empty(box.Argv("up"));
    }

    [Fact]
    public async Task Up_StateChangedAfterApproval_ExitsSixAndAppliesNothing()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var waiting = box.Start(Up(), extra: new Dictionary<string, string> { ["STANDIN_CHANGE_STATE_AFTER_PREVIEW"] = "1" });
        var id = await RequestIdAsync(waiting);

        await box.RunAsync(["approve", id, "--reason", "restored from snapshot, safe to drop"], Alice);
        var run = await waiting.WaitAsync();

        Assert.Equal(ExitCodes.PlanChanged, run.ExitCode);
        Assert.Contains("re-run to request approval for the new plan", run.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(box.Argv("up"));
        Assert.Contains("superseded", (await box.RunAsync(["requests", "list"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_PreviewFails_ExitsSevenWithEngineDiagnostics()
    {
        using var box = Sandbox.For("synthetic-protected-delete-fails");

        var run = await box.RunAsync(Up());

        Assert.Equal(ExitCodes.EngineFailed, run.ExitCode);
        Assert.Contains("cannot be deleted", run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Argv("up"));
    }

    [Fact]
    public async Task Up_ApplyFails_ExitsSevenAndRecordsTheFailure()
    {
        using var box = Sandbox.For("synthetic-dev-scale-down");

        var run = await box.RunAsync(["up", "--stack", "dev"], extra: new Dictionary<string, string> { ["STANDIN_FAIL"] = "up" });

        Assert.Equal(ExitCodes.EngineFailed, run.ExitCode);
        Assert.Contains("failed", run.Error, StringComparison.Ordinal);
        Assert.Contains("failed", (await box.RunAsync(["requests", "list", "--state", "failed"])).Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_BypassFlagPassedThrough_IsUsageErrorBeforeAnyEngineCall()
    {
        using var box = Sandbox.For("synthetic-dev-scale-down");

        var run = await box.RunAsync(["up", "--stack", "dev", "--", "--skip-preview"]);

        Assert.Equal(ExitCodes.Usage, run.ExitCode);
        Assert.Contains("--skip-preview", run.Error, StringComparison.Ordinal);
        Assert.Empty(box.Calls());
    }

    [Fact]
    public async Task Up_RunnerKilledWhileWaiting_RerunFindsSameRequestAndItsApproval()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var first = box.Start(Up());
        var id = await RequestIdAsync(first);
        first.Process.Kill(entireProcessTree: true);
        await first.Process.WaitForExitAsync(TestContext.Current.CancellationToken);

        await box.RunAsync(["approve", id, "--reason", "restored from snapshot, safe to drop"], Alice);
        var rerun = await box.RunAsync(Up());

        Assert.True(rerun.ExitCode == ExitCodes.Ok, rerun.Error);
        Assert.Equal($"applied {id}", rerun.Out.Trim());
        var list = (await box.RunAsync(["requests", "list"])).Out;
        Assert.Single(list.Split('\n'), l => l.Contains("cr_", StringComparison.Ordinal));
        Assert.Single(box.Argv("up"));
    }

    [Fact]
    public async Task Up_InterruptedDuringPreview_ForwardsInterruptAndRecordsCancellation()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        var run = box.Start(Up(), extra: new Dictionary<string, string> { ["STANDIN_HANG"] = "preview" });
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
    public async Task Up_WithCrossGuardPack_PassesPackAndHandsPreviewAndApplyTokensOnlyWhereExpected()
    {
        using var box = Sandbox.For("synthetic-dev-scale-down");
        var pack = Repo.File("policy-packs", "crossguard");

        var run = await box.RunAsync(["up", "--stack", "dev", "--policy-pack", pack]);

        Assert.True(run.ExitCode == ExitCodes.Ok, run.Error);
        var started = box.Calls().Where(c => (string?)c["event"] == "started").ToList();
        string Command(JsonObject c) => (string)c["argv"]![0]!;
        string? Token(JsonObject c) => (string?)c["env"]?["INFRAGUARD_APPROVAL_TOKEN"];
        var preview = started.Single(c => Command(c) == "preview");
        var up = started.Single(c => Command(c) == "up");
        Assert.Contains(pack, preview["argv"]!.AsArray().Select(a => (string)a!));
        Assert.Contains(pack, up["argv"]!.AsArray().Select(a => (string)a!));
        Assert.All(started.Where(c => Command(c) is "version" or "whoami" or "stack"), c => Assert.Null(Token(c)));

        // Tokens are signed by the approval-token key beside the audit key, never by the audit key itself.
        using var signer = global::InfraGuard.Store.AuditKeyFile.Load(Path.Combine(Path.GetDirectoryName(box.Environment["INFRAGUARD_KEY_FILE"])!, "token-key.pem"));
        using var auditKey = global::InfraGuard.Store.AuditKeyFile.Load(box.Environment["INFRAGUARD_KEY_FILE"]);
        Assert.NotEqual(auditKey.KeyId, signer.KeyId);
        var auditRing = global::InfraGuard.Core.Approvals.ApprovalKeyRing.FromPublicKeys([auditKey.PublicKey]);
        var keys = global::InfraGuard.Core.Approvals.ApprovalKeyRing.FromPublicKeys([signer.PublicKey]);
        var now = DateTimeOffset.UtcNow;
        var previewToken = global::InfraGuard.Core.Approvals.ApprovalToken.Verify(
            Token(preview)!, keys, new("dev", null, global::InfraGuard.Core.Approvals.ApprovalPurpose.Preview), now);
        var request = JsonNode.Parse((await box.RunAsync(["requests", "show", run.Out.Split(' ')[1].Trim(), "--format", "json"])).Out)!["request"]!;
        var applyToken = global::InfraGuard.Core.Approvals.ApprovalToken.Verify(
            Token(up)!, keys, new("dev", (string?)request["planHash"], global::InfraGuard.Core.Approvals.ApprovalPurpose.Apply), now);
        Assert.True(previewToken.IsValid, previewToken.Detail);
        Assert.True(applyToken.IsValid, applyToken.Detail);
        Assert.Equal((string?)request["id"], applyToken.Claims!.RequestId);
        var wrongPurpose = global::InfraGuard.Core.Approvals.ApprovalToken.Verify(
            Token(preview)!, keys, new("dev", (string?)request["planHash"], global::InfraGuard.Core.Approvals.ApprovalPurpose.Apply), now);
        Assert.False(wrongPurpose.IsValid);
        Assert.False(global::InfraGuard.Core.Approvals.ApprovalToken.Verify(Token(up)!, auditRing, new("dev", (string?)request["planHash"], global::InfraGuard.Core.Approvals.ApprovalPurpose.Apply), now).IsValid);
        var audit = (await box.RunAsync(["audit", "list"])).Out;
        Assert.Contains("grant.issued", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Token(up)!, audit, StringComparison.Ordinal);
    }
}
