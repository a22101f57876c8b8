using System.Net;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Web;
using InfraGuard.Store;

namespace InfraGuard.Web.Tests;

/// <summary>The pages over plain HTTP against a real Kestrel server: sign-in, encoding, antiforgery, scopes, headers.</summary>
public class WebPageTests
{
    [Theory]
    [InlineData("/")]
    [InlineData("/audit")]
    [InlineData("/audit/verify")]
    [InlineData("/requests/cr_000000000000")]
    [InlineData("/delegations")]
    public async Task Pages_WithoutSignIn_RedirectToSignIn(string path)
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();

        using var response = await session.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/signin?ReturnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WithToken_SetsHardenedCookieAndShowsPending()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        using var session = world.NewSession();

        await session.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        var html = await session.GetHtmlAsync("/");

        Assert.Contains($"href=\"/requests/{id}\"", html, StringComparison.Ordinal);
        Assert.Contains("Signed in as <strong>slack:U0EXAMPLEA</strong>", html, StringComparison.Ordinal);
        var cookie = Assert.Single(session.SetCookieHeaders, h => h.StartsWith(WebAuth.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_WithUnknownToken_IsRefusedWithReason()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();
        var form = await session.GetHtmlAsync("/signin");

        using var response = await session.PostAsync("/signin", new Dictionary<string, string> { ["token"] = "igt_not-a-token", ["__csrf"] = WebWorld.Session.Csrf(form) });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("That token is not known", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(WebAuth.CookieName, session.Cookies.Keys);
    }

    [Fact]
    public async Task Pages_ScriptInResourceAndReason_RenderAsText()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync(name: "<script>alert(1)</script>");
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));
        var page = await session.GetHtmlAsync($"/requests/{id}");

        using var decided = await session.PostAsync($"/requests/{id}", new Dictionary<string, string>
        {
            ["verdict"] = "Reject",
            ["reason"] = "<b onmouseover=\"x()\">no</b> & <script>alert(2)</script>",
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });
        var html = await decided.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, decided.StatusCode);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b onmouseover", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b onmouseover=&quot;x()&quot;&gt;no&lt;/b&gt; &amp; &lt;script&gt;alert(2)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Equal(RequestState.Rejected, (await world.Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Decide_WithoutAntiforgeryToken_IsRefusedAndNothingIsRecorded()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string> { ["verdict"] = "Approve", ["reason"] = "looks fine" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
        Assert.Equal(RequestState.Pending, (await world.Store.GetAsync(id))!.State);
    }

    [Fact]
    public async Task Delegate_WithoutAntiforgeryToken_IsRefusedAndNothingIsGranted()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver));

        using var response = await session.PostAsync("/delegations", new Dictionary<string, string> { ["to"] = "bob", ["until"] = "2099-01-01T00:00" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await world.Store.ListDelegationsAsync());
    }

    [Fact]
    public async Task Delegate_AsAuditor_IsForbiddenAndFormIsAbsent()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));
        var page = await session.GetHtmlAsync("/delegations");

        using var response = await session.PostAsync("/delegations", new Dictionary<string, string>
        {
            ["to"] = "bob",
            ["until"] = "2099-01-01T00:00",
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });

        Assert.DoesNotContain("id=\"delegate\"", page, StringComparison.Ordinal);
        Assert.Contains("no approver scope", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await world.Store.ListDelegationsAsync());
    }

    [Fact]
    public async Task SignIn_WithoutAntiforgeryToken_IsRefused()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();

        using var response = await session.PostAsync("/signin", new Dictionary<string, string> { ["token"] = await world.TokenAsync(WebWorld.Alice, ApiScopes.Approver) });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(WebAuth.CookieName, session.Cookies.Keys);
    }

    [Fact]
    public async Task Decide_AsAuditor_IsForbiddenAndFormIsAbsent()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));
        var page = await session.GetHtmlAsync($"/requests/{id}");

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string>
        {
            ["verdict"] = "Approve",
            ["reason"] = "auditors should not approve",
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });

        // docs/web.md: a forged POST is 403 (security review: it was a 302 to /denied).
        Assert.DoesNotContain("id=\"decide\"", page, StringComparison.Ordinal);
        Assert.Contains("no approver scope", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("Nothing was recorded", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Pages_WithRunnerOnlyToken_AreDenied()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Runner, ApiScopes.Runner));

        using var response = await session.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/denied", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_WithRunnerOnlyToken_IsForbiddenNotRedirected()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Runner, ApiScopes.Runner));

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string> { ["verdict"] = "Approve", ["reason"] = "runners never decide" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Decide_SelfApproval_ShowsCoreRefusalReason()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Carol, ApiScopes.Approver));
        var page = await session.GetHtmlAsync($"/requests/{id}");

        using var response = await session.PostAsync($"/requests/{id}", new Dictionary<string, string>
        {
            ["verdict"] = "Approve",
            ["reason"] = "my own change",
            ["planHash"] = (await world.Store.GetAsync(id))!.PlanHash,
            ["__csrf"] = WebWorld.Session.Csrf(page),
        });
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("id=\"decision-error\"", html, StringComparison.Ordinal);
        Assert.Contains($"Decision on {id} refused", html, StringComparison.Ordinal);
        Assert.Empty(await world.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Responses_CarryStrictSecurityHeaders()
    {
        await using var world = await WebWorld.StartAsync();
        using var session = world.NewSession();

        using var response = await session.GetAsync("/signin");

        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("script-src", SecurityHeaders.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains(session.SetCookieHeaders, h => h.StartsWith(WebUi.AntiforgeryCookie, StringComparison.Ordinal) && h.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase) && h.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task SignIn_TokenRevokedLater_EndsTheSession()
    {
        await using var world = await WebWorld.StartAsync();
        var issued = await world.Store.CreateTokenAsync(WebWorld.Alice, [ApiScopes.Approver], null, new PersonRef("admin", "local:admin"));
        using var session = world.NewSession();
        await session.SignInAsync(issued.Token);
        await session.GetHtmlAsync("/");

        await world.Store.RevokeTokenAsync(issued.Info.Id, new PersonRef("admin", "local:admin"));
        using var after = await session.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/signin", after.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditTrail_FilteredByStackAndPeriod_ShowsOnlyMatchingEntries()
    {
        await using var world = await WebWorld.StartAsync();
        var prod = await world.CreateRequestAsync();
        var staging = await world.CreateRequestAsync(runId: "run-2", stack: "staging");
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var byStack = await session.GetHtmlAsync("/audit?stack=staging");
        var future = await session.GetHtmlAsync($"/audit?since={tomorrow}");
        var badDate = await session.GetHtmlAsync("/audit?since=last-week");

        Assert.Contains($"href=\"/requests/{staging}\"", byStack, StringComparison.Ordinal);
        Assert.DoesNotContain(prod, byStack, StringComparison.Ordinal);
        Assert.Contains("<p>0 entries.</p>", future, StringComparison.Ordinal);
        Assert.Contains("From &#x27;last-week&#x27; is not a date; use YYYY-MM-DD.", badDate, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditExport_Csv_HasOneRowPerEntryOfTheRequest()
    {
        await using var world = await WebWorld.StartAsync();
        var id = await world.CreateRequestAsync();
        await world.CreateRequestAsync(runId: "run-2");
        using var session = world.NewSession();
        await session.SignInAsync(await world.TokenAsync(WebWorld.Auditor, ApiScopes.Auditor));

        using var response = await session.GetAsync($"/audit?handler=export&format=csv&request={id}");
        var csv = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var expected = await world.Store.ListEntriesAsync(new Core.Audit.AuditQuery(Request: id));
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Count + 1, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.Contains($"\"{id}\"", l, StringComparison.Ordinal));
    }
}

/// <summary>The pages over plain http: refused with advice unless Server:Web:AllowHttp is set for local use.</summary>
public class PlainHttpTests
{
    [Fact]
    public async Task Pages_OverPlainHttp_AreRefusedWithAdviceButApiStillAnswers()
    {
        var app = await StartHttpAsync(allowHttp: false);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var page = await http.GetAsync("/signin");
            using var health = await http.GetAsync("/healthz");

            Assert.Equal(HttpStatusCode.MisdirectedRequest, page.StatusCode);
            Assert.Contains("Server:Web:AllowHttp", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Pages_OverPlainHttpWithAllowHttp_ServeSignInWithUnprefixedCookie()
    {
        var app = await StartHttpAsync(allowHttp: true);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var page = await http.GetAsync("/signin");

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith("infraguard-af=", cookie, StringComparison.Ordinal);
            Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartHttpAsync(bool allowHttp)
    {
        var root = Directory.CreateTempSubdirectory("ig-web-http-").FullName;
        var keyFile = Path.Combine(root, "audit-key.pem");
        AuditKeyFile.Create(keyFile).Dispose();
        var app = Server.ServerApp.Build(["--urls=http://127.0.0.1:0"], new Dictionary<string, string?>
        {
            ["Server:Db"] = Path.Combine(root, "infraguard.db"),
            ["Server:KeyFile"] = keyFile,
            ["Server:PublicBaseUrl"] = "http://127.0.0.1",
            ["Server:Web:AllowHttp"] = allowHttp ? "true" : "false",
        });
        await app.StartAsync();
        return app;
    }
}
