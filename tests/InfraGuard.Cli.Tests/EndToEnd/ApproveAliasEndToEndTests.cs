using InfraGuard.Testing;

namespace InfraGuard.Cli.Tests.EndToEnd;

/// <summary>
/// Security review 1, F1 with the real <c>infraguard</c> executable: an unmapped requester (dave@corp.com) asks for a
/// staging change, then tries to approve it under other spellings of his identity.
/// </summary>
public class ApproveAliasEndToEndTests
{
    private static readonly string[] Aliases =
    [
        " dave@corp.com ", "dave@corp.com\t", "email:dave@corp.com", "person:dave@corp.com", "dave@corp.com.", "dаve@corp.com", "mailto:dave@corp.com",
        "Dave <DAVE@CORP.COM>", "d\u200Bave@corp.com", "ｄａｖｅ@corp.com",
    ];

    /// <summary>The default pack with staging reviewing from 10 points, as in the review's test policy.</summary>
    private static async Task<string> StagingReviewPolicyAsync(Sandbox box)
    {
        var policy = Directory.CreateDirectory(Path.Combine(box.Root, "policy")).FullName;
        var ct = TestContext.Current.CancellationToken;
        var pack = await File.ReadAllTextAsync(Repo.File("policy-packs", "infraguard", "policy.yaml"), ct);
        const string staging = "  staging:\n    stacks: [staging, stage, staging-*, \"*/staging\", \"*/stage\"]\n    review-at: 60";
        Assert.Contains(staging, pack, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(policy, "policy.yaml"), pack.Replace(staging, staging[..^2] + "10", StringComparison.Ordinal), ct);
        return policy;
    }

    [Fact]
    public async Task Approve_AliasOfTheUnmappedRequester_RefusedWithReasonAndLeftPending()
    {
        using var box = Sandbox.For("synthetic-prod-db-delete");
        box.Environment["INFRAGUARD_REQUESTER"] = "dave@corp.com";
        var policy = await StagingReviewPolicyAsync(box);
        var up = await box.RunAsync(["up", "--stack", "staging", "--policy", policy, "--wait", "1s"]);
        Assert.True(up.ExitCode == ExitCodes.Expired, up.Error);
        var id = up.Out.Split(' ')[1].Trim();

        foreach (var alias in Aliases)
        {
            var approve = await box.RunAsync(["approve", id, "--policy", policy, "--reason", "self approval attempt here"], alias);

            Assert.True(approve.ExitCode == ExitCodes.Refused, $"'{alias}' exited {approve.ExitCode}: {approve.Error}");
            Assert.Contains("Refused: You requested this change", approve.Error, StringComparison.Ordinal);
            Assert.Contains("Your decision was not recorded.", approve.Error, StringComparison.Ordinal);
            Assert.Contains("'dave@corp.com'", approve.Error, StringComparison.Ordinal);
        }

        Assert.Contains(id, (await box.RunAsync(["requests", "list", "--state", "pending"])).Out, StringComparison.Ordinal);
        var other = await box.RunAsync(["approve", id, "--policy", policy, "--reason", "independent review, fine for staging"], "erin@corp.com");
        Assert.True(other.ExitCode == ExitCodes.Ok, other.Error); // the same request is approvable by someone else
    }
}
