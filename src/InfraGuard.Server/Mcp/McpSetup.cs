using System.Security.Claims;
using InfraGuard.Core.Policy;
using InfraGuard.Mcp;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
using InfraGuard.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.AspNetCore;
using ModelContextProtocol.Server;

namespace InfraGuard.Server.Mcp;

/// <summary>
/// <c>/mcp</c> on <c>infraguard serve</c>: the MCP gateway over Streamable HTTP, for agents that reach their tools by URL.
/// Only with a runner-scope credential (a bearer token, or a CI's OIDC workload token), which is the agent: it is the
/// requester and submitter of every request its calls open, and can never approve one. The person it acts for comes
/// from the credential (a CI token's verified actor) or, when the credential names none, from the
/// <see cref="McpOptions.OnBehalfOfHeader"/> header; nothing in a call can change either.
/// </summary>
internal static partial class McpSetup
{
    public static void AddMcpGateway(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<McpOptions>().BindConfiguration(McpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (string.IsNullOrWhiteSpace(configuration[$"{McpOptions.Section}:Upstreams"]))
        {
            return;
        }

        services.AddSingleton<IClaimsTransformation, SessionOwnerClaim>();
        services.AddSingleton<McpGatewayHost>();
        services.AddHostedService(sp => sp.GetRequiredService<McpGatewayHost>());
        services.AddMcpServer().WithHttpTransport(o =>
        {
            // Sessions for clients that start with initialize (progress and cancellation reach the waiting call);
            // clients of the 2026-07-28 revision are served without one on the same endpoint.
            o.SessionMode = HttpServerSessionMode.StatefulForInitializeClients;
            o.ConfigureSessionOptions = ConfigureSessionAsync;
        });
    }

    public static void MapMcpGateway(WebApplication app)
    {
        if (app.Services.GetService<McpGatewayHost>() is not null)
        {
            app.MapMcp("/mcp").RequireScope(ApiScopes.Runner);
        }
    }

    /// <summary>
    /// Binds a session (or a session-less request) to the credential that opened it: every call is made as that agent,
    /// for the person it names, and a message that arrives on the session with another credential is refused.
    /// </summary>
    private static async Task ConfigureSessionAsync(HttpContext http, McpServerOptions options, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var host = services.GetRequiredService<McpGatewayHost>();
        var settings = services.GetRequiredService<IOptions<McpOptions>>().Value;
        var authorities = services.GetRequiredService<Authorities>();
        var store = services.GetRequiredService<ChangeStore>();
        var changes = services.GetRequiredService<RequestChanges>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("InfraGuard.Server.Mcp");
        var gateway = await host.Gateway.WaitAsync(cancellationToken).ConfigureAwait(false);
        var opener = ApiClaims.IdentityOf(http.User);
        var header = http.Request.Headers[settings.OnBehalfOfHeader].ToString();
        var principal = PrincipalOf(http.User, string.IsNullOrWhiteSpace(header) ? null : header.Trim());
        var template = gateway.ServerOptions(message =>
        {
            var user = message.User ?? http.User;
            var identity = ApiClaims.IdentityOf(user);
            if (!string.Equals(identity, opener, StringComparison.Ordinal))
            {
                LogSessionRefused(logger, identity, opener);
                throw new McpException($"This MCP session was opened by {opener}; a message from {identity} cannot use it. Open a session with your own credential.");
            }

            if (principal.Refusal is { } refusal)
            {
                LogSessionRefused(logger, identity, refusal);
                throw new McpException(refusal);
            }

            // The agent is the requester and the submitter; its credential says so, never the call.
            var submitter = Authorities.SubmitterOf(user) with { ActorKind = ActorKind.Agent };
            var actions = new SignalledActions(authorities.ActionsFor(submitter), store, changes);
            return new GatewayCaller(actions, actions, submitter.SubmittedBy, principal.OnBehalfOf, JobType: null);
        });
        options.ServerInfo = template.ServerInfo;
        options.ServerInstructions = template.ServerInstructions;
        options.Capabilities = template.Capabilities;
        options.Handlers = template.Handlers;
    }

    /// <summary>
    /// The person the agent acts for: a CI token's verified actor when it differs from the credential (the person who
    /// started the run); else the header, if sent. A header that names someone else than a verified actor is refused.
    /// </summary>
    internal static (string? OnBehalfOf, string? Refusal) PrincipalOf(ClaimsPrincipal user, string? header)
    {
        var identity = ApiClaims.IdentityOf(user);
        var verified = ApiClaims.IsAttested(user) && ApiClaims.RequesterOf(user) is { } actor && !string.Equals(actor, identity, StringComparison.Ordinal) ? actor : null;
        if (verified is not null && header is not null && !string.Equals(header, verified, StringComparison.Ordinal))
        {
            return (null, $"This credential acts for {verified} (its CI token says so); the on-behalf-of header cannot name {header} instead.");
        }

        return (verified ?? header, null);
    }

    [LoggerMessage(EventId = 9601, Level = LogLevel.Warning, Message = "MCP call from {Identity} refused: {Why}")]
    private static partial void LogSessionRefused(ILogger logger, string identity, string why);
}

/// <summary>
/// The MCP SDK binds a session to its opener by a user-id claim (<see cref="ClaimTypes.NameIdentifier"/>): for an API
/// credential that is its identity, so a session opened with one credential cannot be used with another.
/// </summary>
internal sealed class SessionOwnerClaim : IClaimsTransformation
{
    public Task<ClaimsPrincipal> TransformAsync(ClaimsPrincipal principal)
    {
        if (principal.FindFirst(ApiClaims.Identity) is { } identity && principal.FindFirst(ClaimTypes.NameIdentifier) is null && principal.Identity is ClaimsIdentity claims)
        {
            claims.AddClaim(new Claim(ClaimTypes.NameIdentifier, identity.Value));
        }

        return Task.FromResult(principal);
    }
}

/// <summary>Connects the gateway to its upstreams when the server starts; an upstream that cannot start stops the server, naming it.</summary>
internal sealed partial class McpGatewayHost(IOptions<McpOptions> options, TimeProvider time, ILoggerFactory loggers, ILogger<McpGatewayHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource<McpGateway> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The connected gateway (completes once the server has started).</summary>
    public Task<McpGateway> Gateway => _ready.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var progress = TimeSpan.FromSeconds(settings.ProgressSeconds);
        var wait = settings.WaitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        try
        {
            var gateway = await McpGateway.ConnectAsync(
                settings.Load(), Environment.GetEnvironmentVariable, null, null, time, new GatewayOptions(null, null, wait, progress, progress), loggers, cancellationToken).ConfigureAwait(false);
            LogReady(logger, gateway.ToolNames.Count, settings.Upstreams!);
            _ready.TrySetResult(gateway);
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_ready.Task.IsCompletedSuccessfully)
        {
            await _ready.Task.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 9600, Level = LogLevel.Information, Message = "MCP gateway on /mcp: {Count} tools from the upstreams in {File}")]
    private static partial void LogReady(ILogger logger, int count, string file);
}
