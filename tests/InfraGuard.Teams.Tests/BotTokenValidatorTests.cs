using InfraGuard.Teams.Auth;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace InfraGuard.Teams.Tests;

/// <summary>Inbound Connector → bot tokens against the stand-in's metadata and keys (synthetic, with endorsements).</summary>
public sealed class BotTokenValidatorTests : IAsyncLifetime
{
    private const string ServiceUrl = "https://smba.trafficmanager.net/amer/50612dbb-0237-4969-b378-8d42590f9c00/";
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = new();
    private TeamsStandIn _standIn = null!;
    private BotTokenValidator _validator = null!;

    public async ValueTask InitializeAsync()
    {
        _standIn = await TeamsStandIn.StartAsync();
        _validator = new BotTokenValidator(new BotTokenValidatorOptions { AppId = TeamsStandIn.AppId, OpenIdMetadataUrl = _standIn.MetadataUrl, RequireHttpsMetadata = false }, _http, _time);
    }

    public async ValueTask DisposeAsync()
    {
        _validator.Dispose();
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    private Task<BotTokenCheck> CheckAsync(string token, string channel = "msteams", string serviceUrl = ServiceUrl) =>
        _validator.ValidateAsync("Bearer " + token, channel, serviceUrl);

    [Fact]
    public async Task Validate_GenuineTokenWithCtyJwtAndNoServiceUrlClaim_Accepted()
    {
        // The shape of the real 2022 Teams token: cty JWT in the header, no serviceurl claim.
        var check = await CheckAsync(_standIn.Mint(_time.GetUtcNow()));

        Assert.True(check.IsValid, check.Failure);
    }

    [Fact]
    public async Task Validate_ServiceUrlClaimMatches_Accepted() =>
        Assert.True((await CheckAsync(_standIn.Mint(_time.GetUtcNow(), serviceUrl: ServiceUrl))).IsValid);

    public static TheoryData<string, string> Refused => new()
    {
        { "forged", "signature does not verify" },
        { "expired", "expired" },
        { "not-yet-valid", "not valid before" },
        { "wrong-audience", "audience" },
        { "wrong-issuer", "issuer" },
        { "unendorsed", "not endorsed for channel 'msteams'" },
        { "unknown-key", "does not publish" },
        { "serviceurl-mismatch", "serviceurl claim" },
        { "other-channel", "not endorsed for channel 'webchat'" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Validate_BadToken_RefusedWithReason(string how, string expected)
    {
        var now = _time.GetUtcNow();
        var token = how switch
        {
            "forged" => _standIn.Mint(now, forged: true),
            "expired" => _standIn.Mint(now - TimeSpan.FromMinutes(11)),          // expired 6 minutes ago: beyond the 5-minute skew
            "not-yet-valid" => _standIn.Mint(now + TimeSpan.FromMinutes(6)),
            "wrong-audience" => _standIn.Mint(now, audience: "00000000-0000-0000-0000-000000000000"),
            "wrong-issuer" => _standIn.Mint(now, issuer: "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"),
            "unendorsed" => _standIn.Mint(now, kid: TeamsStandIn.UnendorsedKid),
            "unknown-key" => _standIn.Mint(now, kid: "synthetic-never-published", forged: true),
            "serviceurl-mismatch" => _standIn.Mint(now, serviceUrl: "https://smba.trafficmanager.net/emea/"),
            "other-channel" => _standIn.Mint(now),
            _ => throw new ArgumentOutOfRangeException(nameof(how)),
        };

        var check = await CheckAsync(token, channel: how == "other-channel" ? "webchat" : "msteams");

        Assert.False(check.IsValid);
        Assert.Contains(expected, check.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ExpiredWithinSkew_Accepted() =>
        Assert.True((await CheckAsync(_standIn.Mint(_time.GetUtcNow() - TimeSpan.FromMinutes(9)))).IsValid); // expired 4 minutes ago

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer not-a-jwt")]
    public async Task Validate_NoBearerJwt_Refused(string? header) =>
        Assert.False((await _validator.ValidateAsync(header, "msteams", ServiceUrl)).IsValid);

    [Fact]
    public async Task Validate_AlgNone_Refused()
    {
        var parts = _standIn.Mint(_time.GetUtcNow()).Split('.');
        var header = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\",\"kid\":\"synthetic-teams-1\"}");

        Assert.False((await CheckAsync($"{header}.{parts[1]}.")).IsValid);
    }

    [Fact]
    public async Task Validate_RealTeams2022Token_ParsedWithCtyJwtButRefused()
    {
        // A real token Teams sent in 2022 (fixtures/teams/auth, long expired, signed by a key we do not have).
        var real = TeamsStandIn.Fixture("auth", "connector-to-bot.token.real.teams-2022.jwt").Trim();
        var parsed = new JsonWebToken(real);
        Assert.Equal("JWT", parsed.Cty);
        Assert.Equal("https://api.botframework.com", parsed.Issuer);
        Assert.False(parsed.TryGetPayloadValue<string>(BotTokenValidator.ServiceUrlClaim, out _));

        var check = await CheckAsync(real);

        Assert.False(check.IsValid);
    }

    [Fact]
    public async Task Validate_ManyTokens_MetadataFetchedOnce()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await CheckAsync(_standIn.Mint(_time.GetUtcNow()))).IsValid);
        }

        Assert.Equal(1, _standIn.MetadataFetches);
    }
}
