using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Slack.Tests;
using InfraGuard.Teams.Tests;

namespace InfraGuard.Server.Tests.Teams;

/// <summary>
/// An <see cref="ApiWorld"/> plus the loopback Bot Framework stand-in, with the server's Teams section pointing at it.
/// Routing uses the recorded channel message's real values (fixtures/teams: tenant, channel, service URL). People, as
/// the Connector's member lookup describes them: alice and bob (sre-leads, by e-mail), carol (the requester), a guest,
/// and dave from another tenant.
/// </summary>
internal sealed class TeamsWorld : IAsyncDisposable
{
    public const string Tenant = "50612dbb-0237-4969-b378-8d42590f9c00";
    public const string OtherTenant = "11111111-2222-4333-8444-555555555555";
    public const string ServiceUrl = "https://smba.trafficmanager.net/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
    public const string Channel = "19:6848757105754c8981c67612732d9aa7@thread.tacv2";
    public const string Team = "19:66P469zibfbsGI-_a0aN_toLTZpyzS6u7CT3TsXdgPw1@thread.tacv2";

    public static readonly (string Id, string Aad, string Upn, string TenantId, string Role) Alice = ("29:alice", "aad-alice-0001", "alice@example.com", Tenant, "user");
    public static readonly (string Id, string Aad, string Upn, string TenantId, string Role) Bob = ("29:bob", "aad-bob-0002", "bob@example.com", Tenant, "user");
    public static readonly (string Id, string Aad, string Upn, string TenantId, string Role) Carol = ("29:carol", "aad-carol-0003", "carol@example.com", Tenant, "user");
    public static readonly (string Id, string Aad, string Upn, string TenantId, string Role) Guest = ("29:guest", "aad-guest-0004", "bob@example.com", Tenant, "guest"); // a guest claiming an sre-lead's e-mail
    public static readonly (string Id, string Aad, string Upn, string TenantId, string Role) Dave = ("29:dave", "aad-dave-0005", "bob@example.com", OtherTenant, "user"); // another tenant, same e-mail

    private TeamsWorld(ApiWorld api, TeamsStandIn teams)
    {
        Api = api;
        Teams = teams;
        teams.ServicePath = "/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
        foreach (var p in new[] { Alice, Bob, Carol, Guest, Dave })
        {
            teams.AddMember(p.Id, p.Aad, p.Upn, p.TenantId, p.Role);
        }
    }

    public ApiWorld Api { get; }

    public TeamsStandIn Teams { get; }

    public static async Task<TeamsWorld> StartAsync(ApiWorld? api = null) => new(api ?? new ApiWorld(), await TeamsStandIn.StartAsync());

    public Dictionary<string, string> Settings() => new()
    {
        ["Server:Teams:Enabled"] = "true",
        ["Server:Teams:AppId"] = TeamsStandIn.AppId,
        ["Server:Teams:AppPassword"] = TeamsStandIn.AppPassword,
        ["Server:Teams:TenantIds:0"] = Tenant,
        ["Server:Teams:TierChannels:production:ChannelId"] = Channel,
        ["Server:Teams:TierChannels:production:ServiceUrl"] = ServiceUrl,
        ["Server:Teams:OpenIdMetadataUrl"] = Teams.MetadataUrl.AbsoluteUri,
        ["Server:Teams:TokenEndpoint"] = Teams.TokenEndpoint.AbsoluteUri,
        ["Server:Teams:ConnectorBaseUrl"] = Teams.BaseAddress.AbsoluteUri,
    };

    public ApiFactory Server(params (string Key, string Value)[] extra)
    {
        var settings = Settings();
        foreach (var (k, v) in extra)
        {
            settings[k] = v;
        }

        return Api.NewFactory(settings);
    }

    /// <summary>Waits until the request's card was posted; returns where.</summary>
    public static async Task<ChannelAddress> PostedAsync(ApiFactory server, string requestId)
    {
        ChannelPost? posted = null;
        await Wait.UntilAsync(() => (posted = server.Store.GetPostAsync("Teams", requestId).GetAwaiter().GetResult()) is not null, $"request {requestId} is posted to Teams");
        return posted!.Address;
    }

    /// <summary>The recorded <c>adaptiveCard/action</c> invoke, made a click on InfraGuard's card in the channel thread by <paramref name="who"/>.</summary>
    public static string Click((string Id, string Aad, string Upn, string TenantId, string Role) who, string verb, string requestId, string? reason, ChannelAddress at, string? planHash = null, string tenant = Tenant)
    {
        var a = JsonNode.Parse(TeamsStandIn.Fixture("activities", "invoke.adaptiveCard-action.teams-net.json"))!.AsObject();
        a["serviceUrl"] = ServiceUrl;
        a["from"] = new JsonObject { ["id"] = who.Id, ["name"] = who.Upn, ["aadObjectId"] = who.Aad };
        a["conversation"] = new JsonObject { ["id"] = at.Conversation, ["conversationType"] = "channel", ["isGroup"] = true, ["tenantId"] = tenant };
        a["channelData"]!["tenant"]!["id"] = tenant;
        a["channelData"]!["teamsChannelId"] = Channel;
        a["channelData"]!["teamsTeamId"] = Team;
        a["replyToId"] = at.MessageId;
        var data = new JsonObject { ["requestId"] = requestId };
        if (planHash is not null)
        {
            data["planHash"] = planHash;
        }

        if (reason is not null)
        {
            data["reason"] = reason;
        }

        a["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = verb, ["title"] = verb, ["data"] = data }, ["trigger"] = "manual" };
        return a.ToJsonString();
    }

    /// <summary>POSTs an activity to /teams/messages with <paramref name="token"/> (a fresh genuine one when null).</summary>
    public async Task<HttpResponseMessage> PostAsync(HttpClient client, string activity, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/teams/messages") { Content = new StringContent(activity, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Teams.Mint(Api.Time.GetUtcNow(), serviceUrl: ServiceUrl));
        return await client.SendAsync(request);
    }

    /// <summary>Clicks and returns the card the invoke answered with.</summary>
    public async Task<JsonObject> ClickAsync(HttpClient client, string activity)
    {
        using var response = await PostAsync(client, activity);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(200, body["statusCode"]!.GetValue<int>());
        Assert.Equal("application/vnd.microsoft.card.adaptive", body["type"]!.GetValue<string>());
        return body["value"]!.AsObject();
    }

    public static bool HasActions(JsonNode card) => card.ToJsonString().Contains("\"Action.Execute\"", StringComparison.Ordinal);

    /// <summary>Nothing sent to the stand-in broke its checks or carried a secret in a body.</summary>
    public void AssertCleanTraffic()
    {
        Assert.Empty(Teams.Problems);
        Assert.All(Teams.Calls, c => Assert.DoesNotContain(TeamsStandIn.AppPassword, c.Body, StringComparison.Ordinal));
        Assert.All(Teams.Calls, c => Assert.DoesNotContain("synthetic-access-", c.Body, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await Teams.DisposeAsync();
    }
}
