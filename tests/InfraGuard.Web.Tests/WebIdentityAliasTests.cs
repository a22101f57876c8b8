using System.Net;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Web.Tests;

/// <summary>Security review 1, F1 on the web page: an unmapped requester signs in with a token for another spelling of their identity.</summary>
public class WebIdentityAliasTests
{
    [Theory]
    [InlineData("email:dave@corp.com")]
    [InlineData(" Dave@Corp.com. ")]
    [InlineData("dаve@corp.com")] // Cyrillic а
    public async Task Decide_AliasOfTheUnmappedRequester_ShowsWhyAndRecordsNothing(string alias)
    {
        await using var world = await WebWorld.StartAsync(new Dictionary<string, string?> { ["Server:PolicyDir"] = SampleRequests.Policy(Path.Combine(Path.GetTempPath(), "ig-web-staging-" + Guid.NewGuid().ToString("N")), ("review-at: 60", "review-at: 10")) });
        var id = await CreateStagingRequestAsync(world, "dave@corp.com");
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(alias, ApiScopes.Approver));
        var page = await session.GetHtmlAsync($"/requests/{id}");

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string>
        {
            ["verdict"] = "Approve",
            ["reason"] = "self approval attempt here",
            ["planHash"] = (await world.Store.GetAsync(id))!.PlanHash,
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("You requested this change", html, StringComparison.Ordinal);
        Assert.Contains("'dave@corp.com'", html, StringComparison.Ordinal);
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
    }

    private static async Task<string> CreateStagingRequestAsync(WebWorld world, string requester)
    {
        return await world.CreateRequestAsync(runId: "run-f1", stack: "staging", requester: requester);
    }
}
