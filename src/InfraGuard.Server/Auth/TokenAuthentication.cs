using System.Security.Claims;
using System.Text.Encodings.Web;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Auth;

/// <summary>Claim types and policy names of the API's bearer tokens.</summary>
public static class ApiClaims
{
    public const string Scheme = "Bearer";
    public const string Identity = "infraguard:identity";
    public const string Scope = "infraguard:scope";
    public const string TokenId = "infraguard:token";

    /// <summary>The person (or agent) who asked, as the credential proves it: a static token's own identity, or the CI's verified <c>actor</c> / <c>user_login</c> (<c>github:octocat</c>).</summary>
    public const string Requester = "infraguard:requester";

    /// <summary><c>"true"</c> when the requester comes from a verified CI workload-identity token; absent for static tokens.</summary>
    public const string Attested = "infraguard:attested";

    /// <summary>The commit the verified CI token names (<c>sha</c>), when attested.</summary>
    public const string Commit = "infraguard:commit";

    /// <summary>A stack glob the runner may touch (repeatable); absent means any stack (static tokens).</summary>
    public const string Stack = "infraguard:stack";

    /// <summary>The actor kind a trust rule fixes for this runner (<c>pipeline</c>, <c>agent</c>, <c>human</c>); absent means pipeline.</summary>
    public const string ActorKind = "infraguard:actor-kind";

    /// <summary>The CI run link a verified token names, when attested.</summary>
    public const string RunUrl = "infraguard:run-url";

    /// <summary>The raw identity the token acts as (e.g. <c>github:alice</c>).</summary>
    public static string IdentityOf(ClaimsPrincipal user) =>
        user.FindFirstValue(Identity) ?? throw new InvalidOperationException("An authenticated request has no identity claim.");

    /// <summary>Who asked: the verified requester claim, else the credential's own identity. Never a request body field.</summary>
    public static string RequesterOf(ClaimsPrincipal user) => user.FindFirstValue(Requester) ?? IdentityOf(user);

    /// <summary>True when the requester was proven by a CI workload-identity token.</summary>
    public static bool IsAttested(ClaimsPrincipal user) => user.FindFirstValue(Attested) == "true";

    /// <summary>The stack globs this runner may touch; empty means any.</summary>
    public static IReadOnlyList<string> StacksOf(ClaimsPrincipal user) => [.. user.FindAll(Stack).Select(c => c.Value)];

    /// <summary>The token id, for logs.</summary>
    public static string TokenIdOf(ClaimsPrincipal user) => user.FindFirstValue(TokenId) ?? "-";
}

/// <summary>
/// <c>Authorization: Bearer igt_…</c>: the token's SHA-256 is looked up in the store; a missing, unknown or revoked
/// token is 401, a token without the endpoint's scope 403, both as problem details. A bearer value shaped like a JWT
/// is a CI workload-identity token instead and goes to <see cref="WorkloadIdentityVerifier"/> (attested runners).
/// The token is never logged.
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ChangeStore store,
    WorkloadIdentityVerifier ciTokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    private const string FailureKey = "infraguard:auth-failure";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Fail("The Authorization header must be 'Bearer <token>'.");
        }

        var bearer = header["Bearer ".Length..].Trim();
        if (WorkloadIdentityVerifier.LooksLikeJwt(bearer))
        {
            var verified = await ciTokens.VerifyAsync(bearer, Context.RequestAborted).ConfigureAwait(false);
            return verified.Identity is { } runner
                ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(runner), ApiClaims.Scheme))
                : Fail(verified.Failure!);
        }

        var token = await store.FindTokenAsync(bearer, Context.RequestAborted).ConfigureAwait(false);
        if (token is null)
        {
            ServerLog.TokenUnknown(Logger, Request.Path);
            return Fail("The bearer token is not valid. Create one with 'infraguard tokens create'.");
        }

        if (!token.IsActive)
        {
            ServerLog.TokenRevoked(Logger, token.Id, Request.Path);
            return Fail($"Token {token.Id} was revoked at {token.RevokedAt:u}.");
        }

        var claims = new List<Claim> { new(ApiClaims.Identity, token.Identity), new(ApiClaims.TokenId, token.Id), new(ClaimTypes.Name, token.Identity) };
        claims.AddRange(token.Scopes.Select(s => new Claim(ApiClaims.Scope, s)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, ApiClaims.Scheme)), ApiClaims.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer realm=\"infraguard\"";
        var detail = Context.Items[FailureKey] as string ?? "This endpoint needs 'Authorization: Bearer <token>'. Create a token with 'infraguard tokens create'.";
        return Problems.Write(Context, StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var scopes = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredScopes>()?.Scopes ?? [];
        ServerLog.ScopeMissing(Logger, ApiClaims.TokenIdOf(Context.User), Request.Path);
        return Problems.Write(
            Context,
            StatusCodes.Status403Forbidden,
            "forbidden",
            "Missing scope",
            $"This token ({ApiClaims.IdentityOf(Context.User)}) lacks the scope this endpoint needs: {string.Join(" or ", scopes)}.");
    }

    private AuthenticateResult Fail(string message)
    {
        Context.Items[FailureKey] = message;
        return AuthenticateResult.Fail(message);
    }
}

/// <summary>Endpoint metadata naming the scopes that may call it (any one suffices).</summary>
public sealed record RequiredScopes(IReadOnlyList<string> Scopes);

/// <summary>Authorization policies by scope.</summary>
internal static class ScopePolicies
{
    /// <summary>Requires one of <paramref name="scopes"/> and records them for the 403 message.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] scopes)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .RequireAuthorization(policy => policy.AddAuthenticationSchemes(ApiClaims.Scheme).RequireAuthenticatedUser().RequireClaim(ApiClaims.Scope, scopes))
            .WithMetadata(new RequiredScopes(scopes));
}
