using System.Net;
using System.Net.Sockets;
using InfraGuard.Cli;
using InfraGuard.Cli.Remote;
using InfraGuard.Server.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InfraGuard.Server.Tests.Replicas;

/// <summary>
/// <c>--server URL,URL</c>: the CLI's failover between replicas, against loopback servers that refuse connections,
/// answer 5xx, say they are draining, or answer.
/// </summary>
public sealed class ServerFailoverTests : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    [Fact]
    public async Task Failover_FirstServerRefusesConnections_SecondAnswersAndStaysCurrent()
    {
        var dead = DeadUrl();
        var live = await StartAsync("live", StatusCodes.Status200OK);
        var notices = new List<string>();
        var servers = new ServerUrls([dead, live]);
        using var http = Client(servers, notices);

        var first = await http.GetStringAsync("api/v1/requests/cr_1?x=1", TestContext.Current.CancellationToken);
        var second = await http.GetStringAsync("api/v1/requests/cr_2", TestContext.Current.CancellationToken);

        Assert.Equal("live /api/v1/requests/cr_1?x=1", first);
        Assert.Equal("live /api/v1/requests/cr_2", second);
        Assert.Equal(live.AbsoluteUri, servers.Current.AbsoluteUri);
        var notice = Assert.Single(notices); // the second request went straight to the server that answered
        Assert.Contains(dead.AbsoluteUri, notice, StringComparison.Ordinal);
        Assert.Contains("trying " + live.AbsoluteUri, notice, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failover_FirstServerAnswers503_SecondAnswers()
    {
        var failing = await StartAsync("failing", StatusCodes.Status503ServiceUnavailable);
        var live = await StartAsync("live", StatusCodes.Status200OK);
        var notices = new List<string>();
        using var http = Client(new ServerUrls([failing, live]), notices);

        using var response = await http.GetAsync("healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("live /healthz", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Contains("503", Assert.Single(notices), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failover_EveryServerFails_LastFailureReturnedForTheRetryPipeline()
    {
        var a = await StartAsync("a", StatusCodes.Status502BadGateway);
        var b = await StartAsync("b", StatusCodes.Status503ServiceUnavailable);
        var notices = new List<string>();
        using var http = Client(new ServerUrls([a, b]), notices);

        using var response = await http.GetAsync("healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(notices);
    }

    [Fact]
    public async Task Failover_DrainingAnswer_ReturnedAndNextRequestGoesToTheNextServer()
    {
        var draining = await StartAsync("draining", StatusCodes.Status200OK, drain: true);
        var live = await StartAsync("live", StatusCodes.Status200OK);
        var servers = new ServerUrls([draining, live]);
        using var http = Client(servers, []);

        var first = await http.GetStringAsync("api/v1/requests/cr_1?wait=30s", TestContext.Current.CancellationToken);
        var second = await http.GetStringAsync("api/v1/requests/cr_1?wait=30s", TestContext.Current.CancellationToken);

        Assert.Equal("draining /api/v1/requests/cr_1?wait=30s", first);
        Assert.Equal("live /api/v1/requests/cr_1?wait=30s", second);
    }

    [Theory]
    [InlineData(new[] { "https://a.example,https://b.example" }, 2)]
    [InlineData(new[] { "https://a.example", "https://b.example", "https://c.example/ig" }, 3)]
    [InlineData(new[] { " https://a.example , " }, 1)]
    public void Parse_CommaSeparatedOrRepeated_EveryUrlInOrder(string[] values, int count)
    {
        var servers = ServerUrls.Parse(values)!;

        Assert.Equal(count, servers.Urls.Count);
        Assert.Equal("https://a.example/", servers.Urls[0].AbsoluteUri);
        Assert.All(servers.Urls, u => Assert.EndsWith("/", u.AbsoluteUri, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("https://a.example,ftp://b.example", "ftp://b.example")]
    [InlineData("not a url", "not a url")]
    public void Parse_NotAnHttpUrl_UsageErrorNamingIt(string value, string named)
    {
        var e = Assert.Throws<UsageException>(() => ServerUrls.Parse([value]));

        Assert.Contains($"'{named}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Nothing_Null() => Assert.Null(ServerUrls.Parse([]));

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }

    private static HttpClient Client(ServerUrls servers, List<string> notices)
    {
#pragma warning disable CA2000 // the client disposes its handler chain
        var handler = new ServerFailover(servers, notices.Add) { InnerHandler = new SocketsHttpHandler() };
#pragma warning restore CA2000
        return new HttpClient(handler) { BaseAddress = servers.Urls[0] };
    }

    private async Task<Uri> StartAsync(string name, int status, bool drain = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(async http =>
        {
            http.Response.StatusCode = status;
            if (drain)
            {
                http.Response.Headers[ServerHeaders.Draining] = "1";
            }

            await http.Response.WriteAsync($"{name} {http.Request.Path}{http.Request.QueryString}");
        });
        await app.StartAsync();
        _apps.Add(app);
        return new Uri(app.Urls.First() + "/");
    }

    private static Uri DeadUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
    }
}
