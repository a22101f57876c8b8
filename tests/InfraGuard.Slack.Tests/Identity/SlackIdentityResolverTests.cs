using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Slack.Identity;
using InfraGuard.Slack.Web;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Slack.Tests.Identity;

public sealed class SlackIdentityResolverTests : IAsyncLifetime
{
    private SlackStandIn _slack = null!;
    private readonly HttpClient _http = new();
    private readonly FakeTimeProvider _clock = new(Some.Now);

    private static readonly IdentityMap Map = new()
    {
        People =
        [
            new Person("egon", "Egon Spengler", ["github:egon"], ["spengler@ghostbusters.example.com"], [], ["dba"]),
            new Person("ray", "Ray Stantz", ["github:ray"], ["ray@ghostbusters.example.com"], ["slack:U0RAYCHAT"], ["sre-leads"]),
            new Person("deploy-bot", "Deploy bot", ["github:deploy-bot"], ["bot@ghostbusters.example.com"], [], [], IdentityKind.Bot),
        ],
        Groups = [],
    };

    public async ValueTask InitializeAsync()
    {
        _slack = await SlackStandIn.StartAsync();
        User("W012A3CDE", u => { });                       // the fixture user: a member, known by e-mail
        User("U0RAYCHAT", u => u["profile"]!["email"] = "someone-else@example.com"); // known by chat id
        User("U0GUEST01", u => { u["profile"]!["email"] = "guest@partner.example"; u["is_restricted"] = true; });
        User("U0SINGLE1", u => { u["profile"]!["email"] = "single@partner.example"; u["is_ultra_restricted"] = true; });
        User("B0BOTUSER", u => { u["profile"]!["email"] = "bot@ghostbusters.example.com"; u["is_bot"] = true; });
        User("W123A4BC5", u => u["profile"]!["email"] = "stranger@example.com"); // not in the map; in the fixture user group
        User("U0GONE001", u => { u["profile"]!["email"] = "spengler@ghostbusters.example.com"; u["deleted"] = true; });
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _slack.DisposeAsync();
    }

    private void User(string id, Action<JsonObject> change)
    {
        var user = JsonNode.Parse(SlackStandIn.Fixture("web_api", "users.info.ok.json"))!["user"]!.AsObject();
        user["id"] = id;
        change(user);
        _slack.Users[id] = user;
    }

    private SlackIdentityResolver Resolver(IReadOnlyDictionary<string, string>? userGroups = null) => new(
        new SlackWebApi(_http, new SlackWebApiOptions { BotToken = SlackStandIn.BotToken, BaseAddress = _slack.ApiBase }, _clock),
        Map,
        new SlackIdentityOptions { CacheFor = TimeSpan.FromMinutes(5), UserGroups = userGroups ?? new Dictionary<string, string>() },
        _clock);

    private static ApprovalOutcome Evaluate(Approver approver)
    {
        var subject = new ApprovalSubject(Some.PlanHash, "alice", null, [], new(1, [], TimeSpan.FromHours(1)), Some.Now.AddHours(1), []);
        return ApprovalRules.Evaluate(subject, approver, Verdict.Approve, "Looked at the plan carefully", Some.PlanHash, Some.Now);
    }

    [Fact]
    public async Task Resolve_MemberByEmail_MapsPersonAndGroupsAndCoreAccepts()
    {
        var identity = await Resolver().ResolveAsync("W012A3CDE", TestContext.Current.CancellationToken);

        Assert.Equal(("egon", "slack:W012A3CDE"), (identity.Approver.PersonId, identity.Approver.RawIdentity));
        Assert.Equal(["dba"], identity.Approver.Groups);
        Assert.False(identity.Approver.IsBot || identity.Approver.IsGuest);
        Assert.True(identity.InIdentityMap);
        Assert.True(Evaluate(identity.Approver).Accepted);
    }

    [Fact]
    public async Task Resolve_ChatIdMapping_WinsOverEmail()
    {
        var identity = await Resolver().ResolveAsync("U0RAYCHAT", TestContext.Current.CancellationToken);

        Assert.Equal("ray", identity.Approver.PersonId);
        Assert.Contains("sre-leads", identity.Approver.Groups);
    }

    [Theory]
    [InlineData("U0GUEST01")]
    [InlineData("U0SINGLE1")]
    public async Task Resolve_GuestAccount_FlaggedAndCoreRefuses(string id)
    {
        var identity = await Resolver().ResolveAsync(id, TestContext.Current.CancellationToken);

        Assert.True(identity.Approver.IsGuest);
        var outcome = Evaluate(identity.Approver);
        Assert.False(outcome.Accepted);
        Assert.Contains("Guest", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_BotUser_FlaggedAndCoreRefuses()
    {
        var identity = await Resolver().ResolveAsync("B0BOTUSER", TestContext.Current.CancellationToken);

        Assert.True(identity.Approver.IsBot);
        Assert.Equal("deploy-bot", identity.Approver.PersonId);
        Assert.Contains("Bots", Evaluate(identity.Approver).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_DeactivatedUserWithMemberEmail_FlaggedSoCoreRefuses()
    {
        var identity = await Resolver().ResolveAsync("U0GONE001", TestContext.Current.CancellationToken);

        Assert.True(identity.Approver.IsGuest);
        Assert.False(Evaluate(identity.Approver).Accepted);
    }

    [Fact]
    public async Task Resolve_NotInIdentityMap_PersonOfTheSlackEmailAndNoGroups()
    {
        var identity = await Resolver().ResolveAsync("W123A4BC5", TestContext.Current.CancellationToken);

        Assert.False(identity.InIdentityMap);
        Assert.Equal(("stranger@example.com", "slack:W123A4BC5"), (identity.Approver.PersonId, identity.Approver.RawIdentity));
        Assert.Empty(identity.Approver.Groups);
        Assert.False(ApprovalRules.IsEligible(identity.Approver, ["group:sre-leads"]));
    }

    [Theory]
    [InlineData("email:stranger@example.com")]
    [InlineData(" Stranger@Example.com. ")]
    [InlineData("person:stranger@example.com")]
    [InlineData("mailto:strаnger@example.com")] // Cyrillic а
    public async Task Resolve_UnmappedUserWhoseSlackEmailIsTheRequester_CoreRefuses(string requester)
    {
        // Security review 1, F1: an unmapped requester approving their own change from the Slack account with their e-mail.
        var identity = await Resolver().ResolveAsync("W123A4BC5", TestContext.Current.CancellationToken);
        var subject = new ApprovalSubject(Some.PlanHash, ApprovalDesk.Resolve(Map, requester).PersonId, null, [], new(1, [], TimeSpan.FromHours(1)), Some.Now.AddHours(1), [], requester);

        var outcome = ApprovalRules.Evaluate(subject, identity.Approver, Verdict.Approve, "Looked at the plan carefully", Some.PlanHash, Some.Now);

        Assert.False(outcome.Accepted);
        Assert.StartsWith("You requested this change", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resolve_UnknownSlackUser_SurfacesUserNotFound()
    {
        var error = await Assert.ThrowsAsync<SlackApiException>(() => Resolver().ResolveAsync("U0NOBODY0", TestContext.Current.CancellationToken));

        Assert.Equal("user_not_found", error.Error);
    }

    [Fact]
    public async Task Resolve_ConfiguredSlackUserGroup_AddsGroupToMembersOnly()
    {
        var resolver = Resolver(new Dictionary<string, string> { ["S0614TZR7"] = "sre-leads" });

        var inGroup = await resolver.ResolveAsync("W123A4BC5", TestContext.Current.CancellationToken);
        var notInGroup = await resolver.ResolveAsync("W012A3CDE", TestContext.Current.CancellationToken);

        Assert.Contains("sre-leads", inGroup.Approver.Groups);
        Assert.True(ApprovalRules.IsEligible(inGroup.Approver, ["group:sre-leads"]));
        Assert.DoesNotContain("sre-leads", notInGroup.Approver.Groups);
        Assert.Single(_slack.Calls("usergroups.users.list"));
    }

    [Fact]
    public async Task Resolve_Twice_CachedUntilExpiry()
    {
        var resolver = Resolver(new Dictionary<string, string> { ["S0614TZR7"] = "sre-leads" });
        var ct = TestContext.Current.CancellationToken;

        await resolver.ResolveAsync("W012A3CDE", ct);
        _clock.Advance(TimeSpan.FromMinutes(4));
        await resolver.ResolveAsync("W012A3CDE", ct);
        Assert.Single(_slack.Calls("users.info"));
        Assert.Single(_slack.Calls("usergroups.users.list"));

        _clock.Advance(TimeSpan.FromMinutes(2));
        await resolver.ResolveAsync("W012A3CDE", ct);

        Assert.Equal(2, _slack.Calls("users.info").Count);
        Assert.Equal(2, _slack.Calls("usergroups.users.list").Count);
        Assert.Empty(_slack.Problems);
    }
}
