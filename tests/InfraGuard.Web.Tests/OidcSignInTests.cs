using System.Net;
using InfraGuard.Server.Web;

namespace InfraGuard.Web.Tests;

/// <summary>OpenID Connect sign-in (code flow + PKCE) against a loopback stand-in identity provider.</summary>
public class OidcSignInTests
{
    private static Dictionary<string, string?> Settings(StandInIdentityProvider idp) => new()
    {
        ["Server:Web:Oidc:Authority"] = idp.Issuer,
        ["Server:Web:Oidc:ClientId"] = StandInIdentityProvider.ClientId,
        ["Server:Web:Oidc:ClientSecret"] = StandInIdentityProvider.ClientSecret,
        ["Server:Web:Oidc:RequireHttpsMetadata"] = "false",
    };

    [Fact]
    public async Task Oidc_KnownPersonInIdentityMap_SignsInAsApprover()
    {
        await using var idp = await StandInIdentityProvider.StartAsync();
        await using var world = await WebWorld.StartAsync(Settings(idp));
        using var session = world.NewSession();
        using var idpClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        using var challenge = await session.GetAsync("/signin/oidc");
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        Assert.StartsWith(idp.Issuer + "/authorize?", challenge.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        using var authorized = await idpClient.GetAsync(challenge.Headers.Location);
        var callback = authorized.Headers.Location!;
        Assert.Equal("/signin-oidc", callback.AbsolutePath);
        using var signedIn = await session.GetAsync(callback.PathAndQuery);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, await signedIn.Content.ReadAsStringAsync());
        var html = await session.GetHtmlAsync("/");

        Assert.Equal(1, idp.TokensIssued);
        Assert.Contains("Signed in as <strong>email:alice@example.com</strong> (approver)", html, StringComparison.Ordinal);
        Assert.Contains(session.SetCookieHeaders, h => h.StartsWith(WebAuth.CookieName + "=", StringComparison.Ordinal) && h.Contains("httponly", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Oidc_AuditorRoleForUnknownPerson_CanReadButNotDecide()
    {
        await using var idp = await StandInIdentityProvider.StartAsync();
        idp.Email = "audrey@example.com";
        idp.Roles = ["infraguard-auditor"];
        await using var world = await WebWorld.StartAsync(Settings(idp));
        var id = await world.CreateRequestAsync();
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(world.Url + "/signin");
        await page.Locator("#oidc").ClickAsync();
        await browser.SignedInAtAsync(world.Url + "/");
        await page.GotoAsync($"{world.Url}/requests/{id}");
        await browser.ScreenshotAsync("08-oidc-auditor");

        Assert.Contains("email:audrey@example.com", await page.Locator("header .who").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("auditor", await page.Locator("header .who").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#decide").CountAsync());
        Assert.True(await page.Locator("#cannot-decide").IsVisibleAsync());
    }

    [Fact]
    public async Task Oidc_NoRoleAndUnknownPerson_IsDenied()
    {
        await using var idp = await StandInIdentityProvider.StartAsync();
        idp.Email = "mallory@example.com";
        await using var world = await WebWorld.StartAsync(Settings(idp));
        using var session = world.NewSession();
        using var idpClient = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });

        using var challenge = await session.GetAsync("/signin/oidc");
        using var authorized = await idpClient.GetAsync(challenge.Headers.Location);
        using var signedIn = await session.GetAsync(authorized.Headers.Location!.PathAndQuery);
        using var home = await session.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/denied", home.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }
}
