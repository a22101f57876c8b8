using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Server.Auth;
using InfraGuard.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace InfraGuard.Server.Web;

/// <summary>
/// Sign-in for the pages: a cookie (HttpOnly, Secure, SameSite=Lax, <c>__Host-</c> prefix) issued after an API token
/// sign-in or an OpenID Connect sign-in. The cookie carries the same claims as a bearer token (identity, scopes).
/// </summary>
public static class WebAuth
{
    public const string CookieScheme = "InfraGuard.Web";
    public const string OidcScheme = "oidc";
    public const string Policy = "web";
    public const string ApproverPolicy = "web-approver";
    public const string AuditorPolicy = "web-auditor";
    public const string CookieName = "__Host-infraguard";

    internal static void Add(IServiceCollection services, WebOptions options)
    {
        var auth = services.AddAuthentication().AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = options.CookieName(CookieName);
            o.Cookie.HttpOnly = true;
            o.Cookie.SecurePolicy = options.CookiePolicy;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/denied";
            o.ExpireTimeSpan = TimeSpan.FromMinutes(options.SessionMinutes);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = ValidateTokenStillActiveAsync;
            o.Events.OnRedirectToAccessDenied = DenyAsync;
        });

        if (options.Oidc.Enabled)
        {
            var oidc = options.Oidc;
            auth.AddOpenIdConnect(OidcScheme, o =>
            {
                o.SignInScheme = CookieScheme;
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.CallbackPath = "/signin-oidc";
                o.SaveTokens = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.MapInboundClaims = false;
                o.Scope.Clear();
                o.Scope.Add("openid");
                o.Scope.Add("profile");
                o.Scope.Add("email");
                o.CorrelationCookie.SecurePolicy = options.CookiePolicy;
                o.NonceCookie.SecurePolicy = options.CookiePolicy;
                o.Events.OnTokenValidated = context =>
                {
                    var pack = context.HttpContext.RequestServices.GetRequiredService<PolicyPack>();
                    context.Principal = FromOidc(context.Principal!, oidc, pack.Identities);
                    if (context.Principal is null)
                    {
                        context.Fail($"The identity provider's token has no '{oidc.IdentityClaim}' claim; set Server:Web:Oidc:IdentityClaim.");
                    }

                    return Task.CompletedTask;
                };
            });
        }

        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser()
                .RequireClaim(ApiClaims.Scope, ApiScopes.Approver, ApiScopes.Auditor, ApiScopes.Admin))
            .AddPolicy(ApproverPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireClaim(ApiClaims.Scope, ApiScopes.Approver))
            .AddPolicy(AuditorPolicy, p => p.AddAuthenticationSchemes(CookieScheme).RequireAuthenticatedUser().RequireClaim(ApiClaims.Scope, ApiScopes.Auditor, ApiScopes.Admin));
    }

    /// <summary>The cookie principal for an API token: its identity and scopes.</summary>
    public static ClaimsPrincipal FromToken(ApiToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var claims = new List<Claim>
        {
            new(ApiClaims.Identity, token.Identity),
            new(ApiClaims.TokenId, token.Id),
            new(ClaimTypes.Name, token.Identity),
        };
        claims.AddRange(token.Scopes.Select(s => new Claim(ApiClaims.Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>
    /// The cookie principal for an OIDC sign-in: identity <c>{IdentityKind}:{claim}</c>; scopes from the role claim
    /// through <see cref="OidcOptions.RoleScopes"/>, plus approver for a person the identity map knows.
    /// </summary>
    public static ClaimsPrincipal? FromOidc(ClaimsPrincipal external, OidcOptions options, IdentityMap identities)
    {
        ArgumentNullException.ThrowIfNull(external);
        ArgumentNullException.ThrowIfNull(options);
        var value = external.FindFirstValue(options.IdentityClaim);
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var identity = $"{options.IdentityKind}:{value}";
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var role in external.FindAll(options.RoleClaim))
        {
            if (options.RoleScopes.TryGetValue(role.Value, out var scope) && ApiScopes.IsKnown(scope))
            {
                scopes.Add(scope);
            }
        }

        var approver = ApprovalDesk.ApproverFor(identities, identity);
        if (options.ApproverFromIdentityMap && identities.Resolve(identity) is not null && !approver.IsBot && !approver.IsGuest)
        {
            scopes.Add(ApiScopes.Approver);
        }

        var claims = new List<Claim> { new(ApiClaims.Identity, identity), new(ClaimTypes.Name, identity), new(ApiClaims.TokenId, "oidc") };
        claims.AddRange(scopes.Order(StringComparer.Ordinal).Select(s => new Claim(ApiClaims.Scope, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>
    /// A signed-in person without the scope: a page they open (GET) leads to <c>/denied</c>, which says what to ask
    /// for; an action they post (a decision, a sign-out) is answered 403 Forbidden, as an API would, with nothing done.
    /// </summary>
    private static Task DenyAsync(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Redirect(context.RedirectUri);
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("Forbidden: your sign-in does not have the scope this action needs (deciding needs the approver scope). Nothing was recorded.");
    }

    /// <summary>A revoked token ends the web session at the next request.</summary>
    private static async Task ValidateTokenStillActiveAsync(CookieValidatePrincipalContext context)
    {
        var tokenId = context.Principal?.FindFirstValue(ApiClaims.TokenId);
        if (tokenId is null or "oidc")
        {
            return;
        }

        var store = context.HttpContext.RequestServices.GetRequiredService<ChangeStore>();
        var tokens = await store.ListTokensAsync(context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (tokens.FirstOrDefault(t => t.Id == tokenId) is not { IsActive: true })
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme).ConfigureAwait(false);
        }
    }
}
