using System.IO.Compression;
using System.Net;
using InfraGuard.Core.Requests;
using InfraGuard.Store;
using Microsoft.Playwright;

namespace InfraGuard.Web.Tests;

/// <summary>The period report page in Debian's chromium: every chart drawn, labelled and sized, and the page printed to PDF.</summary>
public class ReportBrowserTests
{
    private static async Task<string> FillAsync(WebWorld world)
    {
        var approved = await world.CreateRequestAsync("orders-db", "run-1");
        var rejected = await world.CreateRequestAsync("billing-db", "run-2");
        var alice = new PersonRef("alice", WebWorld.Alice);
        Assert.True((await world.Store.DecideAsync(approved, new DecisionInput(alice, DecisionChannel.Web, Verdict.Approve, "restored from snapshot, safe to drop"), DecisionRules.Quorum)).Succeeded);
        Assert.IsType<DecisionRefused>((await world.Store.DecideAsync(rejected, new DecisionInput(new PersonRef("carol", WebWorld.Carol), DecisionChannel.Web, Verdict.Approve, "mine, approve"), (_, _, _) => DecisionRuling.Refuse("You requested this change (requester: 'carol'), so you cannot decide on it.", "self-approval"))).Error);
        Assert.True((await world.Store.DecideAsync(rejected, new DecisionInput(alice, DecisionChannel.Web, Verdict.Reject, "peak week, not now"), DecisionRules.Quorum)).Succeeded);
        return DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task ReportPage_Auditor_RendersEveryChartAndPrintsToPdf()
    {
        await using var world = await WebWorld.StartAsync();
        var today = await FillAsync(world);
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await browser.SignInAsync(world.Url, await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));

        await page.GotoAsync($"{world.Url}/audit/report?from={today}&to={today}");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#download-report").ClickAsync());
        await page.Locator("#open-report").ClickAsync();
        await page.Locator("#verdict").WaitForAsync();
        await browser.ScreenshotAsync("08-period-report");
        var pdf = await page.PdfAsync(new PagePdfOptions { Format = "A4", Landscape = true, PrintBackground = true });

        foreach (var id in new[] { "chart-weeks", "chart-decision-times", "chart-rules" })
        {
            var chart = page.Locator($"svg#{id}");
            Assert.Equal(1, await chart.CountAsync());
            var box = await chart.BoundingBoxAsync();
            Assert.True(box is { Width: > 100, Height: > 40 }, $"{id} is drawn with a size, got {box?.Width}x{box?.Height}");
            Assert.Equal("img", await chart.GetAttributeAsync("role"));
            Assert.False(string.IsNullOrWhiteSpace(await page.Locator($"#{id}-title").TextContentAsync()), $"{id} has a title");
            Assert.Equal($"{id}-title {id}-desc", await chart.GetAttributeAsync("aria-labelledby"));
            Assert.True(await chart.Locator("rect").CountAsync() > 0, $"{id} has bars");
        }

        Assert.StartsWith("Verified at generation", (await page.Locator("#verdict").InnerTextAsync()).Trim(), StringComparison.Ordinal);
        Assert.Contains("restored from snapshot, safe to drop", await page.Locator("#change-table").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("self-approval", await page.Locator("#refusal-table").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("%PDF", System.Text.Encoding.ASCII.GetString(pdf, 0, 4));
        Assert.True(pdf.Length > 10_000, $"the PDF has content ({pdf.Length} bytes)");
        using var zip = await ZipFile.OpenReadAsync(await download.PathAsync(), TestContext.Current.CancellationToken);
        Assert.Equal(["report.html", "report.json", "checkpoints.txt"], zip.Entries.Select(e => e.FullName));
    }

    [Fact]
    public async Task ReportPage_Approver_IsDeniedAndTheReportKeepsAStrictCsp()
    {
        await using var world = await WebWorld.StartAsync();
        var today = await FillAsync(world);
        using var approver = world.NewSession();
        await approver.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        using var auditor = world.NewSession();
        await auditor.SignInAsync(await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));

        using var denied = await approver.GetAsync($"/audit/report?handler=html&from={today}&to={today}");
        using var report = await auditor.GetAsync($"/audit/report?handler=html&from={today}&to={today}");

        Assert.NotEqual(HttpStatusCode.OK, denied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var csp = string.Join(";", report.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("style-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Contains("<svg", await report.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
