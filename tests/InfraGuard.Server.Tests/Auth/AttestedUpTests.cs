using System.Net.Http.Headers;
using System.Net.Http.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>
/// The attested path end to end: the real <c>infraguard up --server</c> process in a GitHub Actions-like environment
/// fetches its OIDC token from the (stand-in) Actions endpoint; the server on loopback verifies it against its trust
/// rule. The pipeline names a requester of its own choosing; the server ignores it. Default pack: production requires
/// an attested requester.
/// </summary>
public sealed class AttestedUpTests : IAsyncDisposable
{
    private readonly ApiWorld _world = new();
    private StandInIssuer? _issuer;
    private Microsoft.AspNetCore.Builder.WebApplication? _server;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_issuer is not null)
        {
            await _issuer.DisposeAsync();
        }

        _world.Dispose();
    }

    [Fact]
    public async Task UpServer_GitHubActionsToken_RequesterAndCommitFromClaimsNotFromThePipeline()
    {
        var url = await StartAsync();

        var up = await UpAsync(url, "prod");

        Assert.True(up.ExitCode == 5, up.Error); // review: nobody decides within --wait
        var request = Assert.Single(await RequestsAsync(url));
        Assert.True(request.Attested);
        Assert.Equal("github:octocat", request.Requester.RawIdentity);
        Assert.Equal("ci:github:acme/shop", request.SubmittedBy);
        Assert.Equal(StandInIssuer.SyntheticSha, request.Commit);
        Assert.Equal("production", request.Tier);
        Assert.Equal(RequestState.Pending, request.State);
        Assert.Contains("?api-version=2.0&audience=infraguard", Assert.Single(_issuer!.ActionsRequests).Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpServer_GitHubActionsTokenForAStackItsRuleDoesNotList_RefusedAndNothingStored()
    {
        var url = await StartAsync();

        var up = await UpAsync(url, "dev");

        Assert.Equal(64, up.ExitCode);
        Assert.Contains("may touch only prod, prod-*", up.Error, StringComparison.Ordinal);
        Assert.Empty(await RequestsAsync(url));
    }

    private async Task<string> StartAsync()
    {
        _issuer = await StandInIssuer.StartAsync();
        var settings = CiTokenServer.Settings(_issuer.Url).ToDictionary(kv => kv.Key, string? (kv) => kv.Value);
        settings["Server:Db"] = _world.Db;
        settings["Server:KeyFile"] = _world.KeyFile;
        settings["Server:PublicBaseUrl"] = "http://127.0.0.1";
        _server = ServerApp.Build(["--urls=http://127.0.0.1:0"], settings);
        await _server.StartAsync(TestContext.Current.CancellationToken);
        return _server.Urls.First();
    }

    private async Task<ProcessRun> UpAsync(string url, string stack)
    {
        var project = Directory.CreateDirectory(Path.Combine(_world.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n", TestContext.Current.CancellationToken);
        return await ProcessRun.StartInfraGuard(["up", "--stack", stack, "--server", url, "--wait", "2s"], project, new Dictionary<string, string>
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["HOME"] = _world.Root,
            ["STANDIN_SCENARIO"] = StandInPulumi.Scenario("synthetic-rds-scale-down"),
            ["STANDIN_STATE"] = Path.Combine(_world.Root, "state.json"),
            ["ACTIONS_ID_TOKEN_REQUEST_URL"] = _issuer!.ActionsTokenUrl,
            ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = StandInIssuer.ActionsRequestToken,
            ["INFRAGUARD_REQUESTER"] = "github:mallory", // the pipeline's own claim: ignored by the server
            ["NO_COLOR"] = "1",
        }).WaitAsync(120);
    }

    private async Task<IReadOnlyList<ChangeRequest>> RequestsAsync(string url)
    {
        var issued = await ChangeStoreToken();
        using var client = new HttpClient { BaseAddress = new Uri(url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued);
        return (await client.GetFromJsonAsync<RequestList>("/api/v1/requests", ServerJson.Options, TestContext.Current.CancellationToken))!.Requests;
    }

    private async Task<string> ChangeStoreToken()
    {
        using var signer = AuditKeyFile.Load(_world.KeyFile);
        using var store = ChangeStore.Open(_world.Db, TimeProvider.System, signer);
        return (await store.CreateTokenAsync("github:audrey", [ApiScopes.Auditor], null, new PersonRef("admin", "local:admin"), TestContext.Current.CancellationToken)).Token;
    }
}
