namespace InfraGuard.Server.Web;

/// <summary>
/// The web pages' settings (section <c>Server:Web</c>). Token sign-in is always on; OpenID Connect is on when
/// <see cref="OidcOptions.Authority"/> is set. See docs/web.md.
/// </summary>
public sealed class WebOptions
{
    public const string Section = "Server:Web";

    /// <summary>How long a sign-in lasts without activity.</summary>
    public int SessionMinutes { get; set; } = 480;

    /// <summary>
    /// False (the default): cookies are Secure and pages need HTTPS. True marks cookies Secure only on HTTPS requests,
    /// for a server on a loopback http address during local use; never for a deployment.
    /// </summary>
    public bool AllowHttp { get; set; }

    public OidcOptions Oidc { get; set; } = new();

    /// <summary>The <c>__Host-</c> prefix needs Secure; plain names when <see cref="AllowHttp"/>.</summary>
    public string CookieName(string secureName) => AllowHttp ? secureName.Replace("__Host-", string.Empty, StringComparison.Ordinal) : secureName;

    public CookieSecurePolicy CookiePolicy => AllowHttp ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
}

/// <summary>OpenID Connect (authorization code flow with PKCE) against the organisation's identity provider.</summary>
public sealed class OidcOptions
{
    /// <summary>The issuer, e.g. https://login.microsoftonline.com/{tenant}/v2.0; empty turns OIDC off.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>False only for a loopback test identity provider.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The claim that names the person (e.g. <c>email</c>, <c>preferred_username</c>, <c>sub</c>).</summary>
    public string IdentityClaim { get; set; } = "email";

    /// <summary>The identity kind put before the claim value: <c>email:alice@example.com</c>, matched against the identity map.</summary>
    public string IdentityKind { get; set; } = "email";

    /// <summary>The claim that carries roles or groups (<c>roles</c>, <c>groups</c>).</summary>
    public string RoleClaim { get; set; } = "roles";

    /// <summary>Role claim value → InfraGuard scope (approver, auditor, admin).</summary>
    public Dictionary<string, string> RoleScopes { get; set; } = new(StringComparer.Ordinal)
    {
        ["infraguard-approver"] = "approver",
        ["infraguard-auditor"] = "auditor",
        ["infraguard-admin"] = "admin",
    };

    /// <summary>A person the policy pack's identity map knows (not a bot or guest) gets the approver scope; the approval rules still decide.</summary>
    public bool ApproverFromIdentityMap { get; set; } = true;

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
