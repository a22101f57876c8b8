using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>
/// A loopback stand-in for a CI token issuer (GitHub Actions / GitLab): serves <c>/.well-known/openid-configuration</c>
/// and <c>/jwks</c>, counts fetches, and mints RS256 tokens. Either with keys the test makes (RSA 2048, key ids
/// <c>synthetic-…</c>: never any real issuer's), or serving a captured discovery document and key set from fixture
/// files, the document's <c>jwks_uri</c> pointed at this stand-in and the key set byte for byte. Also GitHub Actions'
/// ID token request endpoint (<see cref="ActionsTokenUrl"/>), which hands out tokens for acme/shop.
/// </summary>
internal sealed class StandInIssuer : IAsyncDisposable
{
    /// <summary>What the stand-in expects as <c>ACTIONS_ID_TOKEN_REQUEST_TOKEN</c>.</summary>
    public const string ActionsRequestToken = "synthetic-actions-request-token";

    /// <summary>The commit synthetic GitHub tokens name.</summary>
    public const string SyntheticSha = "5f3c1a9e0d2b4c6a8e7f9d1b3a5c7e9f0b2d4f6a";

    private readonly WebApplication _app;
    private readonly List<(string Kid, RSA Key)> _published = [];
    private readonly List<RSA> _all = [];
    private readonly string? _fixtureDiscovery;
    private readonly string? _fixtureJwks;
    private int _discoveryFetches;
    private int _jwksFetches;

    private StandInIssuer(WebApplication app, string? fixtureDiscovery, string? fixtureJwks)
    {
        _app = app;
        _fixtureDiscovery = fixtureDiscovery;
        _fixtureJwks = fixtureJwks;
    }

    /// <summary>The stand-in's base URL, <c>http://127.0.0.1:PORT</c>: the issuer of synthetic tokens.</summary>
    public string Url { get; private set; } = string.Empty;

    public string DiscoveryUrl => Url + "/.well-known/openid-configuration";

    /// <summary>An <c>ACTIONS_ID_TOKEN_REQUEST_URL</c>: like GitHub's, it already has a query.</summary>
    public string ActionsTokenUrl => Url + "/actions/idtoken?api-version=2.0";

    /// <summary>The clock of tokens the Actions endpoint hands out.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    public TimeSpan ActionsTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Each Actions token request: its query string and Authorization header.</summary>
    public ConcurrentQueue<(string Query, string? Authorization)> ActionsRequests { get; } = new();

    public int DiscoveryFetches => Volatile.Read(ref _discoveryFetches);

    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    /// <summary>The key id tokens are signed with by default (the newest published key).</summary>
    public string CurrentKid => _published[^1].Kid;

    /// <summary>The public half of the current key, as a key set publishes it.</summary>
    public RSAParameters CurrentPublicKey => _published[^1].Key.ExportParameters(false);

    /// <summary>A stand-in with one synthetic key.</summary>
    public static async Task<StandInIssuer> StartAsync()
    {
        var issuer = await StartAsync(null, null);
        issuer.Rotate(keepOld: false);
        return issuer;
    }

    /// <summary>A stand-in that serves a captured discovery document and key set (<paramref name="realJwksUri"/> is replaced by its own).</summary>
    public static async Task<StandInIssuer> StartWithFixturesAsync(string discoveryFile, string jwksFile, string realJwksUri) =>
        await StartAsync((await File.ReadAllTextAsync(discoveryFile)).Replace(realJwksUri, "{jwks}", StringComparison.Ordinal), await File.ReadAllTextAsync(jwksFile));

    private static async Task<StandInIssuer> StartAsync(string? discovery, string? jwks)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var issuer = new StandInIssuer(builder.Build(), discovery, jwks);
        issuer._app.MapGet("/.well-known/openid-configuration", issuer.Discovery);
        issuer._app.MapGet("/jwks", issuer.Jwks);
        issuer._app.MapGet("/actions/idtoken", issuer.ActionsToken);
        await issuer._app.StartAsync();
        issuer.Url = issuer._app.Urls.First().TrimEnd('/');
        return issuer;
    }

    /// <summary>Makes a new synthetic key the current one; <paramref name="keepOld"/> keeps publishing the earlier ones.</summary>
    public string Rotate(bool keepOld = true)
    {
        var key = RSA.Create(2048);
        _all.Add(key);
        var kid = $"synthetic-{_all.Count}";
        lock (_published)
        {
            if (!keepOld)
            {
                _published.Clear();
            }

            _published.Add((kid, key));
        }

        return kid;
    }

    /// <summary>A key the issuer never publishes (for forged tokens).</summary>
    public static RsaSecurityKey Unpublished(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    /// <summary>A signing key for the current published key.</summary>
    public RsaSecurityKey CurrentSigningKey => new(_published[^1].Key) { KeyId = CurrentKid };

    /// <summary>An RS256 token with <paramref name="claims"/> (which may override iss/aud), valid from <paramref name="now"/> for <paramref name="lifetime"/>.</summary>
    public string Mint(IReadOnlyDictionary<string, object> claims, DateTimeOffset now, TimeSpan? lifetime = null, SecurityKey? key = null, string algorithm = SecurityAlgorithms.RsaSha256, string? audience = "infraguard", DateTimeOffset? notBefore = null)
    {
        var payload = new Dictionary<string, object>(claims, StringComparer.Ordinal);
        payload.TryAdd("iss", Url);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = payload,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = (notBefore ?? now.AddSeconds(-30)).UtcDateTime,
            Expires = now.Add(lifetime ?? TimeSpan.FromMinutes(5)).UtcDateTime,
            SigningCredentials = new SigningCredentials(key ?? CurrentSigningKey, algorithm),
        });
    }

    /// <summary>GitHub Actions claims as a real token carries them (shapes from the fixtures), for acme/shop by default.</summary>
    public static Dictionary<string, object> GitHubClaims(string repository = "acme/shop", string @ref = "refs/heads/main", string? environment = "production", string actor = "octocat")
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sub"] = environment is null ? $"repo:{repository}:ref:{@ref}" : $"repo:{repository}:environment:{environment}",
            ["repository"] = repository,
            ["repository_owner"] = repository.Split('/')[0],
            ["ref"] = @ref,
            ["ref_type"] = "branch",
            ["ref_protected"] = "true",
            ["sha"] = SyntheticSha,
            ["actor"] = actor,
            ["actor_id"] = "43356",
            ["run_id"] = "14144996512",
            ["run_attempt"] = "1",
            ["workflow"] = "deploy",
            ["job_workflow_ref"] = $"{repository}/.github/workflows/deploy.yml@{@ref}",
            ["event_name"] = "push",
            ["jti"] = Guid.NewGuid().ToString(),
        };
        if (environment is not null)
        {
            claims["environment"] = environment;
        }

        return claims;
    }

    /// <summary>Unsigned: <c>{"alg":"none"}</c> and an empty signature.</summary>
    public static string Unsigned(IReadOnlyDictionary<string, object> payload) =>
        B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "none", typ = "JWT" })) + "." + B64(JsonSerializer.SerializeToUtf8Bytes(payload)) + ".";

    public static string B64(byte[] bytes) => Base64UrlEncoder.Encode(bytes);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static string FromB64(string part) => Base64UrlEncoder.Decode(part);

    private IResult Discovery()
    {
        Interlocked.Increment(ref _discoveryFetches);
        return _fixtureDiscovery is not null
            ? Results.Text(_fixtureDiscovery.Replace("{jwks}", Url + "/jwks", StringComparison.Ordinal), "application/json")
            : Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = Url,
                ["jwks_uri"] = Url + "/jwks",
                ["response_types_supported"] = new[] { "id_token" },
                ["subject_types_supported"] = new[] { "public" },
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            });
    }

    private IResult Jwks()
    {
        Interlocked.Increment(ref _jwksFetches);
        if (_fixtureJwks is not null)
        {
            return Results.Text(_fixtureJwks, "application/json");
        }

        lock (_published)
        {
            return Results.Json(new
            {
                keys = _published.Select(k => k.Key.ExportParameters(false)).Zip(_published, (p, k) => new
                {
                    kty = "RSA", use = "sig", alg = "RS256", kid = k.Kid, n = B64(p.Modulus!), e = B64(p.Exponent!),
                }).ToArray(),
            });
        }
    }

    private IResult ActionsToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        ActionsRequests.Enqueue((request.QueryString.Value ?? string.Empty, authorization));
        if (!string.Equals(authorization, "bearer " + ActionsRequestToken, StringComparison.OrdinalIgnoreCase) || request.Query["api-version"] != "2.0")
        {
            return Results.Json(new { message = "Bad credentials" }, statusCode: 401);
        }

        var audience = request.Query["audience"].ToString();
        var token = Mint(GitHubClaims(), Clock.GetUtcNow(), ActionsTokenLifetime, audience: audience.Length > 0 ? audience : "https://github.com/acme");
        return Results.Json(new { count = token.Length, value = token });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var key in _all)
        {
            key.Dispose();
        }
    }
}
