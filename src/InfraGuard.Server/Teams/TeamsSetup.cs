using InfraGuard.Server.Hosting;
using InfraGuard.Teams.Auth;
using InfraGuard.Teams.Cards;
using InfraGuard.Teams.Connector;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Teams;

/// <summary>Registers the Teams bot: always registered, active only when <c>Server:Teams:Enabled</c> is true.</summary>
internal static class TeamsSetup
{
    public const string HttpClientName = "teams";

    public static void AddTeams(IServiceCollection services)
    {
        services.AddOptions<TeamsOptions>()
            .BindConfiguration(TeamsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TeamsOptions>>().Value;
            return new BotTokenValidator(
                new BotTokenValidatorOptions
                {
                    AppId = o.AppId ?? throw new InvalidOperationException("Server:Teams:AppId is not set."),
                    OpenIdMetadataUrl = o.OpenIdMetadataUrl,
                    RequireHttpsMetadata = !o.OpenIdMetadataUrl.IsLoopback,
                },
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TeamsOptions>>().Value;
            return new BotConnectorClient(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                new BotConnectorOptions
                {
                    AppId = o.AppId ?? throw new InvalidOperationException("Server:Teams:AppId is not set."),
                    AppPassword = o.AppPassword ?? throw new InvalidOperationException("Server:Teams:AppPassword is not set."),
                    TokenEndpoint = o.TokenEndpointOrDefault,
                    ConnectorBaseUrl = o.ConnectorBaseUrl,
                    ServiceHosts = [.. BotConnectorOptions.DefaultServiceHosts, .. o.ServiceHosts],
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<BotConnectorClient>>());
        });
        services.AddSingleton(sp => new ApprovalCards(new Uri(sp.GetRequiredService<IOptions<ServerOptions>>().Value.PublicBaseUrl!)));
        services.AddSingleton<TeamsHandlers>();
        services.AddSingleton<TeamsApprovalChannel>();
        services.AddSingleton(new ChatChannelRegistration(sp =>
            sp.GetRequiredService<IOptions<TeamsOptions>>().Value.Enabled ? sp.GetRequiredService<TeamsApprovalChannel>() : null));
    }

    /// <summary>Maps <c>/teams/messages</c>.</summary>
    public static void MapTeams(IEndpointRouteBuilder app) => TeamsEndpoints.Map(app);
}
