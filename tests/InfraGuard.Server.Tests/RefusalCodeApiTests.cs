using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;

namespace InfraGuard.Server.Tests;

/// <summary>A refused decision or review answers with the code of the rule that refused it, not a generic one.</summary>
public class RefusalCodeApiTests
{
    private const string Zed = "email:zed@example.com";
    private const string Bot = "github:example-deploy-bot[bot]";

    [Fact]
    public async Task Review_EachRefusal_403WithItsRuleCode()
    {
        using var world = new ApiWorld();
        using var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        var now = world.Time.GetUtcNow();
        Assert.True((await api.Store.BreakGlassAsync(new BreakGlassUse(id, new PersonRef("alice", "github:alice-example"), "INC-5", "orders db is down, failing over", "production", now, now.AddHours(24), 1), TestContext.Current.CancellationToken)).Succeeded);
        var plain = await api.CreateRequestAsync(ApiWorld.Body("run-2"));

        var cases = new (string Identity, string Request, string Reason, string Code)[]
        {
            (ApiWorld.Alice, id, "reviewed my own break-glass", "break-glass-actor"),
            (ApiWorld.Carol, id, "I requested it and it was fine", "self-approval"),
            (Zed, id, "looks fine to me, reviewed", "ineligible-approver"),
            (Bot, id, "automated review of the change", "bot-or-service-account"),
            (ApiWorld.Bob, id, "ok", "reason-too-short"),
            (ApiWorld.Bob, plain, "reviewing a normal change", "not-break-glass"),
        };
        foreach (var (identity, request, reason, code) in cases)
        {
            using var client = await api.ClientAsync(identity, ApiScopes.Approver);
            using var response = await client.PostAsJsonAsync($"/api/v1/requests/{request}/reviews", new ReviewBody(Verdict.Approve, reason), ServerJson.Options, TestContext.Current.CancellationToken);

            var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
            Assert.True(code == (string?)problem["code"], $"{identity}: expected {code}, got {problem.ToJsonString()}");
            Assert.Equal($"urn:infraguard:problem:{code}", (string?)problem["type"]);
            Assert.False(string.IsNullOrWhiteSpace((string?)problem["reason"]));
        }

        Assert.Empty(await api.Store.GetReviewsAsync(id, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Decide_ByTheAgentsPrincipal_403AgentPrincipal()
    {
        using var world = new ApiWorld();
        using var api = world.NewFactory();
        var id = await api.CreateRequestAsync(ApiWorld.Body() with { ActorKind = ActorKind.Agent, OnBehalfOf = "github:bob-example" });
        using var bob = await api.ClientAsync(ApiWorld.Bob, ApiScopes.Approver);

        using var response = await bob.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new { verdict = "approve", reason = "my agent did the right thing" }, TestContext.Current.CancellationToken);

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal("agent-principal", (string?)problem["code"]);
        Assert.Contains("acts on your behalf", (string?)problem["reason"], StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await api.Store.GetAsync(id))!.State);
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
