using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace InfraGuard.Mcp;

/// <summary>
/// How a forwarded call failed; the number is the exit code recorded as the request's apply outcome (0: the upstream
/// answered a result that is not an error).
/// </summary>
public enum ForwardFailure
{
    /// <summary>The upstream answered with a tool error (<c>isError</c>) or a protocol error.</summary>
    ToolError = 1,

    /// <summary>The upstream could not be reached, or crashed mid-call.</summary>
    Unreachable = 2,

    /// <summary>The upstream did not answer within its <c>timeout</c>.</summary>
    TimedOut = 3,

    /// <summary>The answer was larger than the upstream's <c>max-result-bytes</c>.</summary>
    TooLarge = 4,

    /// <summary>The upstream answered something that is not a tool result.</summary>
    Malformed = 5,

    /// <summary>The agent cancelled the call after it was forwarded.</summary>
    Cancelled = 130,
}

/// <summary>What a forwarded call returned to the agent, and how it failed (null: it did not).</summary>
internal sealed record Forwarded(CallToolResult Result, ForwardFailure? Failure);

/// <summary>
/// One upstream MCP server: its client (restarted on the next use when the process died or the connection dropped), its
/// listed tools (re-listed when it says they changed), and the one way a call reaches it, with its timeout and size cap.
/// </summary>
internal sealed partial class UpstreamConnection(Upstream upstream, Func<string, string?> environment, ILoggerFactory loggers, Func<UpstreamConnection, Task> toolsChanged) : IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private McpClient? _client;
    private volatile bool _broken;

    public Upstream Upstream => upstream;

    /// <summary>The upstream's tools as last listed.</summary>
    public IReadOnlyList<Tool> Listed { get; private set; } = [];

    /// <summary>Starts (or restarts) the upstream and lists its tools.</summary>
    /// <exception cref="UpstreamException">It could not be started, reached or listed.</exception>
    public async Task<McpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is { } alive && !alive.Completion.IsCompleted && !_broken)
            {
                return alive;
            }

            if (_client is { } dead)
            {
                await dead.DisposeAsync().ConfigureAwait(false);
                _client = null;
            }

            try
            {
                var options = new McpClientOptions
                {
                    Handlers = new McpClientHandlers
                    {
                        NotificationHandlers = [new(NotificationMethods.ToolListChangedNotification, (_, _) =>
                        {
                            // Not in the client's message loop: re-listing sends a request whose answer that loop must read.
                            _ = Task.Run(RelistAsync, CancellationToken.None);
                            return ValueTask.CompletedTask;
                        })],
                    },
                };
                var client = await McpClient.CreateAsync(Transport(), options, loggers, cancellationToken).ConfigureAwait(false);
                try
                {
                    Listed = [.. (await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(t => t.ProtocolTool)];
                }
                catch
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                _client = client;
                _broken = false;
                return client;
            }
            catch (Exception e) when (e is not OperationCanceledException and not UpstreamException)
            {
                throw new UpstreamException($"Upstream '{upstream.Namespace}' ({Describe()}, upstreams file line {upstream.Line}) could not be started or listed: {e.Message}. Check that it runs on its own.", e);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Sends one call, once, and turns every way it can go wrong into a tool error the agent can read and a failure
    /// the audit records: a crash or dropped connection, no answer within the timeout, an answer over the size cap, an
    /// answer that is not a tool result. Never retried: an approved call is attempted exactly once.
    /// </summary>
    public async Task<Forwarded> ForwardAsync(string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        var forwarded = arguments.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value), StringComparer.Ordinal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // (Re)starting the upstream is not the call: its timeout starts once the call is sent.
            var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            timeout.CancelAfter(upstream.Timeout);
            var answer = await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = forwarded }, timeout.Token).ConfigureAwait(false);
            var relayed = McpGateway.Relayed(tool, answer);
            var size = JsonSerializer.SerializeToUtf8Bytes(relayed, McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolResult))).Length;
            if (size > upstream.MaxResultBytes)
            {
                return new(McpGateway.Error($"The upstream tool '{tool}' answered {size:N0} bytes, more than the {upstream.MaxResultBytes:N0} its upstream '{upstream.Namespace}' allows (max-result-bytes in the upstreams file). The call ran once and is recorded as failed; ask for less (a filter, a limit) or raise the cap."), ForwardFailure.TooLarge);
            }

            return new(relayed, relayed.IsError == true ? ForwardFailure.ToolError : null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new(McpGateway.Error($"The call of '{tool}' was cancelled after it was forwarded; the upstream may have acted. It is recorded as failed."), ForwardFailure.Cancelled);
        }
        catch (OperationCanceledException)
        {
            return new(McpGateway.Error($"The upstream tool '{tool}' did not answer within {upstream.Timeout.TotalSeconds:0.###}s (timeout of upstream '{upstream.Namespace}' in the upstreams file). It was asked to stop; the call ran once and is recorded as failed."), ForwardFailure.TimedOut);
        }
        catch (McpProtocolException e)
        {
            // The upstream answered with a protocol error: the agent sees it as the tool's error.
            return new(McpGateway.Error($"The upstream tool '{tool}' failed: {e.Message}"), ForwardFailure.ToolError);
        }
        catch (JsonException e)
        {
            return new(McpGateway.Error($"The upstream tool '{tool}' answered something that is not a tool result ({e.Message}). The call ran once and is recorded as failed."), ForwardFailure.Malformed);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _broken = true; // the next call starts it afresh, even before the dead process is noticed
            return new(McpGateway.Error($"The upstream of tool '{tool}' could not be reached or crashed: {e.Message}. The call was attempted once and is recorded as failed; the upstream is restarted on the next call."), ForwardFailure.Unreachable);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _lock.Dispose();
    }

    private async Task RelistAsync()
    {
        try
        {
            if (_client is { } client)
            {
                Listed = [.. (await client.ListToolsAsync().ConfigureAwait(false)).Select(t => t.ProtocolTool)];
                await toolsChanged(this).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRelistFailed(loggers.CreateLogger<UpstreamConnection>(), e, upstream.Namespace);
        }
    }

    private string Describe() => upstream.Url is { } url ? url.GetLeftPart(UriPartial.Path) : $"command '{upstream.Command}'";

    private IClientTransport Transport()
    {
        if (upstream.Url is { } url)
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (header, variable) in upstream.HeadersFromEnv)
            {
                headers[header] = environment(variable) is { Length: > 0 } value
                    ? value
                    : throw new UpstreamException($"Upstream '{upstream.Namespace}' (upstreams file line {upstream.Line}) takes header '{header}' from ${variable}, which is not set. Export it before starting the gateway.");
            }

            return new HttpClientTransport(new HttpClientTransportOptions { Endpoint = url, Name = upstream.Namespace, AdditionalHeaders = headers, TransportMode = HttpTransportMode.StreamableHttp }, loggers);
        }

        return new StdioClientTransport(
            new StdioClientTransportOptions
            {
                Name = upstream.Namespace,
                Command = upstream.Command!,
                Arguments = [.. upstream.Args],
                EnvironmentVariables = upstream.Env.ToDictionary(p => p.Key, p => (string?)p.Value, StringComparer.Ordinal),
            },
            loggers);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Upstream {Namespace} said its tools changed, but listing them failed; the old list stays")]
    private static partial void LogRelistFailed(ILogger logger, Exception exception, string @namespace);
}
