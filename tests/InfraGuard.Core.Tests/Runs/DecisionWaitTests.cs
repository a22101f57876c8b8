using InfraGuard.Testing;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Runs;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Core.Tests.Runs;

public class DecisionWaitTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 8, 2, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Wait_StoreThatWatches_ParksUntilTheNextHeartbeatNotEveryPoll()
    {
        var time = new FakeTimeProvider(Start);
        var store = new WatchingStore(time, Pending(expiresIn: TimeSpan.FromHours(4)), approveAfterWatches: 3);

        var (outcome, request) = await new DecisionWait(null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20), "nothing was run")
            .WaitAsync(store, new SilentNotifier(), time, store.Request, TestContext.Current.CancellationToken);

        Assert.Null(outcome);
        Assert.Equal(RequestState.Approved, request.State);
        Assert.Equal([TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)], store.Watches);
    }

    [Fact]
    public async Task Wait_StoreThatWatches_NeverParksPastExpiryTheWaitOrTheLongestWatch()
    {
        var time = new FakeTimeProvider(Start);
        var expiring = new WatchingStore(time, Pending(expiresIn: TimeSpan.FromSeconds(7)), approveAfterWatches: 1);
        var bounded = new WatchingStore(time, Pending(expiresIn: TimeSpan.FromHours(4)), approveAfterWatches: 1);
        var quiet = new WatchingStore(time, Pending(expiresIn: TimeSpan.FromHours(4)), approveAfterWatches: 1);

        await new DecisionWait(null, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), "x").WaitAsync(expiring, new SilentNotifier(), time, expiring.Request, TestContext.Current.CancellationToken);
        await new DecisionWait(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), "x").WaitAsync(bounded, new SilentNotifier(), time, bounded.Request, TestContext.Current.CancellationToken);
        await new DecisionWait(null, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), "x").WaitAsync(quiet, new SilentNotifier(), time, quiet.Request, TestContext.Current.CancellationToken);

        Assert.Equal([TimeSpan.FromSeconds(7)], expiring.Watches);
        Assert.Equal([TimeSpan.FromSeconds(12)], bounded.Watches);
        Assert.Equal([DecisionWait.LongestWatch], quiet.Watches);
    }

    [Fact]
    public async Task Wait_WaitLimitReachedWhileWatching_ExpiredOutcomeRequestStaysPending()
    {
        var time = new FakeTimeProvider(Start);
        var store = new WatchingStore(time, Pending(expiresIn: TimeSpan.FromHours(4)), approveAfterWatches: int.MaxValue);

        var (outcome, request) = await new DecisionWait(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), "nothing was run")
            .WaitAsync(store, new SilentNotifier(), time, store.Request, TestContext.Current.CancellationToken);

        Assert.Equal(RunOutcome.Expired, outcome!.Outcome);
        Assert.Equal(RequestState.Pending, request.State);
        Assert.Equal([DecisionWait.LongestWatch, TimeSpan.FromSeconds(15)], store.Watches);
    }

    private static ChangeRequest Pending(TimeSpan expiresIn)
    {
        var assessment = new Assessment { Tier = "production", Decision = Decision.Review, Score = 50, ReviewAt = 40, BlockAt = 500, Findings = [], ActorKind = ActorKind.Pipeline };
        return new ChangeRequest
        {
            Id = "cr_aaaaaaaaaaaa",
            Stack = "prod",
            Project = "shop",
            Tier = "production",
            Requester = new PersonRef("dana", "github:dana"),
            ActorKind = ActorKind.Pipeline,
            CommitAuthors = [],
            PlanHash = new string('a', 64),
            StateFingerprint = new string('b', 64),
            PolicyPackHash = new string('c', 64),
            Score = 50,
            Decision = Decision.Review,
            RequiredApprovals = new ApprovalRequirement(1, [], TimeSpan.FromHours(4)),
            CreatedAt = Start,
            ExpiresAt = Start + expiresIn,
            State = RequestState.Pending,
            StateChangedAt = Start,
            Assessment = assessment,
        };
    }

    /// <summary>A store whose watch records how long it was asked to park, lets that time pass, and approves after N watches.</summary>
    private sealed class WatchingStore(FakeTimeProvider time, ChangeRequest request, int approveAfterWatches) : IChangeStore, IRequestWatch
    {
        public ChangeRequest Request { get; private set; } = request;

        public List<TimeSpan> Watches { get; } = [];

        public Task WaitForChangeAsync(ChangeRequest request, TimeSpan longest, CancellationToken cancellationToken)
        {
            Watches.Add(longest);
            time.Advance(longest);
            if (Watches.Count >= approveAfterWatches)
            {
                Request = Request with { State = RequestState.Approved };
            }

            return Task.CompletedTask;
        }

        public Task<ChangeRequest?> GetAsync(string id, CancellationToken cancellationToken = default) => Task.FromResult<ChangeRequest?>(Request);

        public Task<IReadOnlyList<RequestDecision>> GetDecisionsAsync(string id, CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<RequestDecision>>([]);

        public Task<RequestOutcome> TransitionAsync(string id, RequestState to, PersonRef actor, string reason, CancellationToken cancellationToken = default)
        {
            Request = Request with { State = to };
            return Task.FromResult(RequestOutcome.Ok(Request));
        }

        public Task<CreateRequestResult> CreateAsync(NewChangeRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<PlanArtifact?> GetArtifactAsync(string id, ArtifactKind kind, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<ApplyOutcome?> GetApplyOutcomeAsync(string id, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<RequestOutcome> DecideAsync(string id, DecisionInput decision, DecisionRule rule, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<RequestOutcome> CompleteApplyAsync(string id, ApplyOutcome outcome, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
