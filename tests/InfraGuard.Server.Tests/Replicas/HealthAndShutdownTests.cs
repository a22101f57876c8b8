using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

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
        Assert.Equal(7, (int)body["schema"]!);
        Assert.True((bool)body["leader"]!);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Fact]
    public async Task Readyz_SchemaBehindThisBuild_NotReady503NamingBothVersions()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var client = api.CreateClient();
        _ = api.Store; // opened and migrated
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={world.Db};Pooling=False"))
        {
            await c.ExecuteAsync("DELETE FROM schema_version WHERE version = 7");
        }

        using var ready = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        using var live = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("not-ready", (string?)body["status"]);
        Assert.Contains("version 6; this server expects 7", (string?)body["reason"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode); // liveness never depends on the database
    }

    [Fact]
    public async Task LongPoll_ServerStartsShuttingDown_AnsweredAtOnceAsDraining()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var runner = await api.ClientAsync(ApiWorld.Carol, ApiScopes.Runner);

        var poll = runner.GetAsync($"/api/v1/requests/{id}?wait=60s", TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.False(poll.IsCompleted, "the long-poll waits while nothing changes");
        api.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var answered = await Task.WhenAny(poll, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));

        Assert.Same(poll, answered);
        using var response = await poll;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains(ServerHeaders.Draining));
        var view = await response.Content.ReadFromJsonAsync<RequestView>(ServerJson.Options, TestContext.Current.CancellationToken);
        Assert.Equal(RequestState.Pending, view!.Request.State);
    }
}
