using InfraGuard.Core.Audit;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages.Audit;

/// <summary>Runs the store's verification over the whole log and shows the latest checkpoint.</summary>
public sealed class VerifyModel(ChangeStore store) : PageModel
{
    public AuditVerification? Result { get; private set; }

    public AuditCheckpoint? Checkpoint { get; private set; }

    public async Task OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        var keys = await store.ListKeysAsync(ct).ConfigureAwait(false);
        Result = await store.VerifyAsync(keys, null, ct).ConfigureAwait(false);
        Checkpoint = (await store.ListCheckpointsAsync(ct).ConfigureAwait(false)).MaxBy(c => c.Number);
    }
}
