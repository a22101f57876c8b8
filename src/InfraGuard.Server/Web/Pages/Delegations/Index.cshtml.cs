using System.Globalization;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Server.Auth;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages.Delegations;

/// <summary>
/// My delegations (as delegator or delegate): grant one (to, from, until, reason) and revoke, through the same rules as
/// <c>/api/v1/delegations</c> and <c>infraguard delegate</c>. Times are UTC.
/// </summary>
public sealed class IndexModel(ChangeStore store, PolicyPack pack, TimeProvider time) : PageModel
{
    private static readonly string[] TimeFormats = ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"];

    public IReadOnlyList<Delegation> Delegations { get; private set; } = [];

    public string Me { get; private set; } = string.Empty;

    public DateTimeOffset Now { get; private set; }

    public string? Error { get; private set; }

    public string? Notice { get; private set; }

    /// <summary>The form as posted, shown again after a refusal.</summary>
    public (string? To, string? From, string? Until, string? Reason) Form { get; private set; }

    public bool CanDelegate => User.HasClaim(ApiClaims.Scope, ApiScopes.Approver) || User.HasClaim(ApiClaims.Scope, ApiScopes.Admin);

    public async Task<IActionResult> OnGetAsync()
    {
        await LoadAsync().ConfigureAwait(false);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? to, string? from, string? until, string? reason)
    {
        if (!CanDelegate)
        {
            return Forbid(WebAuth.CookieScheme);
        }

        Form = (to, from, until, reason);
        var start = ParseTime(from, "From");
        var end = ParseTime(until, "Until");
        if (Error is null && end is null)
        {
            Error = "Until is required: when the delegation ends (UTC).";
        }

        if (Error is null)
        {
            var (granted, refusal) = await Hosting.Delegations.GrantAsync(User, to, start, end!.Value, reason, null, store, pack, time, HttpContext.RequestAborted).ConfigureAwait(false);
            if (refusal is not null)
            {
                Error = $"Delegation refused ({refusal.Code}): {refusal.Message}";
            }
            else
            {
                Notice = $"Delegation {granted!.Id} granted: {granted.Delegate.PersonId} covers {granted.Delegator.PersonId} from {Format.Time(granted.From)} until {Format.Time(granted.Until)}.";
                Form = default;
            }
        }

        return await PageAsync().ConfigureAwait(false);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? id)
    {
        if (!CanDelegate)
        {
            return Forbid(WebAuth.CookieScheme);
        }

        var (revoked, refusal) = await Hosting.Delegations.RevokeAsync(User, id ?? string.Empty, store, pack, HttpContext.RequestAborted).ConfigureAwait(false);
        if (refusal is not null)
        {
            Error = $"Revocation refused ({refusal.Code}): {refusal.Message}";
        }
        else
        {
            Notice = $"Delegation {revoked!.Id} revoked.";
        }

        return await PageAsync().ConfigureAwait(false);
    }

    /// <summary>The state of a delegation at <see cref="Now"/>, in a word.</summary>
    public string StatusOf(Delegation d) =>
        d.RevokedAt is not null ? "revoked" : d.ActiveAt(Now) ? "active" : Now < d.From ? "scheduled" : "expired";

    private async Task<IActionResult> PageAsync()
    {
        await LoadAsync().ConfigureAwait(false);
        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        }

        return Page();
    }

    private async Task LoadAsync()
    {
        Now = time.GetUtcNow();
        Me = ApprovalDesk.Resolve(pack.Identities, ApiClaims.IdentityOf(User)).PersonId;
        Delegations = await store.ListDelegationsAsync(Me, HttpContext.RequestAborted).ConfigureAwait(false);
    }

    private DateTimeOffset? ParseTime(string? text, string field)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParseExact(text.Trim(), TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }

        Error ??= $"{field} '{text}' is not a date and time; use YYYY-MM-DDTHH:MM (UTC).";
        return null;
    }
}
