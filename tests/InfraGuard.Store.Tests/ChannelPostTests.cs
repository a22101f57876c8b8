using Dapper;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Store.Tests;

/// <summary>The <c>channel_message</c> table: what each chat channel shows, and the outbox query that finds what it is behind on.</summary>
public sealed class ChannelPostTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public static TheoryData<string> Backends => TestStore.Backends;

    public void Dispose() => _signer.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ListBehind_EveryChangeToARequest_ListedUntilTheChannelShowsIt(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var id = (await store.CreateAsync(Some.Request(approvals: 2))).Request.Id;
        var address = new ChannelAddress("C0PROD", "1700000000.000100");

        Assert.Equal([id], await store.ListBehindAsync("Slack"));
        await store.SavePostAsync(new ChannelPost("Slack", id, address, RequestState.Pending, 0, false));
        Assert.Empty(await store.ListBehindAsync("Slack"));
        Assert.Equal([id], await store.ListBehindAsync("Teams")); // Each channel keeps its own record.

        await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        Assert.Equal([id], await store.ListBehindAsync("Slack")); // Still pending, but one more decision to show.
        await store.SavePostAsync(new ChannelPost("Slack", id, address, RequestState.Pending, 1, false));
        Assert.Empty(await store.ListBehindAsync("Slack"));

        await store.DecideAsync(id, Some.Approve("frank"), DecisionRules.Quorum);
        await store.SavePostAsync(new ChannelPost("Slack", id, address, RequestState.Approved, 2, false));
        await store.TransitionAsync(id, RequestState.Applying, Some.Runner, "apply approved plan");
        Assert.Equal([id], await store.ListBehindAsync("Slack"));
        await store.SavePostAsync(new ChannelPost("Slack", id, address, RequestState.Applying, 2, false));
        await store.CompleteApplyAsync(id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Update] = 1 }, ""));
        Assert.Equal([id], await store.ListBehindAsync("Slack"));
        await store.SavePostAsync(new ChannelPost("Slack", id, address, RequestState.Applied, 2, true));

        Assert.Empty(await store.ListBehindAsync("Slack"));
        Assert.Equal(new ChannelPost("Slack", id, address, RequestState.Applied, 2, true), await store.GetPostAsync("Slack", id));
        Assert.Null(await store.GetPostAsync("Teams", id));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Migration5_SlackMessagesOfVersion4_CarriedOverAsSlackPosts(string backend)
    {
        using var db = TestStore.Create(backend);
        string id;
        using (var store = db.Open(_signer))
        {
            id = (await store.CreateAsync(Some.Request(approvals: 2))).Request.Id;
            await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);

            // Back to schema v4 as an older server left it: a slack_message row, no channel_message table (v5), no kinds (v6),
            // no seen keys (v7), no approval-flow tables (v8), no request lookup index (v9).
            await using var c = await store.OpenConnectionAsync();
            await c.ExecuteAsync(
                """
                DROP INDEX change_request_stack_plan;
                DROP TABLE break_glass_review;
                DROP TABLE break_glass;
                DROP TABLE delegation;
                DROP TABLE follow_up;
                DROP TABLE seen_key;
                DROP TABLE channel_message;
                CREATE TABLE slack_message (
                  request_id TEXT PRIMARY KEY REFERENCES change_request (id), channel TEXT NOT NULL, ts TEXT NOT NULL,
                  posted_state TEXT NOT NULL, outcome_posted INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
                ALTER TABLE change_request DROP COLUMN kind;
                ALTER TABLE change_request DROP COLUMN action;
                DELETE FROM schema_version WHERE version >= 5;
                """);
            await c.ExecuteAsync(
                "INSERT INTO slack_message (request_id, channel, ts, posted_state, outcome_posted, updated_at) VALUES (@id, 'C0PROD', '1700000000.000100', 'Pending', 0, '2026-11-25T02:00:00Z')",
                new { id });
        }

        using var migrated = db.Open(_signer);

        Assert.Equal(
            new ChannelPost("Slack", id, new ChannelAddress("C0PROD", "1700000000.000100"), RequestState.Pending, 1, false),
            await migrated.GetPostAsync("Slack", id));
        Assert.Empty(await migrated.ListBehindAsync("Slack"));
        await using var check = await migrated.OpenConnectionAsync();
        Assert.Equal(0L, await check.ExecuteScalarAsync<long>(backend == "sqlite"
            ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'slack_message'"
            : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'slack_message' AND table_schema = current_schema()"));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ChannelSync_RequestLifecycle_AnnouncedOnceUpdatedOnEachChangeOutcomeOnce(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var channel = new RecordingChannel();
        var sync = new ChannelSync(store, store);
        var id = (await store.CreateAsync(Some.Request(approvals: 2))).Request.Id;

        await sync.SyncAsync(channel, id);
        await sync.SyncAsync(channel, id);
        await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        await sync.SyncAsync(channel, id);
        await store.DecideAsync(id, Some.Approve("frank"), DecisionRules.Quorum);
        await sync.SyncAsync(channel, id);
        await sync.SyncAsync(channel, id);
        await store.TransitionAsync(id, RequestState.Applying, Some.Runner, "apply approved plan");
        await store.CompleteApplyAsync(id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Update] = 1 }, ""));
        await sync.SyncAsync(channel, id);
        await sync.SyncAsync(channel, id);

        Assert.Equal(
            ["announce Pending/0", "update Pending/1 (showed Pending)", "update Approved/2 (showed Pending)", "update Applied/2 (showed Approved)", "outcome Applied"],
            channel.Calls);
        Assert.Empty(await store.ListBehindAsync(channel.Name));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ChannelSync_NothingRoutedForTheRequest_NothingSavedAndStillBehind(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var channel = new RecordingChannel { Routed = false };
        var id = (await store.CreateAsync(Some.Request())).Request.Id;

        await new ChannelSync(store, store).SyncAsync(channel, id);

        Assert.Equal(["announce Pending/0"], channel.Calls);
        Assert.Null(await store.GetPostAsync(channel.Name, id));
        Assert.Equal([id], await store.ListBehindAsync(channel.Name));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task ChannelSync_DecidedBeforeEverPosted_NeverAnnounced(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var channel = new RecordingChannel();
        var id = (await store.CreateAsync(Some.Request())).Request.Id;
        await store.DecideAsync(id, Some.Reject("erin"), DecisionRules.Quorum);

        await new ChannelSync(store, store).SyncAsync(channel, id);

        Assert.Empty(channel.Calls);
        Assert.Empty(await store.ListBehindAsync(channel.Name));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Desk_RequesterApprovesOwnChange_RefusedAndNothingAnnounced(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var signal = new RecordingSignal();
        var desk = new ApprovalDesk(store, db.Time, signal);
        var request = (await store.CreateAsync(Some.Request())).Request;
        var identities = Core.Policy.IdentityMap.Empty;

        var own = await desk.DecideAsync(new DecisionAttempt(request.Id, ApprovalDesk.ApproverFor(identities, request.Requester.RawIdentity, ["sre-leads"]), DecisionChannel.Api, Verdict.Approve, "looks fine to me"));
        var other = await desk.DecideAsync(new DecisionAttempt(request.Id, ApprovalDesk.ApproverFor(identities, "github:erin", ["sre-leads"]), DecisionChannel.Api, Verdict.Approve, "checked the snapshot"));

        Assert.False(own.Recorded);
        Assert.EndsWith("Your decision was not recorded.", own.Refusal, StringComparison.Ordinal);
        Assert.True(other.Recorded, other.Refusal);
        Assert.Equal([request.Id], signal.Changed);
        Assert.Equal("github:erin", Assert.Single(await store.GetDecisionsAsync(request.Id)).Approver.RawIdentity);
    }

    private sealed class RecordingSignal : IRequestSignal
    {
        public List<string> Changed { get; } = [];

        void IRequestSignal.Changed(string requestId) => Changed.Add(requestId);
    }

    /// <summary>A channel that records what it was asked to show.</summary>
    private sealed class RecordingChannel : IApprovalChannel
    {
        public List<string> Calls { get; } = [];

        public bool Routed { get; init; } = true;

        public string Name => "Recording";

        public Task<ChannelAddress?> AnnounceAsync(RequestSnapshot snapshot, CancellationToken cancellationToken)
        {
            Calls.Add($"announce {snapshot.Request.State}/{snapshot.Decisions.Count}");
            return Task.FromResult(Routed ? new ChannelAddress("room", "m1") : null);
        }

        public Task UpdateAsync(ChannelAddress address, RequestSnapshot snapshot, RequestState shown, CancellationToken cancellationToken)
        {
            Calls.Add($"update {snapshot.Request.State}/{snapshot.Decisions.Count} (showed {shown})");
            return Task.CompletedTask;
        }

        public Task PostOutcomeAsync(ChannelAddress address, RequestSnapshot snapshot, CancellationToken cancellationToken)
        {
            Calls.Add($"outcome {snapshot.Request.State}");
            return Task.CompletedTask;
        }

        public Task NoticeAsync(ChannelAddress? address, RequestSnapshot snapshot, string text, CancellationToken cancellationToken)
        {
            Calls.Add($"notice {text}");
            return Task.CompletedTask;
        }

        public Task TellAsync(ChannelAddress? address, string user, string text, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
