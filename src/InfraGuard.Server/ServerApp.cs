using System.Text.Json;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Hosting;
using InfraGuard.Server.Slack;
using InfraGuard.Server.Teams;
using InfraGuard.Server.Web;
using InfraGuard.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server;

/// <summary>
/// Builds the approval server: the generic host with Kestrel, options validated at start, the store, bearer-token
/// auth and the REST API v1. Used by the server's own Program, by <c>infraguard serve</c>, and by tests
/// (through <c>WebApplicationFactory&lt;ServerApp&gt;</c>, or directly on a loopback port).
/// </summary>
public sealed class ServerApp
{
    private ServerApp()
    {
    }

    /// <summary>Environment variables with this prefix are configuration (<c>INFRAGUARD_SERVER__DB</c> → <c>Server:Db</c>).</summary>
    public const string EnvironmentPrefix = "INFRAGUARD_";

    /// <summary>
    /// Builds the app. <paramref name="defaults"/> are the lowest-priority settings (the CLI's computed defaults);
    /// appsettings.json, <c>INFRAGUARD_*</c> variables and <paramref name="args"/> (<c>--Server:Db=…</c>, <c>--urls …</c>) override them.
    /// </summary>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? defaults = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ApplicationName = typeof(ServerApp).Assembly.GetName().Name });
        if (defaults is { Count: > 0 })
        {
            builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
        }

        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args);

        // Logs go to stderr: stdout is for a command's result only.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning); // four lines per Slack call otherwise
        AddServices(builder.Services, builder.Configuration);

        var app = builder.Build();
        MapEndpoints(app);
        return app;
    }

    private static void AddServices(IServiceCollection services, ConfigurationManager configuration)
    {
        services.AddOptions<ServerOptions>()
            .BindConfiguration(ServerOptions.Section)
            .PostConfigure(o =>
            {
                // The CLI's variables, when the Server section leaves them out.
                o.Db ??= configuration["DB"];
                o.KeyFile ??= configuration["KEY_FILE"];
                o.Key ??= configuration["AUDIT_KEY"];
                o.TokenKeyFile ??= configuration["TOKEN_KEY_FILE"];
                o.TokenKey ??= configuration["TOKEN_KEY"];
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<SlackOptions>()
            .BindConfiguration(SlackOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ServerOptions>>().Value;
            return AuditKeyFile.Resolve(o.KeyFile ?? string.Empty, o.Key);
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ServerOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("InfraGuard.Server.Store");
            return ChangeStore.Open(o.Db!, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Ed25519AuditSigner>(), new ChangeStoreOptions(o.Origin) { Waiting = m => ServerLog.StoreWaiting(logger, m) });
        });
        services.AddSingleton<IChangeStore>(sp => sp.GetRequiredService<ChangeStore>());
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<ChangeStore>());
        services.AddSingleton(sp => LoadPolicy(sp.GetRequiredService<IOptions<ServerOptions>>().Value.PolicyDir));
        services.AddSingleton<RequestChanges>();
        services.AddSingleton<IRequestSignal>(sp => sp.GetRequiredService<RequestChanges>());
        services.AddSingleton(sp => new ApprovalDesk(sp.GetRequiredService<IChangeStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IRequestSignal>(), sp.GetRequiredService<ChangeStore>(), sp.GetRequiredService<PolicyPack>().Identities));
        services.AddOptions<FollowUpOptions>().BindConfiguration(FollowUpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<FollowUpSweep>();
        services.AddHostedService<ChangeFeed>();
        services.AddHostedService<ChangeListener>();
        services.AddSingleton<SingletonJobs>();
        services.AddSingleton<ILeadership>(sp => sp.GetRequiredService<SingletonJobs>());
        services.AddHostedService(sp => sp.GetRequiredService<SingletonJobs>());
        services.AddSingletonJob<ChannelWorkers>();
        services.AddSingletonJob<SeenKeySweep>();
        services.AddSingletonJob<FollowUpService>();
        services.AddSingleton(sp => Authorities.ResolveTokenKey(sp.GetRequiredService<IOptions<ServerOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("InfraGuard.Server")));
        services.AddSingleton<Authorities>();
        services.AddOptions<Oidc.OidcOptions>().BindConfiguration(Oidc.OidcOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Oidc.OidcIssuer>();
        services.AddHostedService<StoreStartup>();
        SlackSetup.AddSlack(services);
        TeamsSetup.AddTeams(services);
        Mcp.McpSetup.AddMcpGateway(services, configuration);

        services.ConfigureHttpJsonOptions(o => ServerJson.Configure(o.SerializerOptions));
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Instance ??= c.HttpContext.Request.Path);
        services.AddWorkloadIdentity();
        services.AddAuthentication(ApiClaims.Scheme).AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(ApiClaims.Scheme, null);
        services.AddAuthorization();
        WebUi.AddServices(services, configuration);
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = e => e switch
            {
                BadHttpRequestException or JsonException => StatusCodes.Status400BadRequest,
                StoreUnavailableException => StatusCodes.Status503ServiceUnavailable,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseWebSecurityHeaders();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        Health.Map(app);

        var api = app.MapGroup("/api/v1");
        RequestEndpoints.Map(api);
        ActionEndpoints.Map(app, api);
        AuditEndpoints.Map(api);
        TokenEndpoints.Map(api);
        FlowEndpoints.Map(api);
        SlackSetup.MapSlack(app);
        TeamsSetup.MapTeams(app);
        Mcp.McpSetup.MapMcpGateway(app);
        WebUi.Map(app);
    }

    private static PolicyPack LoadPolicy(string? directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            return PolicyPackLoader.LoadDefault();
        }

        var file = Directory.Exists(directory) ? Path.Combine(directory, "policy.yaml") : directory;
        return PolicyPackLoader.Load(File.ReadAllText(file), file);
    }

    /// <summary>Opens (and migrates) the store and loads the policy pack when the host starts, so a bad database or pack stops it at once.</summary>
    private sealed class StoreStartup(ChangeStore store, PolicyPack pack, ApprovalTokenKey tokenKey, ILogger<StoreStartup> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            ServerLog.Ready(logger, store.Description, store.KeyId, tokenKey.Signer?.KeyId ?? "none", pack.Hash);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
