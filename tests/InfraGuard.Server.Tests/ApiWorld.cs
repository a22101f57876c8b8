using System.Net.Http.Headers;
using System.Net.Http.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Server.Tests;

/// <summary>
/// One server's world: a temp folder with a SQLite file and an audit key, and a fake clock. Each
/// <see cref="NewFactory"/> is a fresh server process over the same database (a restart).
/// Identities are the default pack's example people: carol (requester), alice and bob (sre-leads).
/// </summary>
internal sealed class ApiWorld : IDisposable
{
    public const string Alice = "slack:U0EXAMPLEA";
    public const string Bob = "slack:U0EXAMPLEB";
    public const string Carol = "github:carol-example";
    public const string Runner = "ci:deploy-prod";

    private readonly List<ApiFactory> _factories = [];

    public ApiWorld()
    {
        Root = Directory.CreateTempSubdirectory("ig-server-").FullName;
        Db = Path.Combine(Root, "infraguard.db");
        KeyFile = Path.Combine(Root, "audit-key.pem");
        AuditKeyFile.Create(KeyFile).Dispose();
        PolicyDir = SampleRequests.PolicyWithoutAttestation(Path.Combine(Root, "policy"));
    }

    /// <summary>The default pack without the attested-requester requirement (these tests use static runner tokens).</summary>
    public string PolicyDir { get; }

    public string Root { get; }

    public string Db { get; }

    public string KeyFile { get; }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));

    public ApiFactory NewFactory(IReadOnlyDictionary<string, string>? settings = null)
    {
        var factory = new ApiFactory(this, settings ?? new Dictionary<string, string>());
        _factories.Add(factory);
        return factory;
    }

    public static byte[] Plan(string? variant = null) => SampleRequests.Plan(variant);

    public static SubmitBody Body(string runId = "run-1", string? variant = null) => SampleRequests.Body(runId, variant);

    public void Dispose()
    {
        foreach (var f in _factories)
        {
            f.Dispose();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A pooled SQLite handle may linger for a moment; the OS cleans temp folders.
        }
    }
}

/// <summary>The server under test over the world's database, with the world's fake clock.</summary>
internal sealed class ApiFactory(ApiWorld world, IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<ServerApp>
{
    public ChangeStore Store => Services.GetRequiredService<ChangeStore>();

    /// <summary>A client whose bearer token acts as <paramref name="identity"/> with <paramref name="scopes"/>.</summary>
    public async Task<HttpClient> ClientAsync(string identity, params string[] scopes)
    {
        var issued = await Store.CreateTokenAsync(identity, scopes, null, new PersonRef("admin", "local:admin"));
        return WithToken(issued.Token);
    }

    public HttpClient WithToken(string? token)
    {
        var client = CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Submits evidence with a runner token whose identity is <paramref name="requester"/> (the requester is always the credential's).</summary>
    public async Task<string> CreateRequestAsync(SubmitBody? body = null, string requester = ApiWorld.Carol)
    {
        using var runner = await ClientAsync(requester, ApiScopes.Runner);
        using var response = await runner.PostAsJsonAsync("/api/v1/requests", body ?? ApiWorld.Body(), ServerJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<Core.Runs.Submission>(ServerJson.Options))!.Request!.Id;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Server:Db", world.Db);
        builder.UseSetting("Server:KeyFile", world.KeyFile);
        builder.UseSetting("Server:PublicBaseUrl", "http://infraguard.test");
        builder.UseSetting("Server:PollMilliseconds", "100");
        builder.UseSetting("Server:PolicyDir", world.PolicyDir);
        foreach (var (k, v) in settings)
        {
            builder.UseSetting(k, v);
        }

        builder.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(world.Time));
    }
}
