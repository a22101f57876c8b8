using InfraGuard.Core.Policy;
using InfraGuard.Server.Hosting;
using InfraGuard.Slack.Identity;
using InfraGuard.Slack.Messages;
using InfraGuard.Slack.Signing;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Slack;

/// <summary>Registers the Slack bot: always registered, active only when <c>Server:Slack:Enabled</c> is true.</summary>
internal static class SlackSetup
{
    public const string HttpClientName = "slack";

    public static void AddSlack(IServiceCollection services)
    {
        services.AddOptions<SlackWireOptions>()
            .BindConfiguration(SlackOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(HttpClientName);
        // Replays are refused through the store (SlackSeenKeys), shared by every server on the database.
        services.AddSingleton(sp => new SlackRequestVerifier(
            sp.GetRequiredService<IOptions<SlackOptions>>().Value.SigningSecret ?? throw new InvalidOperationException("Server:Slack:SigningSecret is not set."),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SlackSeenKeys>();
        services.AddSingleton(sp =>
        {
            var slack = sp.GetRequiredService<IOptions<SlackOptions>>().Value;
            var wire = sp.GetRequiredService<IOptions<SlackWireOptions>>().Value;
            return new SlackWebApi(
                sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                new SlackWebApiOptions
                {
                    BotToken = slack.BotToken ?? throw new InvalidOperationException("Server:Slack:BotToken is not set."),
                    AppToken = slack.AppToken,
                    BaseAddress = wire.ApiBaseUrl,
                    PerChannelInterval = TimeSpan.FromMilliseconds(wire.PerChannelIntervalMilliseconds),
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<SlackWebApi>>());
        });
        services.AddSingleton(sp => new SlackIdentityResolver(
            sp.GetRequiredService<SlackWebApi>(),
            sp.GetRequiredService<PolicyPack>().Identities,
            new SlackIdentityOptions { UserGroups = sp.GetRequiredService<IOptions<SlackWireOptions>>().Value.UserGroups },
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ApprovalMessages(new ApprovalMessageOptions
        {
            WebBaseUrl = new Uri(sp.GetRequiredService<IOptions<ServerOptions>>().Value.PublicBaseUrl!),
        }));
        services.AddSingleton<SlackJobs>();
        services.AddSingleton<SlackHandlers>();
        services.AddSingleton<SlackApprovalChannel>();
        services.AddSingleton(new ChatChannelRegistration(sp =>
            sp.GetRequiredService<IOptions<SlackOptions>>().Value.Enabled ? sp.GetRequiredService<SlackApprovalChannel>() : null));
        services.AddHostedService<SlackWorker>();
        services.AddHostedService<SlackSocketModeService>();
    }

    /// <summary>Maps <c>/slack/*</c>.</summary>
    public static void MapSlack(IEndpointRouteBuilder app) => SlackEndpoints.Map(app);
}
