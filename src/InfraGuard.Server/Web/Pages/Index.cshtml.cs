using InfraGuard.Core.Requests;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace InfraGuard.Server.Web.Pages;

/// <summary>Pending requests, newest first.</summary>
public sealed class PendingModel(ChangeStore store, TimeProvider time) : PageModel
{
    public IReadOnlyList<ChangeRequest> Requests { get; private set; } = [];

    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync()
    {
        Now = time.GetUtcNow();
        var list = await store.ListAsync(new RequestQuery(State: RequestState.Pending, Limit: 500), HttpContext.RequestAborted).ConfigureAwait(false);
        Requests = [.. list.OrderByDescending(r => r.CreatedAt)];
    }
}
