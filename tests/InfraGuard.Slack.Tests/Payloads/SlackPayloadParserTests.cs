using System.Text.Json;
using InfraGuard.Slack.Payloads;
using InfraGuard.Testing;

namespace InfraGuard.Slack.Tests.Payloads;

public sealed class SlackPayloadParserTests
{
    private static string Fixture(params string[] parts) => File.ReadAllText(Repo.Fixture(["slack", .. parts]));

    private static string AsForm(string json) => "payload=" + Uri.EscapeDataString(json);

    [Fact]
    public void ParseInteractionForm_DocsBlockActions_ReadsEveryField()
    {
        var action = Assert.IsType<SlackBlockAction>(SlackPayloadParser.ParseInteractionForm(AsForm(Fixture("interactivity", "block_actions.slack-docs-example.json"))));

        Assert.Equal("UA8RXUSPL", action.UserId);
        Assert.Equal("T9TK3CUKW", action.TeamId);
        Assert.Equal("WaXA", action.ActionId);
        Assert.Equal("click_me_123", action.Value);
        Assert.Equal("=qXel", action.BlockId);
        Assert.Equal("12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3", action.TriggerId);
        Assert.Equal(new Uri("https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209"), action.ResponseUrl);
        Assert.Equal("CBR2V3XEX", action.ChannelId);
        Assert.Equal("1548261231.000200", action.MessageTs);
        Assert.False(action.IsEphemeral);
        Assert.Equal("jtorrance", action.UserName);
    }

    [Fact]
    public void ParseInteraction_EphemeralEnterpriseBlockActions_TakesContainerAndTeam()
    {
        var action = Assert.IsType<SlackBlockAction>(SlackPayloadParser.ParseInteraction(Fixture("interactivity", "block_actions.ephemeral-enterprise.bolt-python.json")));

        Assert.Equal("W111", action.UserId);
        Assert.Equal("T111", action.TeamId);
        Assert.Equal("a", action.ActionId);
        Assert.Equal("C111", action.ChannelId);
        Assert.Equal("111.222", action.MessageTs);
        Assert.True(action.IsEphemeral);
    }

    [Fact]
    public void ParseInteraction_ViewSubmission_ReadsMetadataAndInput()
    {
        var view = Assert.IsType<SlackViewSubmission>(SlackPayloadParser.ParseInteractionForm(AsForm(Fixture("interactivity", "view_submission.bolt-python.json"))));

        Assert.Equal("W111", view.UserId);
        Assert.Equal("V111", view.ViewId);
        Assert.Equal("view-id", view.CallbackId);
        Assert.Equal("This is for you!", view.PrivateMetadata);
        Assert.Equal("test", view.Value("hspI", "maBWU"));
        Assert.Null(view.Value("hspI", "missing"));
    }

    [Fact]
    public void ParseInteraction_SocketModeEnvelopePayload_IsBlockAction()
    {
        using var doc = JsonDocument.Parse(Fixture("socket_mode", "envelope.interactive.block_actions.java-sdk.json"));

        var action = Assert.IsType<SlackBlockAction>(SlackPayloadParser.ParseInteraction(doc.RootElement.GetProperty("payload")));

        Assert.Equal(("U111", "a", "underlying", "1605853634.000400"), (action.UserId, action.ActionId, action.Value, action.MessageTs));
    }

    [Fact]
    public void ParseSlashCommandForm_SigningVectorBody_ReadsFields()
    {
        using var vector = JsonDocument.Parse(Fixture("signing", "slack-docs-signing-vector.json"));

        var command = SlackPayloadParser.ParseSlashCommandForm(vector.RootElement.GetProperty("raw_body").GetString()!);

        Assert.Equal("/webhook-collect", command.Command);
        Assert.Equal("", command.Text);
        Assert.Equal("U2CERLKJA", command.UserId);
        Assert.Equal("T1DC2JH3J", command.TeamId);
        Assert.Equal("G8PSS9T3V", command.ChannelId);
        Assert.Equal(new Uri("https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"), command.ResponseUrl);
        Assert.Equal("398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", command.TriggerId);
        Assert.Equal(InfraGuardCommandKind.Help, command.Parse().Kind);
    }

    [Fact]
    public void ParseSlashCommand_SocketModeEnvelopePayload_ReadsFields()
    {
        using var doc = JsonDocument.Parse(Fixture("socket_mode", "envelope.slash_commands.java-sdk.json"));

        var command = SlackPayloadParser.ParseSlashCommand(doc.RootElement.GetProperty("payload"));

        Assert.Equal(("/hi-socket-mode", "U111", "C111", "111.222.xxx"), (command.Command, command.UserId, command.ChannelId, command.TriggerId));
    }

    [Theory]
    [InlineData("pending", InfraGuardCommandKind.Pending, null)]
    [InlineData("  PENDING ", InfraGuardCommandKind.Pending, null)]
    [InlineData("show cr_ab12cd34ef56", InfraGuardCommandKind.Show, "cr_ab12cd34ef56")]
    [InlineData("help", InfraGuardCommandKind.Help, null)]
    [InlineData("", InfraGuardCommandKind.Help, null)]
    [InlineData("show", InfraGuardCommandKind.Unknown, "show")]
    [InlineData("approve cr_1 now", InfraGuardCommandKind.Unknown, "approve cr_1 now")]
    public void InfraGuardCommandParse_Text_GivesKindAndArgument(string text, InfraGuardCommandKind kind, string? argument)
    {
        var command = InfraGuardCommand.Parse(text);

        Assert.Equal(kind, command.Kind);
        Assert.Equal(argument, command.Argument);
    }

    [Fact]
    public void ParseSlashCommandForm_InfraGuardShow_ParsesId()
    {
        var command = SlackPayloadParser.ParseSlashCommandForm("command=%2Finfraguard&text=show+cr_ab12cd34ef56&user_id=U1&team_id=T1&channel_id=C1");

        Assert.Equal(new InfraGuardCommand(InfraGuardCommandKind.Show, "cr_ab12cd34ef56"), command.Parse());
    }

    [Fact]
    public void ParseEvent_UrlVerification_ReturnsChallenge()
    {
        var verification = Assert.IsType<SlackUrlVerification>(SlackPayloadParser.ParseEvent(Fixture("events", "url_verification.json")));

        Assert.Equal("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", verification.Challenge);
    }

    [Fact]
    public void ParseEvent_SocketModeAppMention_IsEventCallback()
    {
        using var doc = JsonDocument.Parse(Fixture("socket_mode", "envelope.events_api.app_mention.java-sdk.json"));

        var callback = Assert.IsType<SlackEventCallback>(SlackPayloadParser.ParseEvent(doc.RootElement.GetProperty("payload")));

        Assert.Equal(("Ev01ERKCFKK9", "app_mention", "T111"), (callback.EventId, callback.EventType, callback.TeamId));
        Assert.Equal("U111", callback.Event.GetProperty("user").GetString());
    }

    [Theory]
    [InlineData("token=x&team_id=T1")]
    [InlineData("payload=%7Bnot-json")]
    [InlineData("payload=%7B%22type%22%3A%22block_actions%22%7D")]
    public void ParseInteractionForm_BadBody_ThrowsPayloadException(string body)
    {
        Assert.Throws<SlackPayloadException>(() => SlackPayloadParser.ParseInteractionForm(body));
    }
}
