using System.Globalization;
using System.Security.Claims;
using InfraGuard.Store;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Auth;

/// <summary>What <see cref="WorkloadIdentityVerifier"/> made of a CI token: a runner identity, or why not (never the token itself).</summary>
internal sealed record RunnerVerification(ClaimsIdentity? Identity, string? Failure)
{
    public static RunnerVerification Fail(string reason) => new(null, reason);
}

/// <summary>
/// Verifies GitHub Actions and GitLab CI ID tokens (RS256 JWTs) against their issuer's published keys with
/// <see cref="JsonWebTokenHandler"/>, and maps a verified token through the first matching trust rule
/// (<see cref="WorkloadIdentityOptions"/>) to a runner: identity, scope runner, the requester and commit the CI
/// vouches for, the stacks it may touch, the run link. Only configured issuers are ever contacted.
/// </summary>
internal sealed class WorkloadIdentityVerifier : IDisposable
{
    /// <summary>The HttpClient that fetches issuers' discovery documents and key sets.</summary>
    public const string HttpClientName = "infraguard-ci-identity";

    private const string GitHubTokenHost = "token.actions.githubusercontent.com";

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly Dictionary<string, Issuer> _issuers;
    private readonly TimeProvider _time;
    private readonly TimeSpan _skew;
    private readonly ILogger _logger;

    public WorkloadIdentityVerifier(IOptions<WorkloadIdentityOptions> options, IHttpClientFactory http, TimeProvider time, ILogger<WorkloadIdentityVerifier> logger)
    {
        var o = options.Value;
        _time = time;
        _skew = TimeSpan.FromSeconds(o.ClockSkewSeconds);
        _logger = logger;
        _issuers = o.Trust
            .Select((rule, index) => (Rule: rule, Index: index))
            .GroupBy(r => r.Rule.Issuer!, StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => new Issuer(
                    g.Key,
                    [.. g],
                    new IssuerKeys(g.First().Rule.DiscoveryAddress, () => http.CreateClient(HttpClientName), o.RequireHttpsMetadata, time, TimeSpan.FromSeconds(o.KeyRefreshSeconds))),
                StringComparer.Ordinal);
    }

    /// <summary>True for a bearer value shaped like a compact JWS (<c>eyJ…</c> with three dot-separated parts); static tokens are <c>igt_…</c>.</summary>
    public static bool LooksLikeJwt(string bearer) =>
        bearer.StartsWith("eyJ", StringComparison.Ordinal) && bearer.AsSpan().Count('.') == 2;

    public async Task<RunnerVerification> VerifyAsync(string jwt, CancellationToken cancellationToken)
    {
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(jwt);
        }
        catch (ArgumentException)
        {
            return Rejected("-", "The bearer token looks like a JWT but is not a well-formed one.");
        }

        // The unverified `iss` only picks which configured issuer's keys the signature must verify with.
        if (!_issuers.TryGetValue(token.Issuer, out var issuer))
        {
            return Rejected(
                Clip(token.Issuer),
                $"No trust rule accepts CI tokens from issuer '{Clip(token.Issuer)}'. An administrator adds one under Server:Runners:Trust (docs/ci-identity.md).");
        }

        if (token.Alg != SecurityAlgorithms.RsaSha256)
        {
            return Rejected(issuer.Name, $"The CI token is signed with '{Clip(token.Alg)}'; only RS256 tokens from {issuer.Name} are accepted.");
        }

        TokenValidationResult result;
        try
        {
            var configuration = await issuer.Keys.GetAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(configuration.Issuer, issuer.Name, StringComparison.Ordinal))
            {
                // OpenID Connect Discovery: the document must name the issuer it was fetched for.
                WorkloadIdentityLog.KeysUnavailable(_logger, issuer.Name, issuer.Keys.DiscoveryAddress, $"the document names issuer '{Clip(configuration.Issuer)}'");
                return Rejected(issuer.Name, $"The discovery document at {issuer.Keys.DiscoveryAddress} names issuer '{Clip(configuration.Issuer)}', not {issuer.Name}; an administrator fixes Server:Runners:Trust Issuer or Discovery.");
            }

            result = await ValidateAsync(token, issuer, configuration).ConfigureAwait(false);
            if (result.Exception is SecurityTokenSignatureKeyNotFoundException
                && await issuer.Keys.RefreshAsync(configuration, cancellationToken).ConfigureAwait(false) is { } refreshed)
            {
                WorkloadIdentityLog.KeysRefreshed(_logger, issuer.Name, Clip(token.Kid), refreshed.SigningKeys.Count);
                result = await ValidateAsync(token, issuer, refreshed).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            WorkloadIdentityLog.KeysUnavailable(_logger, issuer.Name, issuer.Keys.DiscoveryAddress, e.Message);
            return Rejected(issuer.Name, $"The server could not fetch the signing keys of {issuer.Name} to check the CI token; try again, and if it persists an administrator checks that the server reaches {issuer.Keys.DiscoveryAddress}.");
        }

        if (!result.IsValid)
        {
            return Rejected(issuer.Name, Reason(result.Exception, token, issuer));
        }

        return Map(token, issuer);
    }

    public void Dispose()
    {
        foreach (var issuer in _issuers.Values)
        {
            issuer.Keys.Dispose();
        }
    }

    private Task<TokenValidationResult> ValidateAsync(JsonWebToken token, Issuer issuer, OpenIdConnectConfiguration configuration) =>
        _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer.Name,
            ValidAudiences = issuer.Audiences,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            IssuerSigningKeys = configuration.SigningKeys,
            TryAllIssuerSigningKeys = false, // the header's kid must name a published key
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            RequireAudience = true,
            ValidateLifetime = true,
            LifetimeValidator = ValidateLifetime,
            ClockSkew = _skew,
        });

    /// <summary>Lifetime against the server's <see cref="TimeProvider"/> (the library's own check reads the system clock).</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        if (expires is not { } exp)
        {
            throw new SecurityTokenNoExpirationException("The CI token has no expiry ('exp').");
        }

        if (notBefore is { } nbf && now + _skew < nbf)
        {
            throw new SecurityTokenNotYetValidException("not yet valid") { NotBefore = nbf };
        }

        return now - _skew < exp ? true : throw new SecurityTokenExpiredException("expired") { Expires = exp };
    }

    private string Reason(Exception? e, JsonWebToken token, Issuer issuer) => e switch
    {
        SecurityTokenExpiredException x => $"The CI token expired at {x.Expires:u} (server time {_time.GetUtcNow():u}); the runner fetches a fresh one from its CI.",
        SecurityTokenNotYetValidException x => $"The CI token is not valid before {x.NotBefore:u} (server time {_time.GetUtcNow():u}); check the server's and the runner's clocks.",
        SecurityTokenNoExpirationException => "The CI token has no expiry ('exp'); CI ID tokens always carry one.",
        SecurityTokenInvalidAudienceException =>
            $"The CI token is for audience '{Clip(string.Join(", ", token.Audiences))}', but trust rules for {issuer.Name} accept {string.Join(", ", issuer.Audiences.Select(a => $"'{a}'"))}; the runner sets INFRAGUARD_AUDIENCE (GitHub) or the id_tokens aud (GitLab) to match.",
        SecurityTokenSignatureKeyNotFoundException =>
            $"The CI token is signed with key id '{Clip(token.Kid)}', which {issuer.Name} does not publish; it was not issued by {issuer.Name}.",
        SecurityTokenInvalidSignatureException when !token.IsSigned => "The CI token is not signed.",
        SecurityTokenInvalidSignatureException => $"The CI token's signature does not verify with {issuer.Name}'s key '{Clip(token.Kid)}'; it was altered or not issued by {issuer.Name}.",
        SecurityTokenInvalidAlgorithmException => $"The CI token's algorithm '{Clip(token.Alg)}' is not accepted; only RS256.",
        SecurityTokenInvalidIssuerException => $"The CI token's issuer is not {issuer.Name}.",
        _ => $"The CI token from {issuer.Name} did not validate ({e?.GetType().Name ?? "unknown reason"}).",
    };

    private RunnerVerification Map(JsonWebToken token, Issuer issuer)
    {
        var match = issuer.Rules.FirstOrDefault(r =>
            token.Audiences.Contains(r.Rule.Audience, StringComparer.Ordinal)
            && r.Rule.Claims.All(c => Plain(token, c.Key) is { } v && ClaimGlob.IsMatch(c.Value, v)));
        if (match.Rule is null)
        {
            var names = issuer.Rules.SelectMany(r => r.Rule.Claims.Keys).Distinct(StringComparer.Ordinal);
            var seen = string.Join(", ", names.Select(n => Plain(token, n) is { } v ? $"{n} '{Clip(v)}'" : $"{n} (absent or not one value)"));
            return Rejected(issuer.Name, $"No trust rule for {issuer.Name} matches this CI token ({seen}); an administrator adds or widens one under Server:Runners:Trust.");
        }

        var rule = match.Rule;
        string kind, source, requester;
        string? runUrl;
        if (Plain(token, "repository") is { } repository && Plain(token, "actor") is { } actor)
        {
            (kind, source, requester) = ("github", repository, actor);
            runUrl = Plain(token, "run_id") is { } run && IsNumber(run) ? $"{GitHubWeb(issuer.Name)}/{EscapePath(repository)}/actions/runs/{run}" : null;
        }
        else if (Plain(token, "project_path") is { } project && Plain(token, "user_login") is { } login)
        {
            (kind, source, requester) = ("gitlab", project, login);
            runUrl = Plain(token, "pipeline_id") is { } pipeline && IsNumber(pipeline) ? $"{issuer.Name.TrimEnd('/')}/{EscapePath(project)}/-/pipelines/{pipeline}" : null;
        }
        else
        {
            return Rejected(issuer.Name, $"The CI token from {issuer.Name} names no requester: neither GitHub's 'actor' and 'repository' nor GitLab's 'user_login' and 'project_path'.");
        }

        if (Plain(token, "sha") is not { Length: > 0 } sha)
        {
            return Rejected(issuer.Name, $"The CI token from {issuer.Name} names no commit ('sha').");
        }

        var identity = rule.Identity is { Length: > 0 } named ? named : $"ci:{kind}:{source}";
        var claims = new List<Claim>
        {
            new(ApiClaims.Identity, identity),
            new(ClaimTypes.Name, identity),
            new(ApiClaims.TokenId, "ci-token:" + (token.Id is { Length: > 0 } jti ? Clip(jti) : "-")),
            new(ApiClaims.Scope, ApiScopes.Runner),
            new(ApiClaims.Requester, $"{kind}:{requester}"),
            new(ApiClaims.Attested, "true"),
            new(ApiClaims.Commit, sha),
        };
        claims.AddRange(rule.Stacks.Select(s => new Claim(ApiClaims.Stack, s)));
        if (rule.ActorKind is { Length: > 0 } actorKind)
        {
            claims.Add(new Claim(ApiClaims.ActorKind, actorKind.ToLowerInvariant()));
        }

        if (runUrl is not null)
        {
            claims.Add(new Claim(ApiClaims.RunUrl, runUrl));
        }

        WorkloadIdentityLog.Accepted(_logger, identity, $"{kind}:{requester}", sha, issuer.Name, match.Index);
        return new RunnerVerification(new ClaimsIdentity(claims, ApiClaims.Scheme), null);
    }

    private RunnerVerification Rejected(string issuer, string reason)
    {
        WorkloadIdentityLog.Rejected(_logger, issuer, reason);
        return RunnerVerification.Fail(reason);
    }

    /// <summary>A claim with a plain value (string, integer, boolean) as text; arrays and objects are null, so they never match a rule.</summary>
    private static string? Plain(JsonWebToken token, string name) =>
        token.TryGetPayloadValue<object>(name, out var value)
            ? value switch
            {
                string s => s,
                bool b => b ? "true" : "false",
                int or long => Convert.ToString(value, CultureInfo.InvariantCulture),
                _ => null,
            }
            : null;

    /// <summary>github.com's tokens come from token.actions.githubusercontent.com (also with an enterprise slug); GHES issues them on its own host.</summary>
    private static string GitHubWeb(string issuer) =>
        new Uri(issuer) is var uri && uri.Host == GitHubTokenHost ? "https://github.com" : uri.GetLeftPart(UriPartial.Authority);

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static bool IsNumber(string text) => text.Length is > 0 and <= 20 && text.All(char.IsAsciiDigit);

    /// <summary>Claim values go into messages only in part: they come from a token nobody has verified yet.</summary>
    private static string Clip(string? text) =>
        text is null ? string.Empty : text.Length <= 120 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..120]}… ({text.Length} characters)");

    private sealed record Issuer(string Name, IReadOnlyList<(TrustRule Rule, int Index)> Rules, IssuerKeys Keys)
    {
        public IReadOnlyList<string> Audiences { get; } = [.. Rules.Select(r => r.Rule.Audience!).Distinct(StringComparer.Ordinal)];
    }
}

/// <summary>
/// Claim patterns: <c>*</c> any run of characters, <c>?</c> one, everything else exact and case-sensitive (git refs
/// are). Matched greedily with one backtrack point, so time stays linear in practice and never explodes.
/// </summary>
internal static class ClaimGlob
{
    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]) && pattern[p] != '*')
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}

/// <summary>Registration of CI workload-identity runner credentials.</summary>
public static class WorkloadIdentitySetup
{
    /// <summary>Binds and validates <c>Server:Runners</c> at start and registers the verifier the bearer-token handler uses for JWTs.</summary>
    public static IServiceCollection AddWorkloadIdentity(this IServiceCollection services)
    {
        services.AddOptions<WorkloadIdentityOptions>()
            .BindConfiguration(WorkloadIdentityOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(WorkloadIdentityVerifier.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<WorkloadIdentityVerifier>();
        return services;
    }
}

/// <summary>Log lines of CI token checks: issuers, identities, commits and reasons; never a token.</summary>
internal static partial class WorkloadIdentityLog
{
    [LoggerMessage(50, LogLevel.Debug, "CI token accepted as runner {Identity} for requester {Requester}, commit {Commit} ({Issuer}, trust rule {Rule})")]
    public static partial void Accepted(ILogger logger, string identity, string requester, string commit, string issuer, int rule);

    [LoggerMessage(51, LogLevel.Warning, "Rejected a CI token from {Issuer}: {Reason}")]
    public static partial void Rejected(ILogger logger, string issuer, string reason);

    [LoggerMessage(52, LogLevel.Information, "Fetched the keys of {Issuer} again for unknown key id {KeyId}: {KeyCount} keys published")]
    public static partial void KeysRefreshed(ILogger logger, string issuer, string keyId, int keyCount);

    [LoggerMessage(53, LogLevel.Warning, "Could not fetch the keys of {Issuer} from {Address}: {Error}")]
    public static partial void KeysUnavailable(ILogger logger, string issuer, string address, string error);
}
