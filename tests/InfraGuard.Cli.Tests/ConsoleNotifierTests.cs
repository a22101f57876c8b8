using InfraGuard.Core.Requests;

namespace InfraGuard.Cli.Tests;

public class ConsoleNotifierTests
{
    [Fact]
    public async Task Notifier_OnTerminalAfterWaitingLine_NextMessageStartsOnItsOwnLine()
    {
        var error = new StringWriter { NewLine = "\n" };
        var context = new CliContext(TextWriter.Null, error, false, true, _ => "1", "/", TimeProvider.System);
        var notifier = new ConsoleNotifier(context);
        var request = Request();

        await notifier.WaitingAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None);
        await notifier.WaitingAsync(request, TimeSpan.FromSeconds(10), CancellationToken.None);
        await notifier.RequestDecidedAsync(request with { State = RequestState.Rejected }, [], CancellationToken.None);
        await notifier.ProgressAsync("next", CancellationToken.None);

        var text = error.ToString();
        Assert.Contains("0m10s elapsed, expires 2026-11-25 06:00 UTC\u001b[K\nChange request cr_aaaaaaaaaaaa was rejected; nothing will be applied.\nnext\n", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Split('\r').Length - 1);
    }

    private static ChangeRequest Request() => new()
    {
        Id = "cr_aaaaaaaaaaaa",
        Stack = "prod",
        Project = "shop",
        Tier = "production",
        Requester = new PersonRef("carol", "github:carol"),
        ActorKind = Core.Policy.ActorKind.Pipeline,
        CommitAuthors = [],
        PlanHash = new string('a', 64),
        StateFingerprint = new string('b', 64),
        PolicyPackHash = "p",
        Score = 100,
        Decision = Core.Risk.Decision.Review,
        RequiredApprovals = new Core.Policy.ApprovalRequirement(1, [], TimeSpan.FromHours(4)),
        CreatedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(2026, 11, 25, 6, 0, 0, TimeSpan.Zero),
        State = RequestState.Pending,
        StateChangedAt = new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero),
        Assessment = new Core.Risk.Assessment
        {
            Tier = "production",
            Score = 100,
            Decision = Core.Risk.Decision.Review,
            ReviewAt = 40,
            BlockAt = 400,
            ActorKind = Core.Policy.ActorKind.Pipeline,
            Findings = [],
            PolicyHash = "p",
        },
    };
}
