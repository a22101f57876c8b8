using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfraGuard.Server.Auth;
using InfraGuard.Store;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>One stand-in issuer (synthetic keys) and one server trusting it with the documented example rule.</summary>
public sealed class CiTokenWorld : IAsyncLifetime
{
    private ApiWorld _world = null!;

    internal StandInIssuer Issuer { get; private set; } = null!;

    internal WebApplicationFactory<ServerApp> Server { get; private set; } = null!;

    internal DateTimeOffset Now => _world.Time.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        _world = new ApiWorld();
        Issuer = await StandInIssuer.StartAsync();
        Server = _world.NewFactory(CiTokenServer.Settings(Issuer.Url)).WithWhoAmI();
    }

    public async ValueTask DisposeAsync()
    {
        _world.Dispose();
        await Issuer.DisposeAsync();
    }
}

public sealed class CiTokenAuthenticationTests(CiTokenWorld ci) : IClassFixture<CiTokenWorld>
{
    [Fact]
    public async Task ValidGitHubToken_MatchingRule_AuthenticatesAttestedRunnerWithClaimsFromToken()
    {
        var token = ci.Issuer.Mint(StandInIssuer.GitHubClaims(actor: "octocat"), ci.Now);

        var (status, claims) = await ci.Server.WhoAmIAsync(token);
        using var client = ci.Server.Bearer(token);
        using var list = await client.GetAsync("/api/v1/requests");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal("ci:github:acme/shop", claims.Value(ApiClaims.Identity));
        Assert.Equal([ApiScopes.Runner], claims.Values(ApiClaims.Scope));
        Assert.Equal("github:octocat", claims.Value(ApiClaims.Requester));
        Assert.Equal("true", claims.Value(ApiClaims.Attested));
        Assert.Equal(StandInIssuer.SyntheticSha, claims.Value(ApiClaims.Commit));
        Assert.Equal(["prod", "prod-*"], claims.Values(ApiClaims.Stack));
        Assert.Equal(ci.Issuer.Url + "/acme/shop/actions/runs/14144996512", claims.Value(ApiClaims.RunUrl)); // an issuer other than github.com's is a GHES host
        Assert.Null(claims.Value(ApiClaims.ActorKind));
    }

    public static TheoryData<string> Attacks() =>
    [
        "forged-signature", "expired", "not-yet-valid", "wrong-audience", "wrong-issuer", "issuer-with-trailing-slash",
        "unknown-kid", "alg-none", "hs256-with-public-key", "no-matching-rule", "other-repository", "other-ref",
        "ref-differs-in-case", "other-environment", "no-environment", "repository-as-array", "claims-swapped-after-signing",
    ];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task AnyEndpoint_AttackToken_401ProblemWithReasonAndNoToken(string attack)
    {
        var (token, reason) = Attack(attack);
        using var client = ci.Server.Bearer(token);

        using var response = await client.GetAsync("/api/v1/requests");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var detail = (string)JsonNode.Parse(body)!["detail"]!;
        Assert.Contains(reason, detail, StringComparison.Ordinal);
        foreach (var part in token.Split('.').Where(p => p.Length > 0))
        {
            Assert.DoesNotContain(part, body, StringComparison.Ordinal);
        }
    }

    private (string Token, string Reason) Attack(string attack)
    {
        var now = ci.Now;
        var github = StandInIssuer.GitHubClaims();
        return attack switch
        {
            "forged-signature" => (ci.Issuer.Mint(github, now, key: StandInIssuer.Unpublished(ci.Issuer.CurrentKid)), "signature does not verify"),
            "expired" => (ci.Issuer.Mint(github, now.AddMinutes(-10), lifetime: TimeSpan.FromMinutes(5)), "expired at"),
            "not-yet-valid" => (ci.Issuer.Mint(github, now, notBefore: now.AddMinutes(5)), "not valid before"),
            "wrong-audience" => (ci.Issuer.Mint(github, now, audience: "https://github.com/acme"), "audience 'https://github.com/acme'"),
            "wrong-issuer" => (ci.Issuer.Mint(With(github, "iss", "https://token.actions.githubusercontent.com"), now), "No trust rule accepts CI tokens from issuer 'https://token.actions.githubusercontent.com'"),
            "issuer-with-trailing-slash" => (ci.Issuer.Mint(With(github, "iss", ci.Issuer.Url + "/"), now), "No trust rule accepts CI tokens from issuer"),
            "unknown-kid" => (ci.Issuer.Mint(github, now, key: StandInIssuer.Unpublished("synthetic-never-published")), "key id 'synthetic-never-published'"),
            "alg-none" => (StandInIssuer.Unsigned(With(With(github, "iss", ci.Issuer.Url), "aud", "infraguard")), "signed with 'none'"),
            "hs256-with-public-key" => (HmacWithPublicKey(github, now), "signed with 'HS256'"),
            "no-matching-rule" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(repository: "evil/shop"), now), "No trust rule for " + ci.Issuer.Url + " matches this CI token"),
            "other-repository" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(repository: "acme/shop-fork"), now), "repository 'acme/shop-fork'"),
            "other-ref" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(@ref: "refs/heads/feature"), now), "ref 'refs/heads/feature'"),
            "ref-differs-in-case" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(@ref: "refs/heads/Main"), now), "ref 'refs/heads/Main'"),
            "other-environment" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(environment: "staging"), now), "environment 'staging'"),
            "no-environment" => (ci.Issuer.Mint(StandInIssuer.GitHubClaims(environment: null), now), "environment (absent or not one value)"),
            "repository-as-array" => (ci.Issuer.Mint(With(github, "repository", new[] { "acme/shop", "evil/shop" }), now), "repository (absent or not one value)"),
            "claims-swapped-after-signing" => (SwapPayload(ci.Issuer.Mint(github, now), With(github, "actor", "mallory")), "signature does not verify"),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
    }

    [Fact]
    public async Task StaticToken_StillWorks_Unattested()
    {
        var issued = await ci.Server.Services.GetRequiredService<ChangeStore>().CreateTokenAsync("ci:deploy-prod", [ApiScopes.Runner], null, new Core.Requests.PersonRef("admin", "local:admin"));

        var (status, claims) = await ci.Server.WhoAmIAsync(issued.Token);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ci:deploy-prod", claims.Value(ApiClaims.Identity));
        Assert.Null(claims.Value(ApiClaims.Attested));
        Assert.Null(claims.Value(ApiClaims.Requester));
        Assert.Empty(claims.Values(ApiClaims.Stack));
    }

    private static Dictionary<string, object> With(Dictionary<string, object> claims, string name, object value) =>
        new(claims, StringComparer.Ordinal) { [name] = value };

    /// <summary>The classic confusion attack: HS256 with the issuer's RSA public key (as published) as the HMAC secret.</summary>
    private string HmacWithPublicKey(Dictionary<string, object> claims, DateTimeOffset now)
    {
        using var rsa = RSA.Create(ci.Issuer.CurrentPublicKey);
        var secret = new SymmetricSecurityKey(rsa.ExportSubjectPublicKeyInfo()) { KeyId = ci.Issuer.CurrentKid };
        return ci.Issuer.Mint(claims, now, key: secret, algorithm: SecurityAlgorithms.HmacSha256);
    }

    /// <summary>Keeps header and signature of a real token and puts another payload between them.</summary>
    private static string SwapPayload(string token, Dictionary<string, object> payload)
    {
        var parts = token.Split('.');
        var original = JsonNode.Parse(StandInIssuer.FromB64(parts[1]))!.AsObject();
        foreach (var (k, v) in payload)
        {
            original[k] = JsonValue.Create(v.ToString());
        }

        return parts[0] + "." + StandInIssuer.B64(original.ToJsonString()) + "." + parts[2];
    }
}

public class CiTokenKeyRotationTests
{
    [Fact]
    public async Task IssuerRotatesKeys_TokenWithNewKid_VerifiesAfterOneRefresh()
    {
        using var world = new ApiWorld();
        await using var issuer = await StandInIssuer.StartAsync();
        var server = world.NewFactory(CiTokenServer.Settings(issuer.Url)).WithWhoAmI();
        var before = await server.WhoAmIAsync(issuer.Mint(StandInIssuer.GitHubClaims(), world.Time.GetUtcNow()));
        var fetchesBefore = issuer.JwksFetches;

        issuer.Rotate(keepOld: false);
        var after = await server.WhoAmIAsync(issuer.Mint(StandInIssuer.GitHubClaims(actor: "hubot"), world.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal(1, fetchesBefore);
        Assert.Equal(HttpStatusCode.OK, after.Status);
        Assert.Equal("github:hubot", after.Body.Value(ApiClaims.Requester));
        Assert.Equal(2, issuer.JwksFetches);
    }

    [Fact]
    public async Task UnknownKids_RefreshAtMostOncePerInterval_ThenAgainAfterIt()
    {
        using var world = new ApiWorld();
        await using var issuer = await StandInIssuer.StartAsync();
        var server = world.NewFactory(new Dictionary<string, string>(CiTokenServer.Settings(issuer.Url)) { ["Server:Runners:KeyRefreshSeconds"] = "60" }).WithWhoAmI();
        string Forged(int i) => issuer.Mint(StandInIssuer.GitHubClaims(), world.Time.GetUtcNow(), key: StandInIssuer.Unpublished($"made-up-{i}"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await server.WhoAmIAsync(Forged(i))).Status);
        }

        var fetchesInInterval = issuer.JwksFetches;
        world.Time.Advance(TimeSpan.FromSeconds(61));
        var later = await server.WhoAmIAsync(Forged(99));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.Equal(2, fetchesInInterval); // the first fetch, and one refresh for the first unknown kid
        Assert.Equal(HttpStatusCode.Unauthorized, later.Status);
        Assert.Equal(3, issuer.JwksFetches);
    }

    [Fact]
    public async Task IssuerUnreachable_401SayingKeysCouldNotBeFetched()
    {
        using var world = new ApiWorld();
        var issuer = await StandInIssuer.StartAsync();
        var url = issuer.Url;
        var token = issuer.Mint(StandInIssuer.GitHubClaims(), world.Time.GetUtcNow());
        await issuer.DisposeAsync();
        var server = world.NewFactory(CiTokenServer.Settings(url)).WithWhoAmI();

        var (status, body) = await server.WhoAmIAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("could not fetch the signing keys of " + url, (string)body["detail"]!, StringComparison.Ordinal);
    }
}

public class CiTokenSettingsTests
{
    [Theory]
    [InlineData("Claims:repository", "", "Server:Runners:Trust:0:Claims:repository is empty")]
    [InlineData("Claims:repository", "*", "Server:Runners:Trust:0:Claims must pin where tokens come from")]
    [InlineData("Audience", "", "Server:Runners:Trust:0:Audience is required")]
    [InlineData("Issuer", "token.actions.githubusercontent.com", "Server:Runners:Trust:0:Issuer 'token.actions.githubusercontent.com' must be an absolute")]
    [InlineData("Stacks:0", "", "Server:Runners:Trust:0:Stacks must list")]
    [InlineData("ActorKind", "robot", "Server:Runners:Trust:0:ActorKind 'robot' is not one of")]
    public void Startup_BadTrustRule_FailsNamingTheSetting(string key, string value, string expected)
    {
        using var world = new ApiWorld();
        var settings = new Dictionary<string, string>(CiTokenServer.Settings("https://token.actions.githubusercontent.com"))
        {
            ["Server:Runners:RequireHttpsMetadata"] = "true",
            [$"{CiTokenServer.Rule}:{key}"] = value,
        };

        var error = Assert.Throws<OptionsValidationException>(() => world.NewFactory(settings).CreateClient());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_HttpIssuerWithoutOptingOut_Fails()
    {
        using var world = new ApiWorld();
        var settings = new Dictionary<string, string>(CiTokenServer.Settings("http://127.0.0.1:9")) { ["Server:Runners:RequireHttpsMetadata"] = "true" };

        var error = Assert.Throws<OptionsValidationException>(() => world.NewFactory(settings).CreateClient());

        Assert.Contains("Server:Runners:Trust:0:Issuer 'http://127.0.0.1:9' must be an absolute https URL", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refs/heads/main", "refs/heads/main", true)]
    [InlineData("refs/heads/main", "refs/heads/Main", false)]
    [InlineData("refs/heads/main", "refs/heads/main2", false)]
    [InlineData("refs/tags/v*", "refs/tags/v1.2.3", true)]
    [InlineData("refs/tags/v*", "refs/heads/v1", false)]
    [InlineData("acme/*", "acme/shop", true)]
    [InlineData("acme/*", "acmeX/shop", false)]
    [InlineData("acme/sho?", "acme/shop", true)]
    [InlineData("*a*a*a*a*a*a*a*a*a*a*a*ac", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", false)]
    [InlineData("*", "", true)]
    [InlineData("a", "", false)]
    public void ClaimGlob_Patterns_MatchExactlyAndCaseSensitive(string pattern, string text, bool expected) =>
        Assert.Equal(expected, ClaimGlob.IsMatch(pattern, text));
}
