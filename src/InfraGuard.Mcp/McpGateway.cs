using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace InfraGuard.Mcp;

/// <summary>Who the gateway's calls come from and how long they may wait.</summary>
/// <param name="OnBehalfOf">The person the agent acts for (raw identity); they can never approve its calls.</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="Wait">How long a call waits for a decision at most; null: until the request expires.</param>
/// <param name="PollInterval">How often a waiting call reads its request.</param>
/// <param name="ProgressInterval">How often a waiting call reports progress to the client.</param>
public sealed record GatewayOptions(string? OnBehalfOf, string? JobType, TimeSpan? Wait, TimeSpan PollInterval, TimeSpan ProgressInterval);

/// <summary>
/// The MCP gateway: one MCP client per upstream, their tools listed as <c>namespace.tool</c> with their schemas, and
/// every call guarded by <see cref="GuardedAction"/> through the authority (the port: the approval server's REST API, or
/// the server itself). Allowed → forwarded, the upstream's answer returned unchanged; blocked → a tool error naming the
/// rules; review → an action request, progress while it waits, then exactly the approved arguments forwarded once, or the
/// reviewer's reason and no upstream call. A cancelled call forwards nothing.
/// </summary>
public sealed partial class McpGateway : IAsyncDisposable
{
    private readonly Dictionary<string, (McpClient Client, Upstream Upstream, Tool Tool, ToolMapping Mapping)> _tools;
    private readonly List<McpClient> _clients;
    private readonly IActionAuthority _authority;
    private readonly IChangeStore _store;
    private readonly TimeProvider _time;
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;

    private McpGateway(
        Dictionary<string, (McpClient, Upstream, Tool, ToolMapping)> tools, List<McpClient> clients, IActionAuthority authority, IChangeStore store, TimeProvider time, GatewayOptions options, ILogger logger)
    {
        _tools = tools;
        _clients = clients;
        _authority = authority;
        _store = store;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>The tools listed to the agent, by their gateway name.</summary>
    public IReadOnlyCollection<string> ToolNames => _tools.Keys;

    /// <summary>Connects to every upstream and lists its tools; a tool the file does not map is hidden (and logged).</summary>
    /// <exception cref="UpstreamException">An upstream could not be started, reached or listed; the message names it.</exception>
    public static async Task<McpGateway> ConnectAsync(
        IReadOnlyList<Upstream> upstreams,
        Func<string, string?> environment,
        IActionAuthority authority,
        IChangeStore store,
        TimeProvider time,
        GatewayOptions options,
        ILoggerFactory? loggers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        ArgumentNullException.ThrowIfNull(environment);
        loggers ??= NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger<McpGateway>();
        var tools = new Dictionary<string, (McpClient, Upstream, Tool, ToolMapping)>(StringComparer.Ordinal);
        var clients = new List<McpClient>();
        try
        {
            foreach (var upstream in upstreams)
            {
                McpClient client;
                IList<McpClientTool> listed;
                try
                {
                    client = await McpClient.CreateAsync(Transport(upstream, environment, loggers), new McpClientOptions(), loggers, cancellationToken).ConfigureAwait(false);
                    clients.Add(client);
                    listed = await client.ListToolsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException and not UpstreamException)
                {
                    throw new UpstreamException($"Upstream '{upstream.Namespace}' ({Describe(upstream)}, upstreams file line {upstream.Line}) could not be started or listed: {e.Message}. Check that it runs on its own.", e);
                }

                foreach (var tool in listed.Select(t => t.ProtocolTool))
                {
                    if (upstream.MappingFor(tool.Name) is not { } mapping)
                    {
                        LogToolHidden(logger, upstream.Namespace, tool.Name);
                        continue;
                    }

                    tools[$"{upstream.Namespace}.{tool.Name}"] = (client, upstream, tool, mapping);
                }

                LogUpstreamConnected(logger, upstream.Namespace, listed.Count);
            }
        }
        catch
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return new McpGateway(tools, clients, authority, store, time, options, logger);
    }

    /// <summary>Server options whose tool handlers are this gateway's.</summary>
    public McpServerOptions ServerOptions() => new()
    {
        ServerInfo = new Implementation { Name = "infraguard", Version = typeof(McpGateway).Assembly.GetName().Version?.ToString() ?? "0" },
        ServerInstructions = "Tools are reached through InfraGuard. A call that policy marks risky waits for an independent person's approval (progress notifications say which request); a rejected or blocked call returns an error that says why.",
        Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = (_, _) => ValueTask.FromResult(ListTools()),
            CallToolHandler = (request, ct) => new ValueTask<CallToolResult>(CallAsync(request.Server, request.Params, ct)),
        },
    };

    /// <summary>Every mapped upstream tool under its gateway name, with the upstream's schemas and annotations.</summary>
    public ListToolsResult ListTools() => new()
    {
        Tools = [.. _tools.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new Tool
        {
            Name = t.Key,
            Title = t.Value.Tool.Title,
            Description = t.Value.Tool.Description,
            InputSchema = t.Value.Tool.InputSchema,
            OutputSchema = t.Value.Tool.OutputSchema,
            Annotations = t.Value.Tool.Annotations,
        })],
    };

    /// <summary>Guards one call; <paramref name="session"/> receives progress notifications while the call waits.</summary>
    public async Task<CallToolResult> CallAsync(McpSession? session, CallToolRequestParams? call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!_tools.TryGetValue(call.Name, out var entry))
        {
            return Error($"Unknown tool '{call.Name}'. The gateway lists: {string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal))}.");
        }

        // The arguments hashed, shown to the reviewer and forwarded are one and the same object.
        var arguments = new JsonObject();
        foreach (var (name, value) in call.Arguments ?? new Dictionary<string, JsonElement>())
        {
            arguments[name] = JsonNode.Parse(value.GetRawText());
        }

        var action = ProposedAction.ToolCall(entry.Mapping.Kind, entry.Mapping.Target, $"{entry.Upstream.Namespace}.{entry.Tool.Name}", arguments);
        var proposal = new ActionProposal(action, ActorKind.Agent, _options.OnBehalfOf, _options.JobType);
        var notifier = new ProgressNotifier(session, call.ProgressToken);
        CallToolResult? answer = null;
        GuardedActionResult result;
        try
        {
            result = await new GuardedAction(_authority, _store, notifier, _time).RunAsync(
                new GuardedActionRequest(proposal, _options.Wait, _options.PollInterval, _options.ProgressInterval),
                async (_, ct) =>
                {
                    answer = await ForwardAsync(entry.Client, entry.Tool.Name, arguments, ct).ConfigureAwait(false);
                    return answer.IsError == true ? 1 : 0;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ActionRefusedException e)
        {
            return Error($"InfraGuard refused the call: {e.Message}");
        }

        LogCallGuarded(_logger, call.Name, result.Run.Outcome, result.Run.Request?.Id);
        return result.Run.Outcome switch
        {
            RunOutcome.Applied when answer is not null => answer,
            RunOutcome.Blocked => Error(BlockedMessage(result.Run)),
            RunOutcome.Rejected => Error(notifier.Reasons.Count > 0
                ? $"{result.Run.Message} The reviewer said: {string.Join(" / ", notifier.Reasons)}"
                : result.Run.Message),
            RunOutcome.Cancelled => throw new OperationCanceledException(result.Run.Message, cancellationToken),
            _ => Error(result.Run.Message),
        };
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<CallToolResult> ForwardAsync(McpClient client, string tool, JsonObject arguments, CancellationToken cancellationToken)
    {
        var forwarded = arguments.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value), StringComparer.Ordinal);
        try
        {
            return Relayed(tool, await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = forwarded }, cancellationToken).ConfigureAwait(false));
        }
        catch (McpProtocolException e)
        {
            // The upstream answered with a protocol error: the agent sees it as the tool's error, and the outcome is recorded as failed.
            return Error($"The upstream tool '{tool}' failed: {e.Message}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Error($"The upstream of tool '{tool}' could not be reached or crashed: {e.Message}. The call was approved and attempted once; it is recorded as failed.");
        }
    }

    /// <summary>
    /// What the upstream answered (content, structured content, error flag, its own _meta), without what belongs to the
    /// upstream session rather than to the answer: the reserved <c>io.modelcontextprotocol/</c> _meta keys (the upstream's
    /// server info) and the result type of the upstream's protocol revision. A result that is not complete (it asks for
    /// input in a later round trip) cannot be relayed, and is an error rather than a success.
    /// </summary>
    internal static CallToolResult Relayed(string tool, CallToolResult upstream)
    {
        if (upstream.ResultType is not (null or "complete"))
        {
            return Error($"The upstream tool '{tool}' answered with a '{upstream.ResultType}' result, which the InfraGuard gateway does not relay; the call is recorded as failed.");
        }

        JsonObject? meta = null;
        foreach (var (key, value) in upstream.Meta ?? [])
        {
            if (!key.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal))
            {
                (meta ??= [])[key] = value?.DeepClone();
            }
        }

        return new CallToolResult { Content = upstream.Content, StructuredContent = upstream.StructuredContent, IsError = upstream.IsError, Meta = meta };
    }

    private static string BlockedMessage(GuardedRunResult run)
    {
        var rules = run.Assessment?.Findings.Where(f => f.Points > 0 || f.Blocking).Select(f => $"'{f.RuleId}' ({f.Reason})").Distinct(StringComparer.Ordinal).ToList() ?? [];
        return rules.Count == 0 ? run.Message : $"{run.Message} Rules: {string.Join("; ", rules)}.";
    }

    private static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };

    private static IClientTransport Transport(Upstream upstream, Func<string, string?> environment, ILoggerFactory loggers)
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

    private static string Describe(Upstream upstream) => upstream.Url is { } url ? url.GetLeftPart(UriPartial.Path) : $"command '{upstream.Command}'";

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Upstream {Namespace} connected: {Count} tools")]
    private static partial void LogUpstreamConnected(ILogger logger, string @namespace, int count);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Upstream {Namespace} tool {Tool} is not mapped to an action kind in the upstreams file; it is not listed")]
    private static partial void LogToolHidden(ILogger logger, string @namespace, string tool);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Tool call {Tool}: {Outcome} (request {RequestId})")]
    private static partial void LogCallGuarded(ILogger logger, string tool, RunOutcome outcome, string? requestId);
}

/// <summary>An upstream could not be started, reached or listed, or its configuration is incomplete. The message names it and what to do.</summary>
public sealed class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);
