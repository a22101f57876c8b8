using System.Text.Json.Nodes;
using InfraGuard.Teams.Connector;
using InfraGuard.Slack.Tests;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Teams.Tests;

/// <summary>The Bot Connector client against the stand-in: tokens, paths, bodies, 401 refresh, 429 Retry-After.</summary>
public sealed class BotConnectorClientTests : IAsyncLifetime
{
    private const string ServiceUrl = "https://smba.trafficmanager.net/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
    private const string Channel = "19:6848757105754c8981c67612732d9aa7@thread.tacv2";
    private const string Tenant = "50612dbb-0237-4969-b378-8d42590f9c00";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = new();
    private TeamsStandIn _standIn = null!;
    private BotConnectorClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _standIn = await TeamsStandIn.StartAsync();
        _standIn.ServicePath = "/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
        _client = new BotConnectorClient(_http, new BotConnectorOptions
        {
            AppId = TeamsStandIn.AppId,
            AppPassword = TeamsStandIn.AppPassword,
            TokenEndpoint = _standIn.TokenEndpoint,
            ConnectorBaseUrl = _standIn.BaseAddress,
        }, _time);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    private static JsonObject Card() => Cards.CardsTests.CardActivity();

    [Fact]
    public async Task CreateUpdateReply_OneCachedToken_PathsEscapedAndBodiesChecked()
    {
        var thread = await _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card());
        await _client.UpdateActivityAsync(ServiceUrl, thread.ConversationId, thread.ActivityId, Card());
        await _client.ReplyAsync(ServiceUrl, thread.ConversationId, thread.ActivityId, new JsonObject { ["type"] = "message", ["text"] = "done" });

        Assert.Equal($"{Channel};messageid={thread.ActivityId}", thread.ConversationId);
        var create = Assert.Single(_standIn.CallsTo("POST", "create"));
        Assert.Equal(Channel, create.Json!["channelData"]!["channel"]!["id"]!.GetValue<string>());
        Assert.Equal(Tenant, create.Json!["channelData"]!["tenant"]!["id"]!.GetValue<string>());
        var update = Assert.Single(_standIn.CallsTo("PUT", "activity"));
        Assert.Equal(thread.ConversationId, update.V3[1]);
        Assert.Single(_standIn.CallsTo("POST", "activity"));
        var token = Assert.Single(_standIn.TokenRequests); // cached for all three calls
        Assert.Equal(TeamsStandIn.AppPassword, token["client_secret"]);
        Assert.All(_standIn.Calls, c => Assert.Equal("Bearer synthetic-access-1", c.Authorization));
        Assert.Empty(_standIn.Problems);
    }

    [Fact]
    public async Task Update_TokenRevoked_FetchesNewTokenAndRetriesOnce()
    {
        var thread = await _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card());
        _standIn.RevokeTokens();

        await _client.UpdateActivityAsync(ServiceUrl, thread.ConversationId, thread.ActivityId, Card());

        Assert.Equal(2, _standIn.TokenRequests.Count);
        Assert.Equal("Bearer synthetic-access-2", _standIn.CallsTo("PUT", "activity")[^1].Authorization);
        Assert.Empty(_standIn.Problems);
    }

    [Fact]
    public async Task Create_TokenExpires_FetchesNewToken()
    {
        await _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card());
        _time.Advance(TimeSpan.FromMinutes(56)); // 3600 s token, refreshed 5 minutes early

        await _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card());

        Assert.Equal(2, _standIn.TokenRequests.Count);
    }

    [Fact]
    public async Task Create_RateLimited_WaitsRetryAfterThenSucceeds()
    {
        _standIn.Script(429, "7");

        var task = _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card());
        await Wait.UntilAsync(() => _standIn.Calls.Count == 1, "the first attempt is refused");
        _time.Advance(TimeSpan.FromSeconds(6));
        await Task.Delay(100);
        Assert.Single(_standIn.Calls); // not before Retry-After
        _time.Advance(TimeSpan.FromSeconds(1));
        await task;

        Assert.Equal(2, _standIn.CallsTo("POST", "create").Count);
    }

    [Fact]
    public async Task Create_RetryAfterTooLong_GivesUpWithStatus()
    {
        _standIn.Script(429, "3600");

        var e = await Assert.ThrowsAsync<TeamsConnectorException>(() => _client.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card()));

        Assert.Equal(429, e.Status);
    }

    [Fact]
    public async Task GetMember_KnownAndUnknown_RecordOrNull()
    {
        _standIn.AddMember("29:guest", "aad-guest", "guest@partner.example", Tenant, role: "guest");

        var guest = await _client.GetMemberAsync(ServiceUrl, Channel, "29:guest");
        var nobody = await _client.GetMemberAsync(ServiceUrl, Channel, "29:nobody");

        Assert.True(guest!.IsGuest);
        Assert.Equal("guest@partner.example", guest.UserPrincipalName);
        Assert.Null(nobody);
    }

    [Theory]
    [InlineData("https://evil.example/amer/")]
    [InlineData("http://smba.trafficmanager.net/amer/")]
    public async Task Create_UntrustedServiceUrl_RefusedWithoutSendingToken(string serviceUrl)
    {
        using var strict = new BotConnectorClient(_http, new BotConnectorOptions { AppId = TeamsStandIn.AppId, AppPassword = TeamsStandIn.AppPassword, TokenEndpoint = _standIn.TokenEndpoint }, _time);

        await Assert.ThrowsAsync<TeamsConnectorException>(() => strict.CreateChannelThreadAsync(serviceUrl, Channel, Tenant, Card()));

        Assert.Empty(_standIn.TokenRequests);
    }

    [Fact]
    public async Task Create_WrongPassword_ClearError()
    {
        using var wrong = new BotConnectorClient(_http, new BotConnectorOptions { AppId = TeamsStandIn.AppId, AppPassword = "wrong", TokenEndpoint = _standIn.TokenEndpoint, ConnectorBaseUrl = _standIn.BaseAddress }, _time);

        var e = await Assert.ThrowsAsync<TeamsConnectorException>(() => wrong.CreateChannelThreadAsync(ServiceUrl, Channel, Tenant, Card()));

        Assert.Contains("invalid_client", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
        Assert.Empty(_standIn.Calls);
    }
}
