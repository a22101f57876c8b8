using System.Security.Claims;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Server.Auth;
using InfraGuard.Store;

namespace InfraGuard.Server.Api;

/// <summary>/api/v1/tokens (admin): create (the secret is in the response once), list, revoke.</summary>
internal static class TokenEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens").RequireScope(ApiScopes.Admin);
        tokens.MapPost("/", CreateAsync);
        tokens.MapGet("/", ListAsync);
        tokens.MapDelete("/{tokenId}", RevokeAsync);
    }

    private static async Task<IResult> CreateAsync(CreateTokenBody body, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, ILoggerFactory logs, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Identity) || !body.Identity.Contains(':', StringComparison.Ordinal))
        {
            return Problems.BadRequest("identity is required, written kind:id, e.g. github:alice or slack:U0123ABCD.");
        }

        if (body.Scopes is not { Count: > 0 } || body.Scopes.Any(s => !ApiScopes.IsKnown(s)))
        {
            return Problems.BadRequest($"scopes must name one or more of: {string.Join(", ", ApiScopes.All)}.");
        }

        var actor = ApiClaims.IdentityOf(user);
        var issued = await store.CreateTokenAsync(body.Identity, [.. body.Scopes], body.Name, ApprovalDesk.Resolve(pack.Identities, actor), ct).ConfigureAwait(false);
        ServerLog.TokenChanged(logs.CreateLogger("InfraGuard.Server.Tokens"), issued.Info.Id, issued.Info.Identity, "created", actor);
        return TypedResults.Created($"/api/v1/tokens/{issued.Info.Id}", new CreatedTokenView(TokenView.From(issued.Info), issued.Token));
    }

    private static async Task<IResult> ListAsync(ChangeStore store, CancellationToken ct) =>
        TypedResults.Ok((await store.ListTokensAsync(ct).ConfigureAwait(false)).Select(TokenView.From).ToList());

    private static async Task<IResult> RevokeAsync(string tokenId, ClaimsPrincipal user, ChangeStore store, PolicyPack pack, ILoggerFactory logs, CancellationToken ct)
    {
        var actor = ApiClaims.IdentityOf(user);
        var revoked = await store.RevokeTokenAsync(tokenId, ApprovalDesk.Resolve(pack.Identities, actor), ct).ConfigureAwait(false);
        if (revoked is null)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "not-found", "No such token", $"Token {tokenId} does not exist; list tokens with GET /api/v1/tokens.");
        }

        ServerLog.TokenChanged(logs.CreateLogger("InfraGuard.Server.Tokens"), revoked.Id, revoked.Identity, "revoked", actor);
        return TypedResults.Ok(TokenView.From(revoked));
    }
}
