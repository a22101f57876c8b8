using System.Globalization;
using InfraGuard.Store;
using Microsoft.Playwright;

namespace InfraGuard.Web.Tests;

/// <summary>The delegation page in a real headless chromium: grant, the refusals shown plainly, revoke.</summary>
public class DelegationBrowserTests
{
    [Fact]
    public async Task Browser_DelegateThenRevoke_RefusalsShownClearly()
    {
        await using var world = await WebWorld.StartAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await browser.SignInAsync(world.Url, await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        await page.GetByRole(AriaRole.Link, new() { Name = "Delegations" }).ClickAsync();
        Assert.Contains("No delegations from or to you (alice)", await page.Locator("#no-delegations").InnerTextAsync(), StringComparison.Ordinal);

        // Refused: to oneself.
        await FillAsync(page, "github:alice-example", DateTime.UtcNow.AddDays(3), "covering for myself");
        var self = await page.Locator("#delegation-error").InnerTextAsync();
        await browser.ScreenshotAsync("20-delegation-self-refused");
        Assert.StartsWith("Delegation refused (self-delegation): alice cannot delegate to themselves", self, StringComparison.Ordinal);

        // Refused: a window that has already ended.
        await FillAsync(page, "bob", DateTime.UtcNow.AddDays(-1), "forgot to do this last week");
        await Assertions.Expect(page.Locator("#delegation-error")).ToContainTextAsync("bad-window");   // polls: the page before had an error too
        var past = await page.Locator("#delegation-error").InnerTextAsync();
        Assert.StartsWith("Delegation refused (bad-window): The delegation ends (", past, StringComparison.Ordinal);
        Assert.Contains("before it starts", past, StringComparison.Ordinal);
        Assert.Empty(await world.Store.ListDelegationsAsync());

        // Granted.
        await FillAsync(page, "bob", DateTime.UtcNow.AddDays(3), "on leave, bob covers");
        await page.Locator("#notice").WaitForAsync();
        await browser.ScreenshotAsync("21-delegation-granted");
        var granted = Assert.Single(await world.Store.ListDelegationsAsync());
        Assert.Equal(("alice", "bob", "on leave, bob covers"), (granted.Delegator.PersonId, granted.Delegate.PersonId, granted.Reason));
        var row = page.Locator($"#row-{granted.Id}");
        Assert.Equal("active", await row.Locator(".status").InnerTextAsync());
        Assert.Contains("bob", await row.InnerTextAsync(), StringComparison.Ordinal);

        // Revoked.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {granted.Id}" }).ClickAsync();
        Assert.Equal($"Delegation {granted.Id} revoked.", await page.Locator("#notice").InnerTextAsync());
        await browser.ScreenshotAsync("22-delegation-revoked");
        Assert.Equal("revoked", await page.Locator($"#row-{granted.Id} .status").InnerTextAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke {granted.Id}" }).CountAsync());
        Assert.NotNull((await world.Store.GetDelegationAsync(granted.Id))!.RevokedAt);
    }

    private static async Task FillAsync(IPage page, string to, DateTime until, string reason)
    {
        await page.GetByLabel("To (the person who covers").FillAsync(to);
        await page.GetByLabel("Until (UTC)").FillAsync(until.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await page.GetByLabel("Reason (stored in the audit log)").FillAsync(reason);
        await page.GetByRole(AriaRole.Button, new() { Name = "Delegate", Exact = true }).ClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
    }
}
