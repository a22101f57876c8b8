using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Testing;
using ModelContextProtocol.Protocol;

namespace InfraGuard.Mcp.Tests;

/// <summary>
/// An HTTP upstream: the loopback upstream served over Streamable HTTP, which refuses a call without its bearer token;
/// the gateway sends the header whose value the upstreams file takes from the environment.
/// </summary>
public sealed class HttpUpstreamTests : IAsyncLifetime
{
    private const string Secret = "upstream-secret-example";
    private readonly string _root = Directory.CreateTempSubdirectory("ig-mcp-http-").FullName;
    private Process _upstream = null!;
    private string _url = null!;

    public async ValueTask InitializeAsync()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _url = $"http://127.0.0.1:{port}/mcp";
        var start = new ProcessStartInfo(StandInMcpUpstream.Executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--http");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["MCP_UPSTREAM_TOKEN"] = Secret;
        start.Environment["MCP_UPSTREAM_LOG"] = Path.Combine(_root, "calls.jsonl");
        _upstream = Process.Start(start)!;
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                using var answer = await http.GetAsync(_url, TestContext.Current.CancellationToken);
                return; // any answer (401 without the token) means it listens
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
        }

        throw new TimeoutException($"the HTTP upstream did not listen on {_url}");
    }

    public ValueTask DisposeAsync()
    {
        _upstream.Kill(entireProcessTree: true);
        _upstream.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Call_HttpUpstreamWithItsHeaderFromTheEnvironment_ForwardedAndAnswered()
    {
        var upstreams = $"upstreams:\n  db:\n    url: {_url}\n    headers-from-env: {{ Authorization: UPSTREAM_AUTHORIZATION }}\n    target: staging/orders\n    tools: {{ query: db.read }}\n";
        await using var world = await GatewayWorld.StartAsync(upstreams, environment: v => v == "UPSTREAM_AUTHORIZATION" ? $"Bearer {Secret}" : null, root: _root);

        var result = await world.Gateway.CallAsync(null, new CallToolRequestParams { Name = "db.query", Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>("""{"sql":"select 1"}""") }, TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        Assert.Equal("1 row for: select 1", Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text);
        Assert.Equal("""{"tool":"query","arguments":{"sql":"select 1"}}""", Assert.Single(world.Calls()).ToJsonString());
        Assert.Equal(RequestState.Applied, Assert.Single(await world.Store.ListAsync(new RequestQuery(), TestContext.Current.CancellationToken)).State);
    }

    [Fact]
    public async Task Connect_HttpUpstreamHeaderVariableUnset_RefusedNamingTheVariable()
    {
        var upstreams = UpstreamsFile.Parse($"upstreams:\n  db:\n    url: {_url}\n    headers-from-env: {{ Authorization: UPSTREAM_AUTHORIZATION }}\n    tools: {{ query: db.read }}\n", "u.yaml");

        var e = await Assert.ThrowsAsync<UpstreamException>(() => McpGateway.ConnectAsync(
            upstreams, _ => null, null, null, TimeProvider.System, new GatewayOptions(null, null, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), null, TestContext.Current.CancellationToken));

        Assert.Contains("takes header 'Authorization' from $UPSTREAM_AUTHORIZATION, which is not set", e.Message, StringComparison.Ordinal);
    }
}
