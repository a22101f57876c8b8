using System.Security.Cryptography;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Server.Api;

namespace InfraGuard.Testing;

/// <summary>
/// The change request a runner posts in the server's tests and load benchmark: a pipeline deleting a production
/// database, one approval from the SRE leads. Linked into the server, web and benchmark projects.
/// </summary>
internal static class SampleRequests
{
    public const string Carol = "github:carol-example";

    public const string OrdersDb = "urn:pulumi:prod::shop::aws:rds/instance:Instance::orders";

    public static byte[] Plan(string text = "{\"plan\":\"saved\",\"steps\":[\"delete orders-db\"]}") => System.Text.Encoding.UTF8.GetBytes(text);

    public static CreateRequestBody Body(string runId = "run-1", byte[]? plan = null, string requester = Carol, int approvals = 1, string address = OrdersDb)
    {
        plan ??= Plan();
        return new()
        {
            Stack = "prod",
            Project = "shop",
            Requester = new PersonRef(requester == Carol ? "carol" : requester, requester),
            ActorKind = ActorKind.Pipeline,
            CommitAuthors = [],
            CiRunId = runId,
            CiRunUrl = "https://ci.example/run/" + runId,
            PlanHash = Convert.ToHexStringLower(SHA256.HashData(plan)),
            StateFingerprint = new string('f', 64),
            PolicyPackHash = new string('e', 64),
            Assessment = new Assessment
            {
                Tier = "production",
                Decision = Decision.Review,
                Score = 160,
                ReviewAt = 40,
                BlockAt = 400,
                ActorKind = ActorKind.Pipeline,
                Approvals = new ApprovalRequirement(approvals, ["group:sre-leads"], TimeSpan.FromHours(4)),
                Findings =
                [
                    new Finding("stateful-delete", address, "aws:rds/instance:Instance", ChangeOp.Delete, "deletionProtection", "true", "false", 160,
                        "Deleting a stateful resource destroys its data"),
                ],
                Notes = [],
            },
            SavedPlan = plan,
        };
    }
}
