using System.Net;
using System.Text.Json.Nodes;
using InfraGuard.Slack.Tests;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Server.Tests.Slack;

/// <summary>/slack/* verify Slack's signature on the raw body before anything else (fixtures/slack/signing, events).</summary>
public sealed class SlackSigningTests : IAsyncLifetime
{
    private SlackWorld _world = null!;

    public async ValueTask InitializeAsync() => _world = await SlackWorld.StartAsync();

    public async ValueTask DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Commands_SlackDocsSigningVector_AcceptedOnceThenReplayRefused()
    {
        var vector = JsonNode.Parse(SlackStandIn.Fixture("signing", "slack-docs-signing-vector.json"))!;
        var ts = long.Parse(vector["x_slack_request_timestamp"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var body = vector["raw_body"]!.GetValue<string>();
        var signature = vector["expected_x_slack_signature"]!.GetValue<string>();
        using var server = _world.Server();
        using var atVectorTime = server.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(ts + 30)))));
        using var client = atVectorTime.CreateClient();

        using var first = await _world.PostSignedAsync(client, "/slack/commands", body, timestamp: ts, signature: signature);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var reply = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        Assert.Equal("ephemeral", reply["response_type"]!.GetValue<string>());
        Assert.Contains("/webhook-collect pending", reply["text"]!.GetValue<string>(), StringComparison.Ordinal); // empty text → help

        using var replay = await _world.PostSignedAsync(client, "/slack/commands", body, timestamp: ts, signature: signature);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
    }

    [Theory]
    [InlineData("forged")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("missing")]
    public async Task SlackEndpoints_BadSignatureOrTime_Refused401(string how)
    {
        using var server = _world.Server();
        using var client = server.CreateClient();
        var body = SlackStandIn.Fixture("events", "url_verification.json");
        var now = _world.Api.Time.GetUtcNow().ToUnixTimeSeconds();
        var ts = how switch { "stale" => now - 301, "future" => now + 301, _ => now };
        var stamp = ts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signature = how switch
        {
            "forged" => _world.Sign(stamp, body.Replace("3eZbrw1a", "3eZbrw1b", StringComparison.Ordinal)),
            "missing" => "",
            _ => _world.Sign(stamp, body),
        };
        foreach (var path in new[] { "/slack/events", "/slack/interactivity", "/slack/commands" })
        {
            using var response = await _world.PostSignedAsync(client, path, body, "application/json", ts, signature);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Empty(_world.Slack.Requests);
    }

    [Fact]
    public async Task Events_UrlVerificationFixture_EchoesChallenge()
    {
        using var server = _world.Server();
        using var client = server.CreateClient();
        using var response = await _world.PostSignedAsync(client, "/slack/events", SlackStandIn.Fixture("events", "url_verification.json"), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["challenge"]!.GetValue<string>());
    }

    [Fact]
    public async Task Events_SameEventIdRetried_HandledOnce()
    {
        using var server = _world.Server();
        using var client = server.CreateClient();
        var body = JsonNode.Parse(SlackStandIn.Fixture("socket_mode", "envelope.events_api.app_mention.java-sdk.json"))!["payload"]!.ToJsonString();
        using (var first = await _world.PostSignedAsync(client, "/slack/events", body, "application/json"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        _world.Api.Time.Advance(TimeSpan.FromSeconds(3)); // Slack's retry: new timestamp and signature, same event_id.
        using (var retry = await _world.PostSignedAsync(client, "/slack/events", body, "application/json"))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }

        await Wait.UntilAsync(() => _world.Slack.Calls("chat.postMessage").Count > 0, "the mention is answered");
        await Task.Delay(300);
        var replies = _world.Slack.Calls("chat.postMessage");
        Assert.Single(replies);
        Assert.Equal("C111", replies[0].Json!["channel"]!.GetValue<string>());
        Assert.Equal("1605853844.000800", replies[0].Json!["thread_ts"]!.GetValue<string>());
        _world.AssertCleanTraffic();
    }

    [Fact]
    public async Task SlackEndpoints_SlackDisabled_NotFound()
    {
        using var server = _world.Api.NewFactory();
        using var client = server.CreateClient();
        using var response = await _world.PostSignedAsync(client, "/slack/events", SlackStandIn.Fixture("events", "url_verification.json"), "application/json");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public void Startup_SocketModeWithoutAppToken_FailsNamingTheSetting()
    {
        var server = _world.Server(("Server:Slack:SocketMode", "true"));

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => server.CreateClient());

        Assert.Contains("Server:Slack:AppToken is missing", error.Message, StringComparison.Ordinal);
    }
}
