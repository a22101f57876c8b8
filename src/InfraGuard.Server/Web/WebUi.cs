using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace InfraGuard.Server.Web;

/// <summary>The server-rendered pages for approvers and auditors (Razor Pages, no script). Registered by <see cref="ServerApp"/>.</summary>
public static class WebUi
{
    public const string AntiforgeryCookie = "__Host-infraguard-af";

    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(WebOptions.Section).Get<WebOptions>() ?? new WebOptions();
        services.AddSingleton(options);
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Web/Pages";
            o.Conventions.AuthorizeFolder("/", WebAuth.Policy);
            o.Conventions.AllowAnonymousToPage("/SignIn");
            o.Conventions.AllowAnonymousToPage("/Denied");
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = options.CookieName(AntiforgeryCookie);
            o.Cookie.SecurePolicy = options.CookiePolicy;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            o.FormFieldName = "__csrf";
        });
        WebAuth.Add(services, options);
    }

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<WebOptions>();
        app.Use((context, next) =>
        {
            // Secure cookies and antiforgery need HTTPS; say so instead of failing inside the antiforgery system.
            var path = context.Request.Path;
            if (!context.Request.IsHttps && !options.AllowHttp && IsWebPath(path))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return context.Response.WriteAsync(
                    "The InfraGuard web pages need HTTPS (their cookies are Secure). Serve over https (Kestrel certificate or a TLS proxy with forwarded headers), "
                    + "or, for local use on a loopback address only, set Server:Web:AllowHttp=true (INFRAGUARD_SERVER__WEB__ALLOWHTTP=true).");
            }

            return next(context);
        });
        app.MapRazorPages();
        app.MapGet("/web.css", () => Results.Text(Css.Value, "text/css; charset=utf-8")).AllowAnonymous();
        app.MapPost("/signout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return Results.BadRequest("The form's antiforgery token is missing or stale; reload the page and try again.");
            }

            await http.SignOutAsync(WebAuth.CookieScheme).ConfigureAwait(false);
            return Results.Redirect("/signin");
        }).RequireAuthorization(WebAuth.Policy);
        app.MapGet("/signin/oidc", (WebOptions options) => options.Oidc.Enabled
            ? Results.Challenge(new AuthenticationProperties { RedirectUri = "/" }, [WebAuth.OidcScheme])
            : Results.NotFound()).AllowAnonymous();
    }

    /// <summary>The paths of the pages and their sign-in endpoints (the API and other plug-ins are not affected).</summary>
    private static readonly string[] WebPaths = ["/signin", "/signin-oidc", "/signout", "/denied", "/requests", "/audit", "/delegations"];

    private static bool IsWebPath(PathString path) => path == "/" || WebPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    private static readonly Lazy<string> Css = new(() =>
    {
        using var stream = typeof(WebUi).Assembly.GetManifestResourceStream("InfraGuard.Server.Web.site.css")
            ?? throw new InvalidOperationException("The embedded stylesheet InfraGuard.Server.Web.site.css is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });
}
