using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Server.Auth;
using InfraGuard.Testing;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>
/// Real CI tokens and captured issuer documents (shared/fixtures/ci-oidc, see its SOURCES.md), served by the loopback
/// stand-in and fetched by the server through the same HTTP path as in production, with the clock pinned.
/// </summary>
public class CiTokenFixtureTests
{
    private const string GitHubIssuer = "https://token.actions.githubusercontent.com";
    private const string RealSha = "0f661a4a011d77cb21fa4dc7013d9b6f928666ed";

    // The real token is valid from nbf 1743245927 to exp 1743267827 (2025-03-29, a 6-hour token).
    private static readonly DateTimeOffset InGitHubTokenLifetime = DateTimeOffset.FromUnixTimeSeconds(1743246227 + 60);
    private static readonly DateTimeOffset InGitLabTokenLifetime = DateTimeOffset.FromUnixTimeSeconds(1722189366 + 60);

    private static string RealGitHubToken => File.ReadAllText(Repo.Fixture("ci-oidc", "github", "real-token.rgl.jwt")).Trim();

    private static Task<StandInIssuer> GitHubKeysAsync() => StandInIssuer.StartWithFixturesAsync(
        Repo.Fixture("ci-oidc", "github", "openid-configuration.captured.json"),
        Repo.Fixture("ci-oidc", "github", "jwks.captured.json"),
        GitHubIssuer + "/.well-known/jwks");

    private static Dictionary<string, string> GitHubRule(StandInIssuer keys) => new()
    {
        ["Server:Runners:RequireHttpsMetadata"] = "false", // the stand-in's discovery URL; the issuer itself is GitHub's https one
        [$"{CiTokenServer.Rule}:Issuer"] = GitHubIssuer,
        [$"{CiTokenServer.Rule}:Discovery"] = keys.DiscoveryUrl,
        [$"{CiTokenServer.Rule}:Audience"] = "https://example.com",
        [$"{CiTokenServer.Rule}:Claims:repository"] = "rgl/github-actions-validate-jwt",
        [$"{CiTokenServer.Rule}:Claims:ref"] = "refs/heads/main",
        [$"{CiTokenServer.Rule}:Claims:job_workflow_ref"] = "rgl/github-actions-validate-jwt/.github/workflows/*@refs/heads/main",
        [$"{CiTokenServer.Rule}:Stacks:0"] = "*",
    };

    [Fact]
    public async Task RealGitHubToken_CapturedKeySet_VerifiesWithRequesterAndCommitFromClaims()
    {
        using var world = new ApiWorld();
        await using var keys = await GitHubKeysAsync();
        var server = world.NewFactory(GitHubRule(keys)).WithWhoAmI(new FakeTimeProvider(InGitHubTokenLifetime));

        var (status, claims) = await server.WhoAmIAsync(RealGitHubToken);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ci:github:rgl/github-actions-validate-jwt", claims.Value(ApiClaims.Identity));
        Assert.Equal("github:rgl", claims.Value(ApiClaims.Requester));
        Assert.Equal(RealSha, claims.Value(ApiClaims.Commit));
        Assert.Equal("true", claims.Value(ApiClaims.Attested));
        Assert.Equal("https://github.com/rgl/github-actions-validate-jwt/actions/runs/14144996512", claims.Value(ApiClaims.RunUrl));
        Assert.Equal(["*"], claims.Values(ApiClaims.Stack));
        Assert.Equal((1, 1), (keys.DiscoveryFetches, keys.JwksFetches));
    }

    [Fact]
    public async Task RealGitHubToken_AfterItsExpiry_401Expired()
    {
        using var world = new ApiWorld();
        await using var keys = await GitHubKeysAsync();
        var server = world.NewFactory(GitHubRule(keys)).WithWhoAmI(new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1743267827 + 120)));

        var (status, body) = await server.WhoAmIAsync(RealGitHubToken);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("expired at 2025-03-29 17:03:47Z", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("actor", "mallory")]
    [InlineData("sha", "1111111111111111111111111111111111111111")]
    [InlineData("aud", "infraguard")]
    public async Task RealGitHubToken_ClaimChanged_401Signature(string claim, string value)
    {
        using var world = new ApiWorld();
        await using var keys = await GitHubKeysAsync();
        var settings = GitHubRule(keys);
        if (claim == "aud")
        {
            settings[$"{CiTokenServer.Rule}:Audience"] = value; // so that only the signature can refuse it
        }

        var server = world.NewFactory(settings).WithWhoAmI(new FakeTimeProvider(InGitHubTokenLifetime));
        var parts = RealGitHubToken.Split('.');
        var payload = JsonNode.Parse(StandInIssuer.FromB64(parts[1]))!;
        payload[claim] = value;

        var (status, body) = await server.WhoAmIAsync($"{parts[0]}.{StandInIssuer.B64(payload.ToJsonString())}.{parts[2]}");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("signature does not verify with https://token.actions.githubusercontent.com's key '38826b17-6a30-5f9b-b169-8beb8202f723'", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHubDiscoveryDocument_RuleForAnotherIssuer_401NamingTheMismatch()
    {
        // A rule for an enterprise issuer whose Discovery points at github.com's document by mistake.
        using var world = new ApiWorld();
        await using var keys = await GitHubKeysAsync();
        var settings = GitHubRule(keys);
        settings[$"{CiTokenServer.Rule}:Issuer"] = GitHubIssuer + "/octocat-inc";
        var server = world.NewFactory(settings).WithWhoAmI(new FakeTimeProvider(InGitHubTokenLifetime));
        var parts = RealGitHubToken.Split('.');
        var payload = JsonNode.Parse(StandInIssuer.FromB64(parts[1]))!;
        payload["iss"] = GitHubIssuer + "/octocat-inc";

        var (status, body) = await server.WhoAmIAsync($"{parts[0]}.{StandInIssuer.B64(payload.ToJsonString())}.{parts[2]}");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains($"names issuer '{GitHubIssuer}', not {GitHubIssuer}/octocat-inc", (string)body["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitLabToken_CapturedKeySet_FindsRealKidAndRejectsSignatureNotMadeByGitLab()
    {
        // No signed GitLab CI token is published (SOURCES.md): this is the real header and claims with a signature of
        // random bytes, checked against gitlab.com's captured key set that holds the header's kid.
        using var world = new ApiWorld();
        await using var keys = await StandInIssuer.StartWithFixturesAsync(
            Repo.Fixture("ci-oidc", "gitlab", "gitlab.com.openid-configuration.captured.json"),
            Repo.Fixture("ci-oidc", "gitlab", "gitlab.com.jwks.captured.json"),
            "https://gitlab.com/oauth/discovery/keys");
        var server = world.NewFactory(new Dictionary<string, string>
        {
            ["Server:Runners:RequireHttpsMetadata"] = "false",
            [$"{CiTokenServer.Rule}:Issuer"] = "https://gitlab.com",
            [$"{CiTokenServer.Rule}:Discovery"] = keys.DiscoveryUrl,
            [$"{CiTokenServer.Rule}:Audience"] = "OPENPUBKEY-PKTOKEN:1234",
            [$"{CiTokenServer.Rule}:Claims:project_path"] = "openpubkey/gl-test",
            [$"{CiTokenServer.Rule}:Stacks:0"] = "*",
        }).WithWhoAmI(new FakeTimeProvider(InGitLabTokenLifetime));
        var header = File.ReadAllText(Repo.Fixture("ci-oidc", "gitlab", "real-header.gitlab.com.openpubkey.json")).Trim();
        var claims = JsonNode.Parse(File.ReadAllText(Repo.Fixture("ci-oidc", "gitlab", "real-claims.gitlab.com.openpubkey.json")))!.ToJsonString();
        var token = $"{StandInIssuer.B64(header)}.{StandInIssuer.B64(claims)}.{StandInIssuer.B64(RandomNumberGenerator.GetBytes(256))}";

        var (status, body) = await server.WhoAmIAsync(token);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("signature does not verify with https://gitlab.com's key '4i3sFE7sxqNPOT7FdvcGA1ZVGGI_r-tsDXnEuYT4ZqE'", (string)body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(1, keys.JwksFetches); // the kid is in the captured set: no refresh
    }

    [Fact]
    public async Task GitLabClaims_RealClaimSetSignedBySyntheticIssuer_MapToRunnerWithPipelineLink()
    {
        using var world = new ApiWorld();
        await using var issuer = await StandInIssuer.StartAsync();
        var server = world.NewFactory(new Dictionary<string, string>
        {
            ["Server:Runners:RequireHttpsMetadata"] = "false",
            [$"{CiTokenServer.Rule}:Issuer"] = issuer.Url,
            [$"{CiTokenServer.Rule}:Audience"] = "infraguard",
            [$"{CiTokenServer.Rule}:Claims:project_path"] = "openpubkey/gl-test",
            [$"{CiTokenServer.Rule}:Claims:ref"] = "main",
            [$"{CiTokenServer.Rule}:Claims:ref_protected"] = "true",
            [$"{CiTokenServer.Rule}:Stacks:0"] = "staging",
            [$"{CiTokenServer.Rule}:ActorKind"] = "Agent",
        }).WithWhoAmI();
        var real = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Repo.Fixture("ci-oidc", "gitlab", "real-claims.gitlab.com.openpubkey.json")))!;
        var claims = real.Where(c => c.Key is not ("iss" or "aud" or "iat" or "nbf" or "exp")).ToDictionary(c => c.Key, c => (object)c.Value, StringComparer.Ordinal);

        var (status, body) = await server.WhoAmIAsync(issuer.Mint(claims, world.Time.GetUtcNow()));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ci:gitlab:openpubkey/gl-test", body.Value(ApiClaims.Identity));
        Assert.Equal("gitlab:ethan.r.heilman", body.Value(ApiClaims.Requester));
        Assert.Equal("9898863c7dcd844a6fc3c70191769b8d07567f57", body.Value(ApiClaims.Commit));
        Assert.Equal(issuer.Url + "/openpubkey/gl-test/-/pipelines/1391152406", body.Value(ApiClaims.RunUrl));
        Assert.Equal("agent", body.Value(ApiClaims.ActorKind));
        Assert.Equal(["staging"], body.Values(ApiClaims.Stack));
    }
}
