using System.Net;
using System.Text.Json.Nodes;
using Dapper;
using InfraGuard.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Server.Tests.Replicas;

/// <summary>The probes and the graceful shutdown, on the single-node SQLite store (the replica tests cover PostgreSQL).</summary>
public class HealthAndShutdownTests
{
    [Fact]
    public async Task Readyz_SqliteAtExpectedSchema_ReadyAndAlwaysLeader()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var client = api.CreateClient();

        await InfraGuard.Slack.Tests.Wait.UntilAsync(() => api.Services.GetRequiredService<ILeadership>().IsLeader, "the single SQLite server leads");
        using var ready = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        using var live = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("ready", (string?)body["status"]);
        Assert.Equal((await api.Store.GetSchemaStatusAsync(TestContext.Current.CancellationToken)).Expected, (int)body["schema"]!);
        Assert.True((bool)body["leader"]!);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readyz_SchemaBehindThisBuild_NotReady503NamingBothVersions()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var client = api.CreateClient();
        var expected = (await api.Store.GetSchemaStatusAsync(TestContext.Current.CancellationToken)).Expected; // opened and migrated
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={world.Db};Pooling=False"))
        {
            await c.ExecuteAsync("DELETE FROM schema_version WHERE version = @expected", new { expected });
        }

        using var ready = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        using var live = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("not-ready", (string?)body["status"]);
        Assert.Contains($"version {expected - 1}; this server expects {expected}", (string?)body["reason"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode); // liveness never depends on the database
    }
}
