using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace InfraGuard.Mcp;

/// <summary>Who the gateway's calls come from and how long they may wait.</summary>
/// <param name="OnBehalfOf">The person the agent acts for (raw identity); they can never approve its calls.</param>
/// <param name="JobType">Job label rules can match.</param>
/// <param name="Wait">How long a call waits for a decision at most (zero: answer at once with "pending, ask again"); null: until the request expires.</param>
/// <param name="PollInterval">The longest a waiting call goes without reading its request (a store that signals changes wakes it sooner).</param>
/// <param name="ProgressInterval">How often a waiting call reports progress to the client.</param>
public sealed record GatewayOptions(string? OnBehalfOf, string? JobType, TimeSpan? Wait, TimeSpan PollInterval, TimeSpan ProgressInterval);

/// <summary>
/// Who one call comes from: the authority that scores it for this caller (its requester comes from the caller's
/// credential, never from the call), the store its request is read from while it waits, and the context it claims.
/// </summary>
/// <param name="Authority">Scores and starts the call's action for this caller.</param>
/// <param name="Store">Where the call's request is read (an <see cref="IRequestWatch"/> wakes a waiting call at once).</param>
/// <param name="SubmittedBy">The caller's credential identity; the status tool answers only about its own requests. Null: the authority checks (a remote server).</param>
/// <param name="OnBehalfOf">The person the agent acts for, as the caller's credential or the gateway's operator establishes it.</param>
/// <param name="JobType">Job label rules can match.</param>
public sealed record GatewayCaller(IActionAuthority Authority, IChangeStore Store, string? SubmittedBy, string? OnBehalfOf, string? JobType);

/// <summary>
/// The MCP gateway: one MCP client per upstream, their tools listed as <c>namespace.tool</c> with their schemas (kept
/// current when an upstream says its list changed), and every call guarded by <see cref="GuardedAction"/> through the
/// caller's authority (the approval server's REST API, or the server itself). Allowed → forwarded, the upstream's answer
/// returned unchanged; blocked → a tool error naming the rules; review → an action request, progress while it waits,
/// then exactly the approved arguments forwarded once, or the reviewer's reason and no upstream call. A cancelled call
/// forwards nothing and withdraws its request. A call that may not wait answers "pending, ask again" with the request
/// id; <c>infraguard.request_status</c> tells its state, and the same call re-issued once approved runs it, once.
/// </summary>
public sealed partial class McpGateway : IAsyncDisposable
{
    /// <summary>The gateway's own status tool (the <c>infraguard</c> namespace is reserved for it).</summary>
    public const string StatusTool = "infraguard.request_status";

    /// <summary>The per-call <c>_meta</c> key that shortens the wait (a duration such as <c>0s</c> or <c>30s</c>).</summary>
    public const string WaitMetaKey = "infraguard/wait";

    private static readonly Tool StatusToolDefinition = new()
    {
        Name = StatusTool,
        Title = "InfraGuard request status",
        Description = "Tells the state of an InfraGuard request that holds one of your tool calls (pending, approved, rejected, expired, cancelled, applied), who decided and why. A call answered 'pending' names its request id. Once the request is approved, re-issue exactly the same call (same tool, same arguments): InfraGuard then forwards it, once.",
        InputSchema = JsonDocument.Parse("""{"type":"object","properties":{"request_id":{"type":"string","description":"The request id a pending answer or a progress notification named (cr_…)"}},"required":["request_id"]}""").RootElement.Clone(),
        Annotations = new ToolAnnotations { ReadOnlyHint = true, IdempotentHint = true },
    };

    private readonly List<UpstreamConnection> _upstreams;
    private readonly GatewayCaller? _defaultCaller;
    private readonly TimeProvider _time;
    private readonly GatewayOptions _options;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<McpSession, object> _sessions = [];
    private FrozenDictionary<string, GatewayTool> _tools = FrozenDictionary<string, GatewayTool>.Empty;

    private McpGateway(List<UpstreamConnection> upstreams, GatewayCaller? defaultCaller, TimeProvider time, GatewayOptions options, ILogger logger)
    {
        _upstreams = upstreams;
        _defaultCaller = defaultCaller;
        _time = time;
        _options = options;
        _logger = logger;
    }

    /// <summary>The tools listed to the agent, by their gateway name (without the status tool).</summary>
    public IReadOnlyCollection<string> ToolNames => _tools.Keys;

    /// <summary>Connects to every upstream and lists its tools; a tool the file does not map is hidden (and logged).</summary>
    /// <param name="upstreams">The upstreams file's entries.</param>
    /// <param name="environment">Reads an environment variable (HTTP upstreams' headers).</param>
    /// <param name="authority">The authority of the default caller (stdio: the one agent); null when every call names its caller.</param>
    /// <param name="store">The store of the default caller.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">The default caller's context and the waits.</param>
    /// <param name="loggers">Logging.</param>
    /// <param name="cancellationToken">Stops connecting.</param>
    /// <exception cref="UpstreamException">An upstream could not be started, reached or listed; the message names it.</exception>
    public static async Task<McpGateway> ConnectAsync(
        IReadOnlyList<Upstream> upstreams,
        Func<string, string?> environment,
        IActionAuthority? authority,
        IChangeStore? store,
        TimeProvider time,
        GatewayOptions options,
        ILoggerFactory? loggers,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(upstreams);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        loggers ??= NullLoggerFactory.Instance;
        var logger = loggers.CreateLogger<McpGateway>();
        var caller = authority is null || store is null ? null : new GatewayCaller(authority, store, null, options.OnBehalfOf, options.JobType);
        var connections = new List<UpstreamConnection>();
        var gateway = new McpGateway(connections, caller, time, options, logger);
        try
        {
            foreach (var upstream in upstreams)
            {
                var connection = new UpstreamConnection(upstream, environment, loggers, gateway.OnToolListChangedAsync);
                connections.Add(connection);
                await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
                LogUpstreamConnected(logger, upstream.Namespace, connection.Listed.Count);
            }
        }
        catch
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        gateway.Rebuild();
        return gateway;
    }

    /// <summary>Server options whose handlers are this gateway's, every call made by the default caller (stdio).</summary>
    public McpServerOptions ServerOptions() => ServerOptions(_ => _defaultCaller ?? throw new InvalidOperationException("This gateway has no default caller; pass one per call."));

    /// <summary>Server options whose handlers are this gateway's, each call made by the caller <paramref name="callerOf"/> names (HTTP: the authenticated agent).</summary>
    public McpServerOptions ServerOptions(Func<MessageContext, GatewayCaller> callerOf) => new()
    {
        ServerInfo = new Implementation { Name = "infraguard", Version = typeof(McpGateway).Assembly.GetName().Version?.ToString() ?? "0" },
        ServerInstructions = $"Tools are reached through InfraGuard. A call that policy marks risky waits for an independent person's approval; progress notifications name its request and why it waits. A client that cannot wait gets a 'pending' answer naming the request: ask '{StatusTool}' about it, and re-issue exactly the same call once it is approved. A rejected or blocked call returns an error that says why.",
        Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = true } },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = (request, _) =>
            {
                Remember(request.Server);
                return ValueTask.FromResult(ListTools());
            },
            CallToolHandler = (request, ct) =>
            {
                Remember(request.Server);
                return new ValueTask<CallToolResult>(CallAsync(request.Server, request.Params, callerOf(request), ct));
            },
        },
    };

    /// <summary>Every mapped upstream tool under its gateway name, with the upstream's schemas and annotations, and the status tool.</summary>
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
        }), StatusToolDefinition],
    };

    /// <summary>Guards one call of the default caller; <paramref name="session"/> receives progress notifications while the call waits.</summary>
    public Task<CallToolResult> CallAsync(McpSession? session, CallToolRequestParams? call, CancellationToken cancellationToken) =>
        CallAsync(session, call, _defaultCaller ?? throw new InvalidOperationException("This gateway has no default caller; pass one per call."), cancellationToken);

    /// <summary>Guards one call of <paramref name="caller"/>; <paramref name="session"/> receives progress notifications while the call waits.</summary>
    public async Task<CallToolResult> CallAsync(McpSession? session, CallToolRequestParams? call, GatewayCaller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(caller);
        if (call.Name == StatusTool)
        {
            return await StatusAsync(caller, call, cancellationToken).ConfigureAwait(false);
        }

        if (!_tools.TryGetValue(call.Name, out var entry))
        {
            return Error($"Unknown tool '{call.Name}'. The gateway lists: {string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal).Append(StatusTool))}.");
        }

        if (WaitOf(call) is { Error: { } badWait })
        {
            return Error(badWait);
        }

        // The arguments hashed, shown to the reviewer and forwarded are one and the same object.
        var arguments = new JsonObject();
        foreach (var (name, value) in call.Arguments ?? new Dictionary<string, JsonElement>())
        {
            arguments[name] = JsonNode.Parse(value.GetRawText());
        }

        var action = ProposedAction.ToolCall(entry.Mapping.Kind, entry.Mapping.Target, $"{entry.Connection.Upstream.Namespace}.{entry.Tool.Name}", arguments);
        var proposal = new ActionProposal(action, ActorKind.Agent, caller.OnBehalfOf, caller.JobType);
        var notifier = new ProgressNotifier(session, call.ProgressToken);
        CallToolResult? answer = null;
        GuardedActionResult result;
        try
        {
            result = await new GuardedAction(caller.Authority, caller.Store, notifier, _time).RunAsync(
                new GuardedActionRequest(proposal, WaitOf(call).Wait, _options.PollInterval, _options.ProgressInterval, CloseOnCancel: true),
                async (_, ct) =>
                {
                    var forwarded = await entry.Connection.ForwardAsync(entry.Tool.Name, arguments, ct).ConfigureAwait(false);
                    answer = forwarded.Result;
                    if (forwarded.Failure is { } failure)
                    {
                        LogForwardFailed(_logger, call.Name, failure);
                    }

                    return (int)forwarded.Failure.GetValueOrDefault();
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ActionRefusedException e)
        {
            return Error($"InfraGuard refused the call: {e.Message}");
        }

        LogCallGuarded(_logger, call.Name, result.Run.Outcome, result.Run.Request?.Id);
        if (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(result.Run.Message, cancellationToken);
        }

        return result.Run.Outcome switch
        {
            RunOutcome.Applied when answer is not null => answer,
            RunOutcome.Blocked => Error(BlockedMessage(result.Run)),
            RunOutcome.Rejected => Error(notifier.Reasons.Count > 0
                ? $"{result.Run.Message} The reviewer said: {string.Join(" / ", notifier.Reasons)}"
                : result.Run.Message),
            RunOutcome.Expired when result.Run.Request is { State: RequestState.Pending } pending => Pending(pending),
            _ => Error(result.Run.Message),
        };
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var upstream in _upstreams)
        {
            await upstream.DisposeAsync().ConfigureAwait(false);
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

    internal static CallToolResult Error(string text) => new() { IsError = true, Content = [new TextContentBlock { Text = text }] };

    /// <summary>How long this call may wait: the gateway's limit, shortened (never lengthened) by the call's <c>_meta</c>.</summary>
    private (TimeSpan? Wait, string? Error) WaitOf(CallToolRequestParams call)
    {
        if (call.Meta?[WaitMetaKey] is not { } node)
        {
            return (_options.Wait, null);
        }

        TimeSpan? asked = node.GetValueKind() switch
        {
            JsonValueKind.Number when node.GetValue<double>() is >= 0 and <= 86_400 and var seconds => TimeSpan.FromSeconds(seconds),
            JsonValueKind.String when node.GetValue<string>() is "0" or "0s" => TimeSpan.Zero,
            JsonValueKind.String when Duration.TryParse(node.GetValue<string>(), out var d) && d >= TimeSpan.Zero => d,
            _ => null,
        };
        return asked is not { } wait
            ? (null, $"_meta '{WaitMetaKey}' must be a duration such as 0s or 30s (how long this call may wait for a decision), found {node.ToJsonString()}.")
            : (_options.Wait is { } limit && limit < wait ? limit : wait, null);
    }

    private static CallToolResult Pending(ChangeRequest request)
    {
        var rules = string.Join(", ", request.Assessment.Findings.Select(f => f.RuleId).Distinct(StringComparer.Ordinal));
        return new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock
            {
                Text = $"PENDING: this call was not run yet. It waits for an independent approval of InfraGuard request {request.Id} (score {request.Assessment.Score} ≥ review-at {request.Assessment.ReviewAt} in tier {request.Assessment.Tier}; rules: {rules}); it expires at {request.ExpiresAt:u}. Ask '{StatusTool}' with request_id {request.Id} for its state; once it is approved, re-issue exactly the same call and InfraGuard forwards it, once.",
            }],
            StructuredContent = JsonSerializer.SerializeToElement(new JsonObject
            {
                ["status"] = "pending",
                ["requestId"] = request.Id,
                ["statusTool"] = StatusTool,
                ["expiresAt"] = request.ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            }),
        };
    }

    private static async Task<CallToolResult> StatusAsync(GatewayCaller caller, CallToolRequestParams call, CancellationToken cancellationToken)
    {
        var id = call.Arguments is { } args && args.TryGetValue("request_id", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : null;
        if (string.IsNullOrWhiteSpace(id))
        {
            return Error($"'{StatusTool}' needs request_id: the id a pending answer or a progress notification named (cr_…).");
        }

        var request = await caller.Store.GetAsync(id, cancellationToken).ConfigureAwait(false);

        // Only the caller's own tool-call requests: another agent's or a pipeline's request is as unknown as a missing one.
        if (request is null || request.Action?.Tool is null || (caller.SubmittedBy is { } me && !string.Equals(request.SubmittedBy, me, StringComparison.Ordinal)))
        {
            return Error($"No request {id} of yours holds a tool call. Use the id a pending answer or a progress notification named.");
        }

        var decisions = await caller.Store.GetDecisionsAsync(id, cancellationToken).ConfigureAwait(false);
        var said = string.Join(" / ", decisions.Select(d => $"{Names.Of(d.Verdict)} by {d.Approver.PersonId}" + (string.IsNullOrWhiteSpace(d.Reason) ? string.Empty : $": {d.Reason}")));
        var what = request.Action.Display();
        var text = request.State switch
        {
            RequestState.Pending => $"Request {id} ({what}) is pending: it waits for an independent approval; it expires at {request.ExpiresAt:u}. Ask again later.",
            RequestState.Approved => $"Request {id} ({what}) is approved ({said}). Re-issue exactly the same call now: InfraGuard forwards it once.",
            RequestState.Rejected => $"Request {id} ({what}) was rejected ({said}); the call was not run and will not be.",
            RequestState.Applying => $"Request {id} ({what}) is being forwarded to the upstream now.",
            RequestState.Applied => $"Request {id} ({what}) was forwarded to the upstream once and answered; a new call needs a new approval.",
            RequestState.Failed => $"Request {id} ({what}) was forwarded once and the upstream failed; a new call needs a new approval.",
            _ => $"Request {id} ({what}) is {Names.Of(request.State)}; the call was not run. Re-issue it to ask again.",
        };
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = JsonSerializer.SerializeToElement(new JsonObject
            {
                ["requestId"] = id,
                ["state"] = Names.Of(request.State),
                ["tool"] = request.Action.Tool,
                ["expiresAt"] = request.ExpiresAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                ["decisions"] = new JsonArray([.. decisions.Select(d => (JsonNode)new JsonObject { ["verdict"] = Names.Of(d.Verdict), ["by"] = d.Approver.PersonId, ["reason"] = d.Reason })]),
            }),
        };
    }

    private static string BlockedMessage(GuardedRunResult run)
    {
        var rules = run.Assessment?.Findings.Where(f => f.Points > 0 || f.Blocking).Select(f => $"'{f.RuleId}' ({f.Reason})").Distinct(StringComparer.Ordinal).ToList() ?? [];
        return rules.Count == 0 ? run.Message : $"{run.Message} Rules: {string.Join("; ", rules)}.";
    }

    private void Remember(McpSession session) => _sessions.AddOrUpdate(session, this);

    private void Rebuild()
    {
        var tools = new Dictionary<string, GatewayTool>(StringComparer.Ordinal);
        foreach (var connection in _upstreams)
        {
            foreach (var tool in connection.Listed)
            {
                if (connection.Upstream.MappingFor(tool.Name) is not { } mapping)
                {
                    LogToolHidden(_logger, connection.Upstream.Namespace, tool.Name);
                    continue;
                }

                tools[$"{connection.Upstream.Namespace}.{tool.Name}"] = new GatewayTool(connection, tool, mapping);
            }
        }

        _tools = tools.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>An upstream re-listed its tools: rebuild the list and tell every agent session that listed tools.</summary>
    private async Task OnToolListChangedAsync(UpstreamConnection connection)
    {
        Rebuild();
        LogToolsChanged(_logger, connection.Upstream.Namespace, connection.Listed.Count);
        foreach (var (session, _) in _sessions)
        {
            try
            {
                await session.SendNotificationAsync(NotificationMethods.ToolListChangedNotification, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _sessions.Remove(session); // the agent went away
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Upstream {Namespace} connected: {Count} tools")]
    private static partial void LogUpstreamConnected(ILogger logger, string @namespace, int count);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Upstream {Namespace} tool {Tool} is not mapped to an action kind in the upstreams file; it is not listed")]
    private static partial void LogToolHidden(ILogger logger, string @namespace, string tool);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Tool call {Tool}: {Outcome} (request {RequestId})")]
    private static partial void LogCallGuarded(ILogger logger, string tool, RunOutcome outcome, string? requestId);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Upstream {Namespace} changed its tools: {Count} listed; agents told")]
    private static partial void LogToolsChanged(ILogger logger, string @namespace, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Tool call {Tool} was forwarded and failed: {Failure}")]
    private static partial void LogForwardFailed(ILogger logger, string tool, ForwardFailure failure);

    private sealed record GatewayTool(UpstreamConnection Connection, Tool Tool, ToolMapping Mapping);
}

/// <summary>An upstream could not be started, reached or listed, or its configuration is incomplete. The message names it and what to do.</summary>
public sealed class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);
