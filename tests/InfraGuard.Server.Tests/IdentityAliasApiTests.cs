using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Server.Tests;

/// <summary>
/// Security review 1, F1 through the REST API: a requester who is not in the identity map approves their own change
/// with a token for another spelling of their identity.
/// </summary>
public class IdentityAliasApiTests
{
    public const string Dave = "dave@corp.com";

    /// <summary>The review's repro: a staging change (anyone independent may approve) requested by an unmapped person.</summary>
    public static SubmitBody StagingBody(string runId = "run-f1") => SampleRequests.Body(runId, stack: "staging");

    /// <summary>The review's test pack: staging reviews at 10 (so the database delete needs approval), <paramref name="approvals"/> from anyone.</summary>
    public static string StagingPolicy(string root, int approvals = 1) => SampleRequests.Policy(
        Path.Combine(root, $"staging-policy-{approvals}"),
        ("review-at: 60", "review-at: 10"),
        ("approvals: { count: 1, expires-after: 1d }", $"approvals: {{ count: {approvals}, expires-after: 1d }}"));

    private static ApiFactory StagingServer(ApiWorld world, int approvals = 1) =>
        world.NewFactory(new Dictionary<string, string> { ["Server:PolicyDir"] = StagingPolicy(world.Root, approvals) });

    public static TheoryData<string> Aliases() => new()
    {
        " dave@corp.com ", "dave@corp.com\t", "email:dave@corp.com", "person:dave@corp.com", "dave@corp.com.", "dаve@corp.com", "mailto:dave@corp.com", "EMAIL:ＤＡＶＥ@corp.com",
    };

    [Theory]
    [MemberData(nameof(Aliases))]
    public async Task Decide_TokenForAnAliasOfTheUnmappedRequester_403NamingTheRequester(string alias)
    {
        using var world = new ApiWorld();
        var api = StagingServer(world);
        var id = await api.CreateRequestAsync(StagingBody(), requester: Dave);
        using var client = await api.ClientAsync(alias, ApiScopes.Approver);

        using var response = await client.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new { verdict = "approve", reason = "self approval attempt here" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("urn:infraguard:problem:self-approval", (string?)problem["type"]);
        Assert.Equal("self-approval", (string?)problem["code"]);
        Assert.StartsWith("You requested this change", (string?)problem["reason"], StringComparison.Ordinal);
        Assert.Contains("'dave@corp.com'", (string?)problem["reason"], StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await api.Store.GetAsync(id))!.State);
        Assert.Empty(await api.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Decide_TokenForSomeoneElse_ApprovesTheSameRequest()
    {
        using var world = new ApiWorld();
        var api = StagingServer(world);
        var id = await api.CreateRequestAsync(StagingBody(), requester: Dave);
        using var client = await api.ClientAsync("email:erin@corp.com", ApiScopes.Approver);

        using var response = await client.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new { verdict = "approve", reason = "independent review done" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RequestState.Approved, (await api.Store.GetAsync(id))!.State);
        Assert.Equal("erin@corp.com", Assert.Single(await api.Store.GetDecisionsAsync(id)).Approver.PersonId);
    }

    [Theory]
    [InlineData(" person:Erin@Corp.com. ", HttpStatusCode.Conflict)]   // the same person id: the store's own check
    [InlineData("еrin@corp.com", HttpStatusCode.Forbidden)]            // Cyrillic е: another id, refused by the rules as a look-alike
    public async Task Decide_SecondApproverIsAnAliasOfTheFirst_CountedOnce(string alias, HttpStatusCode refusal)
    {
        using var world = new ApiWorld();
        var api = StagingServer(world, approvals: 2);
        var id = await api.CreateRequestAsync(StagingBody(), requester: Dave);
        using var erin = await api.ClientAsync("email:erin@corp.com", ApiScopes.Approver);
        using var erinAgain = await api.ClientAsync(alias, ApiScopes.Approver);

        using var first = await erin.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new { verdict = "approve", reason = "independent review done" });
        using var second = await erinAgain.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new { verdict = "approve", reason = "and once more, as erin" });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(refusal, second.StatusCode);
        Assert.Contains("already decided", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(RequestState.Pending, (await api.Store.GetAsync(id))!.State);
        Assert.Single(await api.Store.GetDecisionsAsync(id));
    }
}
