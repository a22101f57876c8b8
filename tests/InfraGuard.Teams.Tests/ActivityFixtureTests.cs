using System.Text;
using System.Text.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Teams.Activities;
using InfraGuard.Teams.Cards;

namespace InfraGuard.Teams.Tests;

/// <summary>Every activity fixture in shared/fixtures/teams/activities read as Teams sends it (see its SOURCES.md).</summary>
public sealed class ActivityFixtureTests
{
    private static TeamsActivity Parse(string file) => TeamsActivityParser.Parse(Encoding.UTF8.GetBytes(TeamsStandIn.Fixture("activities", file)));

    [Fact]
    public void Parse_ChannelMessage_TenantChannelTeamAndAadObjectId()
    {
        var a = Parse("message.channel-mention.teams-net.json");

        Assert.Equal("message", a.Type);
        Assert.Equal(TeamsActivity.MsTeams, a.ChannelId);
        Assert.Equal("https://smba.trafficmanager.net/amer/50612dbb-0237-4969-b378-8d42590f9c00/", a.ServiceUrl);
        Assert.Equal("50612dbb-0237-4969-b378-8d42590f9c00", a.TenantId);
        Assert.Equal("19:6848757105754c8981c67612732d9aa7@thread.tacv2", a.TeamsChannelId);
        Assert.Equal("19:66P469zibfbsGI-_a0aN_toLTZpyzS6u7CT3TsXdgPw1@thread.tacv2", a.TeamsTeamId);
        Assert.Equal("b15a9416-0ad3-4172-9210-7beb711d3f70", a.From.AadObjectId);
        Assert.Equal("channel", a.ConversationType);
        Assert.False(a.IsCardAction);
    }

    [Fact]
    public void Parse_RecordedInvokeWithoutVerb_CardActionButNotInfraGuards()
    {
        var a = Parse("invoke.adaptiveCard-action.teams-net.json");

        Assert.True(a.IsCardAction);
        Assert.Equal("56653e9d-2158-46ee-90d7-675c39642038", a.TenantId);
        Assert.Equal("c5e99701-2a32-49c1-a660-4629ceeb8c61", a.From.AadObjectId);
        Assert.Equal("1767765488332", a.ReplyToId);
        Assert.Null(ApprovalCards.ReadAction(a)); // no verb: not an Approve/Reject click
    }

    [Fact]
    public void ReadAction_RecordedInvokeWithInfraGuardVerbAndData_VerdictRequestReasonPlan()
    {
        var json = TeamsStandIn.Fixture("activities", "invoke.adaptiveCard-action.teams-net.json")
            .Replace("\"title\": \"Submit Feedback\",", "\"title\": \"Approve\", \"verb\": \"approve\",", StringComparison.Ordinal)
            .Replace("\"feedback\": \"test invokes\"", "\"requestId\": \"cr_abc\", \"planHash\": \"ph1\", \"reason\": \"Checked the snapshot.\"", StringComparison.Ordinal);

        var action = ApprovalCards.ReadAction(TeamsActivityParser.Parse(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(new CardDecision(Verdict.Approve, "cr_abc", "Checked the snapshot.", "ph1"), action);
    }

    [Fact]
    public void Parse_DocInvokeWithVerb_LacksWhatEveryActivityHas()
    {
        // The documentation example omits channelId, serviceUrl and from ("other properties omitted"): not an activity we act on.
        var text = string.Join('\n', TeamsStandIn.Fixture("activities", "invoke.adaptiveCard-action.verb-food.msteams-docs.jsonc").Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("food", doc.RootElement.GetProperty("value").GetProperty("action").GetProperty("verb").GetString());

        var e = Assert.Throws<TeamsPayloadException>(() => TeamsActivityParser.Parse(Encoding.UTF8.GetBytes(text)));
        Assert.Contains("channelId", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BotAddedToTeam_AddsBotWithTeamAndTenant()
    {
        var a = Parse("conversationUpdate.bot-added-to-team.msteams-docs.json");

        Assert.True(a.AddsBot);
        Assert.Equal("teamMemberAdded", a.EventType);
        Assert.Equal("TestTeam2022", a.TeamName);
        Assert.Equal("b28fdbfd-2b78-4f93-b0f8-8881793f0f8f", a.TenantId);
        Assert.Equal("https://smba.trafficmanager.net/amer/", a.ServiceUrl);
    }

    [Fact]
    public void Parse_BotAddedPersonal_AddsBotWithPlaceholderTenant()
    {
        var a = Parse("conversationUpdate.bot-added-personal.msteams-docs.json");

        Assert.Equal("conversationUpdate", a.Type);
        Assert.Equal(2, a.MembersAdded.Count);
        Assert.Equal("<TENANT ID>", a.TenantId); // as published; never on an allow-list
        Assert.False(a.AddsBot);                 // the doc's recipient (28:<BOT ID>) is a placeholder, not the added bot's id
    }

    [Theory]
    [InlineData("invoke.adaptiveCard-action.request-format.adaptivecards-docs.txt")]
    [InlineData("invoke-response.adaptiveCard-action.response-format.adaptivecards-docs.txt")]
    public void Parse_PseudoJsonDocBlocks_Refused(string file) =>
        Assert.Throws<TeamsPayloadException>(() => Parse(file));

    [Theory]
    [InlineData("[]")]
    [InlineData("{\"type\":\"message\"}")]
    [InlineData("{\"type\":\"message\",\"channelId\":\"msteams\",\"serviceUrl\":\"https://x/\",\"conversation\":{\"id\":\"c\"}}")]
    public void Parse_Incomplete_Refused(string json) =>
        Assert.Throws<TeamsPayloadException>(() => TeamsActivityParser.Parse(Encoding.UTF8.GetBytes(json)));
}
