using System.Collections.Concurrent;
using InfraGuard.Cli.Remote;
using InfraGuard.Server.Tests.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace InfraGuard.Cli.Tests.Remote;

public class RunnerCredentialTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 2, 0, 0, TimeSpan.Zero);

    private static Func<string, string?> Env(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static Func<string, string?> GitHubEnv(StandInIssuer issuer, params (string Name, string Value)[] more) =>
        Env([(RunnerCredential.GitHubRequestUrlVariable, issuer.ActionsTokenUrl), (RunnerCredential.GitHubRequestTokenVariable, StandInIssuer.ActionsRequestToken), .. more]);

    [Fact]
    public async Task GitHubActions_RequestsTokenWithAudienceQueryAndBearerHeader()
    {
        await using var issuer = await StandInIssuer.StartAsync();
        using var credential = RunnerCredential.FromEnvironment(GitHubEnv(issuer), TimeProvider.System);

        var bearer = await credential.GetBearerAsync(TestContext.Current.CancellationToken);

        var (query, authorization) = Assert.Single(issuer.ActionsRequests);
        Assert.Equal("?api-version=2.0&audience=infraguard", query);
        Assert.Equal("bearer " + StandInIssuer.ActionsRequestToken, authorization);
        Assert.Equal(["infraguard"], new JsonWebToken(bearer).Audiences);
        Assert.Equal("GitHub Actions ID token (audience infraguard)", credential.Description);
    }

    [Fact]
    public async Task GitHubActions_CustomAudience_EscapedInQuery()
    {
        await using var issuer = await StandInIssuer.StartAsync();
        using var credential = RunnerCredential.FromEnvironment(GitHubEnv(issuer, (RunnerCredential.AudienceVariable, "https://infraguard.example.com")), TimeProvider.System);

        var bearer = await credential.GetBearerAsync(TestContext.Current.CancellationToken);

        Assert.EndsWith("&audience=https%3A%2F%2Finfraguard.example.com", Assert.Single(issuer.ActionsRequests).Query, StringComparison.Ordinal);
        Assert.Equal(["https://infraguard.example.com"], new JsonWebToken(bearer).Audiences);
    }

    [Fact]
    public async Task GitHubActions_ReusesTokenUntilShortlyBeforeExpiry_ThenFetchesANewOne()
    {
        var time = new FakeTimeProvider(Now);
        await using var issuer = await StandInIssuer.StartAsync();
        issuer.Clock = time;
        issuer.ActionsTokenLifetime = TimeSpan.FromMinutes(5);
        using var credential = RunnerCredential.FromEnvironment(GitHubEnv(issuer), time);
        var ct = TestContext.Current.CancellationToken;

        var first = await credential.GetBearerAsync(ct);
        time.Advance(TimeSpan.FromMinutes(3));
        var threeMinutesLater = await credential.GetBearerAsync(ct);
        var requestsBeforeExpiry = issuer.ActionsRequests.Count;
        time.Advance(TimeSpan.FromSeconds(90)); // 30 s before exp
        var nearExpiry = await credential.GetBearerAsync(ct);

        Assert.Equal(first, threeMinutesLater);
        Assert.Equal(1, requestsBeforeExpiry);
        Assert.NotEqual(first, nearExpiry);
        Assert.Equal(2, issuer.ActionsRequests.Count);
        Assert.True(new JsonWebToken(nearExpiry).ValidTo > time.GetUtcNow().UtcDateTime.AddMinutes(4));
    }

    [Fact]
    public async Task GitHubActions_RequestRefused_NamesThePermission()
    {
        await using var issuer = await StandInIssuer.StartAsync();
        using var credential = RunnerCredential.FromEnvironment(
            Env((RunnerCredential.GitHubRequestUrlVariable, issuer.ActionsTokenUrl), (RunnerCredential.GitHubRequestTokenVariable, "not-the-request-token")), TimeProvider.System);

        var error = await Assert.ThrowsAsync<RemoteServerException>(() => credential.GetBearerAsync(TestContext.Current.CancellationToken).AsTask());

        Assert.Equal(401, error.Status);
        Assert.Contains("permissions: id-token: write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitLab_IdTokenVariable_IsTheBearer_BeforeTheStaticToken()
    {
        using var credential = RunnerCredential.FromEnvironment(Env((RunnerCredential.GitLabTokenVariable, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n"), (RunnerCredential.StaticTokenVariable, "igt_static")), TimeProvider.System);

        Assert.Equal("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", await credential.GetBearerAsync(TestContext.Current.CancellationToken));
        Assert.Contains("GitLab", credential.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GitHubActions_ComesBeforeGitLabAndStatic()
    {
        await using var issuer = await StandInIssuer.StartAsync();
        using var credential = RunnerCredential.FromEnvironment(GitHubEnv(issuer, (RunnerCredential.GitLabTokenVariable, "eyJ.gitlab.x"), (RunnerCredential.StaticTokenVariable, "igt_static")), TimeProvider.System);

        var bearer = await credential.GetBearerAsync(TestContext.Current.CancellationToken);

        Assert.Single(issuer.ActionsRequests);
        Assert.StartsWith("eyJ", bearer, StringComparison.Ordinal);
        Assert.NotEqual("eyJ.gitlab.x", bearer);
    }

    [Fact]
    public async Task StaticToken_OnlyOneSet_FallsBackUnattested()
    {
        using var credential = RunnerCredential.FromEnvironment(Env((RunnerCredential.StaticTokenVariable, "igt_static")), TimeProvider.System);

        Assert.Equal("igt_static", await credential.GetBearerAsync(TestContext.Current.CancellationToken));
        Assert.Contains("unattested", credential.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void NoCredential_UsageErrorNamingEachWay()
    {
        var error = Assert.Throws<UsageException>(() => RunnerCredential.FromEnvironment(Env(), TimeProvider.System));

        Assert.Contains("id-token: write", error.Message, StringComparison.Ordinal);
        Assert.Contains("INFRAGUARD_ID_TOKEN", error.Message, StringComparison.Ordinal);
        Assert.Contains("INFRAGUARD_TOKEN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteConnection_LongWait_EachRequestCarriesTheCurrentToken()
    {
        var time = new FakeTimeProvider(Now);
        await using var issuer = await StandInIssuer.StartAsync();
        issuer.Clock = time;
        await using var server = await RecordingServer.StartAsync();
        using var remote = new RemoteConnection(new Uri(server.Url), RunnerCredential.FromEnvironment(GitHubEnv(issuer), time), time, _ => { });
        var ct = TestContext.Current.CancellationToken;

        await remote.Store.ListAsync(new Core.Requests.RequestQuery(), ct);
        await remote.Store.ListAsync(new Core.Requests.RequestQuery(), ct);
        time.Advance(TimeSpan.FromMinutes(10));
        await remote.Store.ListAsync(new Core.Requests.RequestQuery(), ct);

        var seen = server.Authorizations.ToArray();
        Assert.Equal(3, seen.Length);
        Assert.All(seen, a => Assert.StartsWith("Bearer eyJ", a, StringComparison.Ordinal));
        Assert.Equal(seen[0], seen[1]);
        Assert.NotEqual(seen[1], seen[2]);
        Assert.Equal(2, issuer.ActionsRequests.Count);
    }

    /// <summary>A loopback stand-in for the server's list endpoint that records the Authorization header.</summary>
    private sealed class RecordingServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private RecordingServer(WebApplication app) => _app = app;

        public ConcurrentQueue<string> Authorizations { get; } = new();

        public string Url => _app.Urls.First();

        public static async Task<RecordingServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var server = new RecordingServer(builder.Build());
            server._app.MapGet("/api/v1/requests", (HttpRequest r) =>
            {
                server.Authorizations.Enqueue(r.Headers.Authorization.ToString());
                return Results.Json(new { requests = Array.Empty<object>() });
            });
            await server._app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
