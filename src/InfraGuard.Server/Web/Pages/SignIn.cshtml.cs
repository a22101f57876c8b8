using InfraGuard.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages;

/// <summary>Token sign-in: the token is checked against the server's token store, then a cookie carries the session.</summary>
public sealed class SignInModel(ChangeStore store, WebOptions options) : PageModel
{
    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public bool OidcEnabled => options.Oidc.Enabled;

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? token)
    {
        var found = string.IsNullOrWhiteSpace(token) ? null : await store.FindTokenAsync(token.Trim(), HttpContext.RequestAborted).ConfigureAwait(false);
        if (found is not { IsActive: true })
        {
            Error = found is null
                ? "That token is not known. Create one with 'infraguard tokens create'."
                : $"Token {found.Id} was revoked; ask an admin for a new one.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }

        await HttpContext.SignInAsync(WebAuth.CookieScheme, WebAuth.FromToken(found)).ConfigureAwait(false);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}
