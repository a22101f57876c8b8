using InfraGuard.Store;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Tests;

namespace InfraGuard.Web.Tests;

/// <summary>A decision made on the web page reaches the Slack message: no stale buttons anywhere.</summary>
public sealed class ChannelSyncTests
{
    [Fact]
    public async Task Decide_OnWebPage_SlackMessageLosesButtonsAndShowsTheDecision()
    {
        await using var slack = await SlackStandIn.StartAsync();
        await using var world = await WebWorld.StartAsync(new Dictionary<string, string?>
        {
            ["Server:Slack:Enabled"] = "true",
            ["Server:Slack:SigningSecret"] = "8f742231b10e8888abcd99yyyzzz85a5",
            ["Server:Slack:BotToken"] = SlackStandIn.BotToken,
            ["Server:Slack:Channel"] = "C0DEFAULT1",
            ["Server:Slack:ApiBaseUrl"] = slack.ApiBase.AbsoluteUri,
            ["Server:Slack:PerChannelIntervalMilliseconds"] = "0",
        });
        var id = await world.CreateRequestAsync();
        await Wait.UntilAsync(() => slack.Calls("chat.postMessage").Any(c => c.Json!["thread_ts"] is null), "the request is posted to Slack");
        var parent = slack.Calls("chat.postMessage").First(c => c.Json!["thread_ts"] is null).Json!;
        Assert.Contains(ApprovalMessages.ApproveActionId, parent.ToJsonString(), StringComparison.Ordinal);
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        var page = await session.GetHtmlAsync($"/requests/{id}");

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string>
        {
            ["verdict"] = "Approve",
            ["reason"] = "Snapshot verified on the web page",
            ["planHash"] = (await world.Store.GetAsync(id))!.PlanHash,
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        await Wait.UntilAsync(() => slack.Calls("chat.update").Count > 0, "the Slack message is updated");
        var update = slack.Calls("chat.update")[^1].Json!;
        // The store records what the message shows once Slack has answered the update.
        await Wait.UntilAsync(() => world.Store.GetPostAsync("Slack", id).GetAwaiter().GetResult()?.ShownState == Core.Requests.RequestState.Approved, "the store records the updated message");
        var post = (await world.Store.GetPostAsync("Slack", id))!;
        Assert.Equal(post.Address.Conversation, update["channel"]!.GetValue<string>());
        Assert.Equal(post.Address.MessageId, update["ts"]!.GetValue<string>());
        Assert.Equal(Core.Requests.RequestState.Approved, post.ShownState);
        Assert.DoesNotContain(update["blocks"]!.AsArray(), b => (string?)b!["type"] == "actions");
        Assert.Contains("Snapshot verified on the web page", update.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(slack.Problems);
    }
}
