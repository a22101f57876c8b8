using InfraGuard.Cli.Remote;
using InfraGuard.Core.Requests;

namespace InfraGuard.Server.Tests.Auth;

/// <summary>The CLI's runner credential against the real server on a loopback port: the whole attested path, no fakes between.</summary>
public class RunnerCredentialServerTests
{
    [Fact]
    public async Task GitHubActionsCredential_RealServer_AuthenticatesAttestedRunner_WrongAudience401()
    {
        using var world = new ApiWorld();
        await using var issuer = await StandInIssuer.StartAsync();
        var settings = CiTokenServer.Settings(issuer.Url).ToDictionary(kv => kv.Key, string? (kv) => kv.Value);
        settings["Server:Db"] = world.Db;
        settings["Server:KeyFile"] = world.KeyFile;
        settings["Server:PublicBaseUrl"] = "http://127.0.0.1";
        await using var server = ServerApp.Build(["--urls=http://127.0.0.1:0"], settings);
        await server.StartAsync(TestContext.Current.CancellationToken);
        Func<string, string?> env = name => name switch
        {
            RunnerCredential.GitHubRequestUrlVariable => issuer.ActionsTokenUrl,
            RunnerCredential.GitHubRequestTokenVariable => StandInIssuer.ActionsRequestToken,
            _ => null,
        };

        using var trusted = new RemoteConnection(new Uri(server.Urls.First()), RunnerCredential.FromEnvironment(env, TimeProvider.System), TimeProvider.System, _ => { });
        var listed = await trusted.Store.ListAsync(new RequestQuery(), TestContext.Current.CancellationToken);
        using var wrongAudience = new RemoteConnection(
            new Uri(server.Urls.First()),
            RunnerCredential.FromEnvironment(name => name == RunnerCredential.AudienceVariable ? "https://github.com/acme" : env(name), TimeProvider.System),
            TimeProvider.System,
            _ => { });
        var refused = await Assert.ThrowsAsync<RemoteServerException>(() => wrongAudience.Store.ListAsync(new RequestQuery(), TestContext.Current.CancellationToken));

        Assert.Empty(listed);
        Assert.Equal(401, refused.Status);
        Assert.Contains("audience 'https://github.com/acme'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, issuer.ActionsRequests.Count);
    }
}
