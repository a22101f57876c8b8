using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Auth;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages.Requests;

/// <summary>One request: findings, decisions, outcome, audit entries; approve or reject through the same Core rules as every channel.</summary>
public sealed class DetailModel(ChangeStore store, PolicyPack pack, ApprovalDesk desk, ILogger<DetailModel> logger) : PageModel
{
    public ChangeRequest? ChangeRequest { get; private set; }

    public IReadOnlyList<RequestDecision> Decisions { get; private set; } = [];

    public ApplyOutcome? Outcome { get; private set; }

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    public string? Error { get; private set; }

    public string? Notice { get; private set; }

    public bool CanDecide => User.HasClaim(ApiClaims.Scope, ApiScopes.Approver);

    /// <summary>The CI run URL, only when it is http(s): anything else is shown as text.</summary>
    public string? CiRunLink => Uri.TryCreate(ChangeRequest?.CiRunUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;

    public async Task<IActionResult> OnGetAsync(string id) => await LoadAsync(id).ConfigureAwait(false) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(string id, Verdict verdict, string? reason, string? planHash)
    {
        if (!CanDecide)
        {
            return Forbid(WebAuth.CookieScheme);
        }

        var raw = ApiClaims.IdentityOf(User);
        if (string.IsNullOrWhiteSpace(reason) || !Enum.IsDefined(verdict))
        {
            Error = "A reason is required: it is stored in the audit log with your decision.";
        }
        else
        {
            var outcome = await desk.DecideAsync(
                new DecisionAttempt(id, ApprovalDesk.ApproverFor(pack.Identities, raw), DecisionChannel.Web, verdict, reason, planHash),
                HttpContext.RequestAborted).ConfigureAwait(false);
            if (outcome.Error is { } error)
            {
                ServerLog.DecisionRefused(logger, verdict, id, raw, error.GetType().Name);
                if (error is RequestNotFound)
                {
                    return NotFound();
                }

                Error = error.Message;
            }
            else
            {
                ServerLog.DecisionRecorded(logger, verdict, id, raw, outcome.Request!.State);
                Notice = $"Your {Format.Lower(verdict)} was recorded; the request is now {Format.Lower(outcome.Request.State)}.";
            }
        }

        if (!await LoadAsync(id).ConfigureAwait(false))
        {
            return NotFound();
        }

        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        }

        return Page();
    }

    private async Task<bool> LoadAsync(string id)
    {
        var ct = HttpContext.RequestAborted;
        ChangeRequest = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (ChangeRequest is null)
        {
            return false;
        }

        Decisions = await store.GetDecisionsAsync(id, ct).ConfigureAwait(false);
        Outcome = await store.GetApplyOutcomeAsync(id, ct).ConfigureAwait(false);
        Entries = await store.ListEntriesAsync(new AuditQuery(Request: id, Limit: 1000), ct).ConfigureAwait(false);
        return true;
    }
}
