using System.Text.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Store;
using Microsoft.Playwright;

namespace InfraGuard.Web.Tests;

/// <summary>The pages in a real headless chromium against a real Kestrel server; screenshots land in bin/.../screenshots.</summary>
public class BrowserTests
{
    [Fact]
    public async Task Browser_ApproveWithReason_ShowsStateChangeAndAuditEntry()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(world.Url + "/");
        Assert.StartsWith(world.Url + "/signin", page.Url, StringComparison.Ordinal);
        await browser.ScreenshotAsync("01-signin");
        await browser.SignInAsync(world.Url, await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        await browser.ScreenshotAsync("02-pending");
        await page.GetByRole(AriaRole.Link, new() { Name = id }).ClickAsync();
        Assert.Equal("pending", await page.Locator("#state").TextContentAsync());
        Assert.Contains("stateful-delete", await page.Locator("#findings").InnerTextAsync(), StringComparison.Ordinal);
        Assert.StartsWith($"{WebWorld.Carol}, unattested", await page.Locator("#submitter").InnerTextAsync(), StringComparison.Ordinal);
        await browser.ScreenshotAsync("03-request");
        await page.GetByLabel("Reason (required, stored in the audit log)").FillAsync("restored from snapshot, safe to drop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await page.Locator("#notice").WaitForAsync();
        await browser.ScreenshotAsync("04-approved");

        Assert.Equal("approved", await page.Locator("#state").TextContentAsync());
        var decisions = await page.Locator("#decisions").InnerTextAsync();
        Assert.Contains("alice", decisions, StringComparison.Ordinal);
        Assert.Contains("web", decisions, StringComparison.Ordinal);
        Assert.Contains("restored from snapshot, safe to drop", decisions, StringComparison.Ordinal);
        Assert.Contains("decision", await page.Locator("#audit").InnerTextAsync(), StringComparison.Ordinal);
        var stored = Assert.Single(await world.Store.GetDecisionsAsync(id));
        Assert.Equal(DecisionChannel.Web, stored.Channel);
        Assert.Equal(RequestState.Approved, (await world.Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Browser_SelfApproval_ShowsRefusalReason()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await browser.SignInAsync(world.Url, await world.TokenAsync(WebWorld.Carol, ApiScopes.Approver));

        await page.GotoAsync($"{world.Url}/requests/{id}");
        await page.GetByLabel("Reason (required, stored in the audit log)").FillAsync("my own change, trust me");
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        var error = await page.Locator("#decision-error").InnerTextAsync();
        await browser.ScreenshotAsync("05-self-approval-refused");

        Assert.StartsWith($"Decision on {id} refused:", error, StringComparison.Ordinal);
        Assert.Equal("pending", await page.Locator("#state").TextContentAsync());
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Browser_AuditExportAndVerify_DownloadParsesAndLogIsValid()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        await world.CreateRequestAsync(runId: "run-2");
        await world.Store.CheckpointAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await browser.SignInAsync(world.Url, await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));

        await page.GotoAsync(world.Url + "/audit");
        await page.GetByLabel("Request").FillAsync(id);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("request=" + id));   // polls, no lifecycle events
        await browser.ScreenshotAsync("06-audit");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-jsonl").ClickAsync());
        var lines = (await File.ReadAllLinesAsync(await download.PathAsync())).Where(l => l.Length > 0).ToList();
        var csvDownload = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-csv").ClickAsync());
        var csv = await File.ReadAllTextAsync(await csvDownload.PathAsync());
        await page.GetByRole(AriaRole.Link, new() { Name = "Verify" }).ClickAsync();
        var verdict = await page.Locator("#verdict").InnerTextAsync();
        await browser.ScreenshotAsync("07-verify");

        var expected = await world.Store.ListEntriesAsync(new Core.Audit.AuditQuery(Request: id));
        Assert.Equal("infraguard-audit.jsonl", download.SuggestedFilename);
        Assert.Equal(expected.Select(e => e.Seq), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("seq").GetInt64()));
        Assert.All(lines, l => Assert.Equal(id, JsonDocument.Parse(l).RootElement.GetProperty("subject").GetString()));
        Assert.StartsWith("seq,recorded_at,kind,subject,payload", csv, StringComparison.Ordinal);
        Assert.Equal(expected.Count + 1, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("Valid:", verdict.Trim(), StringComparison.Ordinal);
        Assert.Contains("checkpoint", await page.Locator("#checkpoint").InnerTextAsync(), StringComparison.Ordinal);
    }
}
