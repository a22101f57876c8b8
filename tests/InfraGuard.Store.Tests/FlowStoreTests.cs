using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Store.Tests;

/// <summary>
/// The approval flow over time against both backends: follow-ups recorded once however many stores race, escalation
/// and delegation through the desk (FakeTimeProvider for expiry), break-glass and its retrospective review.
/// </summary>
public sealed class FlowStoreTests : IDisposable
{
    private const string Pack = """
        apiVersion: infraguard/v1
        tiers:
          production:
            stacks: [prod]
            review-at: 40
            approvals: { count: 1, from: ["group:sre-leads"], expires-after: 4h }
            remind-after: 1h
            escalate-after: 2h
            escalate-to: group:platform
            break-glass: { group: "group:sre-leads", review-within: 24h }
          dev:
            default: true
            review-at: 200
        rules: []
        identities:
          groups:
            sre-leads: {}
            platform: {}
          people:
            - { id: alice, emails: [alice@example.com], groups: [sre-leads] }
            - { id: bob, emails: [bob@example.com], groups: [sre-leads] }
            - { id: carol, emails: [carol@example.com], groups: [platform] }
            - { id: erin, emails: [erin@example.com] }
            - { id: dana, emails: [dana@example.com] }
        """;

    private static readonly IdentityMap Identities = PolicyPackLoader.Load(Pack, "flow.yaml").Identities;

    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public static TheoryData<string> Backends => TestStore.Backends;

    public void Dispose() => _signer.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ClaimFollowUp_TwoReplicasRacing_RecordsAndAuditsOnce(string backend)
    {
        using var db = TestStore.Create(backend);
        using var a = db.Open(_signer);
        using var b = db.Open(_signer);
        var request = (await a.CreateAsync(Some.Request())).Request;
        var due = new FollowUp(request.Id, FollowUpKind.Reminder, 1, request.CreatedAt.AddHours(1), []);

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
            (i % 2 == 0 ? a : b).ClaimFollowUpAsync(due, FollowUpPlanner.AuditEvent(due, request, db.Time.GetUtcNow())))));
        var next = await b.ClaimFollowUpAsync(due with { Level = 2 }, FollowUpPlanner.AuditEvent(due with { Level = 2 }, request, db.Time.GetUtcNow()));

        Assert.Equal(1, claims.Count(c => c));
        Assert.True(next, "the next level is a new follow-up");
        var reminded = await a.ListEntriesAsync(new AuditQuery(Kind: FlowAuditEvents.RequestReminded));
        Assert.Equal(2, reminded.Count);
        Assert.Equal([("reminder", 1), ("reminder", 2)], await a.ListFollowUpsAsync(request.Id));
        Assert.True((await a.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)])).IsValid);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Escalation_RecordedForRequest_SecondGroupBecomesEligible(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var request = (await store.CreateAsync(Some.Request())).Request;

        var before = await desk.DecideAsync(Attempt(request.Id, "carol@example.com"));
        db.Time.Advance(TimeSpan.FromHours(2));
        var escalation = Assert.Single(FollowUpPlanner.Due(request, PolicyPackLoader.Load(Pack, "flow.yaml").FindTier("production"), db.Time.GetUtcNow()), f => f.Kind == FollowUpKind.Escalation);
        Assert.True(await store.ClaimFollowUpAsync(escalation, FollowUpPlanner.AuditEvent(escalation, request, db.Time.GetUtcNow())));
        var after = await desk.DecideAsync(Attempt(request.Id, "carol@example.com"));

        Assert.Equal("ineligible-approver", (before.Error as DecisionRefused)?.Rule);
        Assert.True(after.Recorded, after.Refusal);
        Assert.Equal(RequestState.Approved, after.Request!.State);
        Assert.Equal(["group:platform"], await store.EscalatedToAsync(request.Id));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delegation_WithinWindowThenExpired_CountsOnlyWhileActive(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var now = db.Time.GetUtcNow();
        await store.GrantDelegationAsync(Delegation("alice", "erin", now, now.AddHours(8)));
        var first = (await store.CreateAsync(Some.Request("run-1", "aa"))).Request;
        var during = await desk.DecideAsync(Attempt(first.Id, "erin@example.com"));

        db.Time.Advance(TimeSpan.FromHours(9));
        var second = (await store.CreateAsync(Some.Request("run-2", "bb"))).Request;
        var afterExpiry = await desk.DecideAsync(Attempt(second.Id, "erin@example.com"));

        Assert.True(during.Recorded, during.Refusal);
        Assert.Equal(RequestState.Approved, during.Request!.State);
        Assert.Equal("ineligible-approver", (afterExpiry.Error as DecisionRefused)?.Rule);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delegation_Revoked_NoLongerCounts(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var now = db.Time.GetUtcNow();
        var granted = await store.GrantDelegationAsync(Delegation("alice", "erin", now, now.AddDays(1)));
        var revoked = await store.RevokeDelegationAsync(granted.Id, new PersonRef("alice", "email:alice@example.com"));
        var again = await store.RevokeDelegationAsync(granted.Id, new PersonRef("alice", "email:alice@example.com"));
        var request = (await store.CreateAsync(Some.Request())).Request;

        var outcome = await desk.DecideAsync(Attempt(request.Id, "erin@example.com"));

        Assert.NotNull(revoked?.RevokedAt);
        Assert.Null(again);
        Assert.Equal("ineligible-approver", (outcome.Error as DecisionRefused)?.Rule);
        var kinds = (await store.ListEntriesAsync(new AuditQuery())).Select(e => e.Kind).ToList();
        Assert.Contains(FlowAuditEvents.DelegationGranted, kinds);
        Assert.Contains(FlowAuditEvents.DelegationRevoked, kinds);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delegation_DelegateAuthoredTheChange_RefusedAsCommitAuthor(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var now = db.Time.GetUtcNow();
        await store.GrantDelegationAsync(Delegation("alice", "dana", now, now.AddDays(1)));
        var request = (await store.CreateAsync(Some.Request() with { CommitAuthors = ["dana"], OnBehalfOf = null })).Request;

        var outcome = await desk.DecideAsync(Attempt(request.Id, "dana@example.com"));

        Assert.Equal("commit-author", (outcome.Error as DecisionRefused)?.Rule);
        Assert.Equal(RequestState.Pending, (await store.GetAsync(request.Id))!.State);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Delegation_DelegatorNotIndependent_DelegateRefused(string backend)
    {
        // Attack: alice authored the change and delegates to erin so that her change gets through.
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var now = db.Time.GetUtcNow();
        await store.GrantDelegationAsync(Delegation("alice", "erin", now, now.AddDays(1)));
        var request = (await store.CreateAsync(Some.Request() with { CommitAuthors = ["alice"], OnBehalfOf = null })).Request;

        var outcome = await desk.DecideAsync(Attempt(request.Id, "erin@example.com"));

        Assert.Equal("delegator-not-independent", (outcome.Error as DecisionRefused)?.Rule);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task BreakGlass_PendingRequest_ApprovedOnTheSignedRecordAndReviewOpened(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var request = (await store.CreateAsync(Some.Request())).Request;
        var now = db.Time.GetUtcNow();

        var outcome = await store.BreakGlassAsync(Use(request.Id, now));
        var again = await store.BreakGlassAsync(Use(request.Id, now));

        Assert.True(outcome.Succeeded);
        Assert.Equal(RequestState.Approved, outcome.Request!.State);
        Assert.IsType<IllegalTransition>(again.Error);
        var entries = await store.ListEntriesAsync(new AuditQuery(Request: request.Id));
        Assert.Null(ApprovalRecord.Problem(outcome.Request, entries, await store.ListKeysAsync()));
        var open = Assert.Single(await store.ListOpenReviewsAsync());
        Assert.Equal(now.AddHours(24), open.Use.ReviewDueAt);
        Assert.False(open.OverdueAt(now.AddHours(23)));
        Assert.True(open.OverdueAt(now.AddHours(24)));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task BreakGlassReview_ByTheBreakerThenAnIndependentReviewer_OnlyTheIndependentCounts(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var desk = new ApprovalDesk(store, db.Time, null, store, Identities);
        var request = (await store.CreateAsync(Some.Request())).Request;
        await store.BreakGlassAsync(Use(request.Id, db.Time.GetUtcNow()));

        var byBreaker = await desk.ReviewAsync(Attempt(request.Id, "alice@example.com"));
        var byIneligible = await desk.ReviewAsync(Attempt(request.Id, "erin@example.com"));
        var byBob = await desk.ReviewAsync(Attempt(request.Id, "bob@example.com"));
        var bobAgain = await desk.ReviewAsync(Attempt(request.Id, "bob@example.com"));
        var notBreakGlass = await desk.ReviewAsync(Attempt((await store.CreateAsync(Some.Request("run-9", "cc"))).Request.Id, "bob@example.com"));

        Assert.Equal("break-glass-actor", (byBreaker.Error as DecisionRefused)?.Rule);
        Assert.Equal("ineligible-approver", (byIneligible.Error as DecisionRefused)?.Rule);
        Assert.True(byBob.Recorded, byBob.Refusal);
        Assert.Equal("already-decided", (bobAgain.Error as DecisionRefused)?.Rule);
        Assert.Equal("not-break-glass", (notBreakGlass.Error as DecisionRefused)?.Rule);
        Assert.Empty(await store.ListOpenReviewsAsync());
        Assert.Single(await store.ListEntriesAsync(new AuditQuery(Kind: FlowAuditEvents.BreakGlassReviewed)));
    }

    private static DecisionAttempt Attempt(string id, string identity) =>
        new(id, ApprovalDesk.ApproverFor(Identities, "email:" + identity), DecisionChannel.Cli, Verdict.Approve, "checked the plan and the rollback");

    private static Delegation Delegation(string from, string to, DateTimeOffset start, DateTimeOffset until) =>
        new("dl_" + Guid.NewGuid().ToString("N")[..12], new PersonRef(from, $"email:{from}@example.com"), new PersonRef(to, $"email:{to}@example.com"), start, until, "on leave", new PersonRef(from, $"email:{from}@example.com"), start);

    private static BreakGlassUse Use(string id, DateTimeOffset now) =>
        new(id, new PersonRef("alice", "email:alice@example.com"), "INC-42", "database on fire, failing over", "production", now, now.AddHours(24), 1);
}
