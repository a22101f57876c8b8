using Microsoft.Playwright;

namespace InfraGuard.Web.Tests;

/// <summary>Debian's headless chromium driven by Playwright (no browser download). Skips when /usr/bin/chromium is absent.</summary>
internal sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Context = context;
        Page = page;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public static string ScreenshotFolder { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public static async Task<Browser> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Skip($"{ChromiumPath} is not installed (apt-get install -y chromium); CI installs it.");
        }

        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            IgnoreHTTPSErrors = true,
            AcceptDownloads = true,
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return new Browser(playwright, browser, context, page);
    }

    public async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    public async Task SignInAsync(string url, string token)
    {
        await Page.GotoAsync(url + "/signin");
        await Page.GetByLabel("API token").FillAsync(token);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in with token" }).ClickAsync();
        await SignedInAtAsync(url + "/");
    }

    /// <summary>
    /// Waits until a redirect chain lands on <paramref name="url"/> with the signed-in header shown. It polls the page
    /// rather than waiting for navigation lifecycle events: under load, after a POST and a redirect, Playwright
    /// sometimes never saw the load (or even commit) event of a page that was fully shown, and timed out.
    /// </summary>
    public async Task SignedInAtAsync(string url)
    {
        await Page.Locator("header .who").WaitForAsync();
        Assert.Equal(url, Page.Url);
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
