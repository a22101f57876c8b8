using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Store.Tests;

/// <summary>The store contract, run against SQLite and a real PostgreSQL server.</summary>
public sealed class ChangeStoreContractTests : IDisposable
{
    private readonly Ed25519AuditSigner _signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);

    public static TheoryData<string> Backends => TestStore.Backends;

    public void Dispose() => _signer.Dispose();

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_NewRequest_StoresEveryFieldArtifactAndAuditEntry(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var result = await store.CreateAsync(Some.Request());
        var read = await store.GetAsync(result.Request.Id);
        var plan = await store.GetArtifactAsync(result.Request.Id, ArtifactKind.SavedPlan);
        var output = await store.GetArtifactAsync(result.Request.Id, ArtifactKind.EngineOutput);
        var entries = await store.ListEntriesAsync(new AuditQuery(Request: result.Request.Id));

        Assert.True(result.Created);
        Assert.True(RequestId.IsValid(result.Request.Id));
        Assert.NotNull(read);
        Assert.Equivalent(result.Request, read, strict: true);
        Assert.Equal(RequestState.Pending, read.State);
        Assert.Equal(db.Time.GetUtcNow() + TimeSpan.FromHours(4), read.ExpiresAt);
        Assert.Equal("db.t4g.medium", read.Assessment.Findings[0].After);
        Assert.Equal(["dana@example.com"], read.CommitAuthors);
        Assert.Equal("{\"plan\":\"saved\"}"u8.ToArray(), plan!.Content);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(plan.Content)), plan.Sha256);
        Assert.Equal(10_000, output!.Content.Length);
        var entry = Assert.Single(entries);
        Assert.Equal(AuditEventTypes.PlanSubmitted, entry.Kind);
        Assert.Contains("\"plan_hash\":\"ab12", System.Text.Encoding.UTF8.GetString(entry.Payload), StringComparison.Ordinal);
        Assert.DoesNotContain("db.t4g.medium", System.Text.Encoding.UTF8.GetString(entry.Payload), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_SameStackPlanAndRun_FindsTheExistingRequest(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var first = await store.CreateAsync(Some.Request());
        var again = await store.CreateAsync(Some.Request());
        var otherRun = await store.CreateAsync(Some.Request(runId: "run-2"));

        Assert.False(again.Created);
        Assert.Equal(first.Request.Id, again.Request.Id);
        Assert.True(otherRun.Created);
        Assert.NotEqual(first.Request.Id, otherRun.Request.Id);
        Assert.Equal(2, (await store.GetHeadAsync()).Size);
        Assert.Equal(2, (await store.ListAsync(new RequestQuery(Stack: "prod"))).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_AllowedAndStarted_ApprovedByPolicyAndApplyingInOneTransaction(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var result = await store.CreateAsync(Some.Request() with { AllowedBecause = "allowed by policy: score 0", StartedBy = Some.Runner });
        var entries = await store.ListEntriesAsync(new AuditQuery(Request: result.Request.Id));

        Assert.True(result.Created);
        Assert.True(result.Started);
        Assert.Equal(RequestState.Applying, result.Request.State);
        Assert.Equivalent(result.Request, await store.GetAsync(result.Request.Id), strict: true);
        Assert.Equal([AuditEventTypes.PlanSubmitted, AuditEventTypes.RequestStateChanged, AuditEventTypes.DeployStarted], entries.Select(e => e.Kind));
        var approved = System.Text.Encoding.UTF8.GetString(entries[1].Payload);
        Assert.Contains("\"to_state\":\"approved\"", approved, StringComparison.Ordinal);
        Assert.Contains("allowed by policy: score 0", approved, StringComparison.Ordinal);
        Assert.Contains("\"person\":\"infraguard\"", approved, StringComparison.Ordinal);
        Assert.Contains("\"person\":\"ci\"", System.Text.Encoding.UTF8.GetString(entries[2].Payload), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_AllowedButFoundAlreadyStartedByItsRun_NotStartedAgain(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var allowed = Some.Request() with { AllowedBecause = "allowed by policy: score 0", StartedBy = Some.Runner };

        var first = await store.CreateAsync(allowed);
        var rerun = await store.CreateAsync(allowed);

        // The same CI run asks again (a re-run job): it finds its request, applying, and is not told to run it again.
        Assert.False(rerun.Created);
        Assert.False(rerun.Started);
        Assert.Equal(first.Request.Id, rerun.Request.Id);
        Assert.Equal(3, (await store.GetHeadAsync()).Size);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_AllowedNowPendingBefore_FoundRequestApprovedByPolicyNotStarted(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var first = await store.CreateAsync(Some.Request());
        var allowed = await store.CreateAsync(Some.Request() with { AllowedBecause = "allowed by policy: score 0", StartedBy = Some.Runner });

        Assert.False(allowed.Created);
        Assert.False(allowed.Started);
        Assert.Equal(first.Request.Id, allowed.Request.Id);
        Assert.Equal(RequestState.Approved, (await store.GetAsync(first.Request.Id))!.State);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Create_NoCiRunSamePlan_FindsOpenRequestButNotAClosedOne(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var local = Some.Request() with { CiRunId = null, CiRunUrl = null };

        var first = await store.CreateAsync(local);
        var again = await store.CreateAsync(local);
        await store.DecideAsync(first.Request.Id, Some.Reject("kim"), DecisionRules.Quorum);
        var afterRejection = await store.CreateAsync(local);

        Assert.False(again.Created);
        Assert.Equal(first.Request.Id, again.Request.Id);
        Assert.True(afterRejection.Created);
        Assert.NotEqual(first.Request.Id, afterRejection.Request.Id);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Decide_ApproveThenApply_WalksTheStateMachineWithAuditAndCheckpoints(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var id = (await store.CreateAsync(Some.Request())).Request.Id;

        var approved = await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        var applying = await store.TransitionAsync(id, RequestState.Applying, Some.Runner, "apply approved plan");
        var applied = await store.CompleteApplyAsync(id, new ApplyOutcome(true, 0, new Dictionary<ChangeOp, int> { [ChangeOp.Update] = 1 }, ""));
        var kinds = (await store.ListEntriesAsync(new AuditQuery(Request: id))).Select(e => e.Kind);
        var decisions = await store.GetDecisionsAsync(id);
        var verification = await store.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.Equal(RequestState.Approved, approved.Request!.State);
        Assert.Equal(RequestState.Applying, applying.Request!.State);
        Assert.Equal(RequestState.Applied, applied.Request!.State);
        Assert.Equal(RequestState.Applied, (await store.GetAsync(id))!.State);
        Assert.Equal([AuditEventTypes.PlanSubmitted, AuditEventTypes.ApprovalGranted, AuditEventTypes.DeployStarted, AuditEventTypes.DeployCompleted], kinds);
        var decision = Assert.Single(decisions);
        Assert.Equal(new PersonRef("erin", "slack:UERIN"), decision.Approver);
        Assert.Equal(DecisionChannel.Of("Slack"), decision.Channel);
        Assert.Equal(1, (await store.GetApplyOutcomeAsync(id))!.Counts[ChangeOp.Update]);
        Assert.Equal(2, (await store.ListCheckpointsAsync()).Count);
        Assert.True(verification.IsValid, verification.RenderText(store.Description));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Transition_Illegal_IsRefusedWithClearErrorAndWritesNothing(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var id = (await store.CreateAsync(Some.Request())).Request.Id;
        await store.DecideAsync(id, Some.Reject("erin"), DecisionRules.Quorum);
        var head = await store.GetHeadAsync();

        var apply = await store.TransitionAsync(id, RequestState.Applying, Some.Runner, "try anyway");
        var approve = await store.DecideAsync(id, Some.Approve("frank"), DecisionRules.Quorum);
        var missing = await store.TransitionAsync("cr_000000000000", RequestState.Cancelled, Some.Runner, "x");

        var illegal = Assert.IsType<IllegalTransition>(apply.Error);
        Assert.Equal("Change request " + id + " is rejected; it cannot become applying. It is final; start a new run to make a new request.", illegal.Message);
        Assert.IsType<IllegalTransition>(approve.Error);
        Assert.IsType<RequestNotFound>(missing.Error);
        Assert.Equal(head, await store.GetHeadAsync());
        Assert.Equal(RequestState.Rejected, (await store.GetAsync(id))!.State);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Decide_SamePersonTwiceOrRefusedByRule_IsRefused(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var id = (await store.CreateAsync(Some.Request(approvals: 2))).Request.Id;

        var first = await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        var twice = await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        var refused = await store.DecideAsync(id, Some.Approve("dana"), (_, _, _) => DecisionRuling.Refuse("dana authored a commit in this change"));
        var second = await store.DecideAsync(id, Some.Approve("frank"), DecisionRules.Quorum);

        Assert.Equal(RequestState.Pending, first.Request!.State);
        Assert.IsType<AlreadyDecided>(twice.Error);
        Assert.Equal("Decision on " + id + " refused: dana authored a commit in this change", refused.Error!.Message);
        Assert.Equal(RequestState.Approved, second.Request!.State);
        Assert.Equal(["erin", "frank"], (await store.GetDecisionsAsync(id)).Select(d => d.Approver.PersonId));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Decide_TwoConcurrentDecisionsFromSeparateStores_ExactlyOneTransition(string backend)
    {
        using var db = TestStore.Create(backend);
        using var setup = db.Open(_signer);
        var id = (await setup.CreateAsync(Some.Request())).Request.Id;
        using var storeA = db.Open(_signer);
        using var storeB = db.Open(_signer);

        var results = await Task.WhenAll(
            Task.Run(() => storeA.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum)),
            Task.Run(() => storeB.DecideAsync(id, Some.Reject("frank"), DecisionRules.Quorum)));

        Assert.Single(results, r => r.Succeeded);
        Assert.IsType<IllegalTransition>(Assert.Single(results, r => !r.Succeeded).Error);
        Assert.Single(await setup.GetDecisionsAsync(id));
        Assert.Equal(2, (await setup.GetHeadAsync()).Size);
        Assert.Contains((await setup.GetAsync(id))!.State, new[] { RequestState.Approved, RequestState.Rejected });
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Decide_AuditAppendFails_OperationFailsAndNothingChanges(string backend)
    {
        using var db = TestStore.Create(backend);
        var failing = new FailingSigner(_signer);
        using var store = db.Open(failing);
        var id = (await store.CreateAsync(Some.Request())).Request.Id;
        failing.Fail = true;

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum));

        Assert.Equal(RequestState.Pending, (await store.GetAsync(id))!.State);
        Assert.Empty(await store.GetDecisionsAsync(id));
        Assert.Equal(1, (await store.GetHeadAsync()).Size);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task RotateKey_ThenAppend_VerifiesFromTheOriginalKeyAlone(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        using var next = Ed25519AuditSigner.FromSeed(TestChain.ForeignSeed);
        await store.CreateAsync(Some.Request());

        var rotation = await store.RotateKeyAsync(next, new PersonRef("alice", "alice@example.com"), "yearly rotation");
        var after = await store.CreateAsync(Some.Request(runId: "run-2"));
        var entries = await store.ListEntriesAsync(new AuditQuery());
        var verification = await store.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.Equal(_signer.KeyId, rotation.KeyId);
        Assert.Equal(next.KeyId, entries[^1].KeyId);
        Assert.Equal(next.KeyId, store.KeyId);
        Assert.Equal(new[] { _signer.KeyId, next.KeyId }.Order(StringComparer.Ordinal), (await store.ListKeysAsync()).Select(k => k.KeyId).Order(StringComparer.Ordinal));
        Assert.True(verification.IsValid, verification.RenderText(store.Description));
        Assert.True(after.Created);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Heartbeat_DailyMaxAge_WritesOnlyWhenTheNewestCheckpointIsOld(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        var first = await store.HeartbeatAsync(TimeSpan.FromDays(1));
        db.Time.Advance(TimeSpan.FromHours(23));
        var tooSoon = await store.HeartbeatAsync(TimeSpan.FromDays(1));
        db.Time.Advance(TimeSpan.FromHours(2));
        var nextDay = await store.HeartbeatAsync(TimeSpan.FromDays(1));

        Assert.NotNull(first);
        Assert.Null(tooSoon);
        Assert.NotNull(nextDay);
        Assert.Equal(0, CheckpointBody.TryParse(nextDay.Body)!.Size);
        Assert.Equal(2, (await store.ListCheckpointsAsync()).Count);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Append_EveryNthEntry_WritesASignedCheckpoint(string backend)
    {
        // Security review U1: checkpoints followed only decisions and applies, so any number of entries after the last
        // one could be removed unnoticed.
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer, checkpointEvery: 3);

        for (var i = 1; i <= 7; i++)
        {
            await store.AppendAsync(TestChain.Event(i, db.Time.GetUtcNow()));
        }

        var verification = await store.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.Equal([3L, 6L], (await store.ListCheckpointsAsync()).Select(c => CheckpointBody.TryParse(c.Body)!.Size));
        Assert.True(verification.IsValid, verification.RenderText(store.Description));
        Assert.Equal(new AuditTail(1, 6, db.Time.GetUtcNow(), TimeSpan.Zero), verification.Tail);
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Append_NewestCheckpointOlderThanAMinute_WritesASignedCheckpoint(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);

        await store.AppendAsync(TestChain.Event(1, db.Time.GetUtcNow()));
        db.Time.Advance(TimeSpan.FromSeconds(30));
        await store.AppendAsync(TestChain.Event(2, db.Time.GetUtcNow()));
        db.Time.Advance(TimeSpan.FromSeconds(30));
        await store.AppendAsync(TestChain.Event(3, db.Time.GetUtcNow())); // the first entry is a minute old: a checkpoint
        await store.AppendAsync(TestChain.Event(4, db.Time.GetUtcNow()));
        db.Time.Advance(TimeSpan.FromSeconds(59));
        await store.AppendAsync(TestChain.Event(5, db.Time.GetUtcNow()));
        db.Time.Advance(TimeSpan.FromSeconds(1));
        await store.AppendAsync(TestChain.Event(6, db.Time.GetUtcNow()));
        db.Time.Advance(TimeSpan.FromSeconds(90));

        var verification = await store.VerifyAsync([AuditPublicKey.FromRaw(_signer.PublicKey.Span)]);

        Assert.Equal([3L, 6L], (await store.ListCheckpointsAsync()).Select(c => CheckpointBody.TryParse(c.Body)!.Size));
        Assert.Equal((0L, 6L, TimeSpan.FromSeconds(90)), (verification.Tail!.Entries, verification.Tail.CheckpointSize!.Value, verification.Tail.CheckpointAge!.Value));
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task AuditTables_UpdateDeleteThroughTheStore_AreRefusedByTheDatabase(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        await store.CreateAsync(Some.Request());
        await using var c = await store.OpenConnectionAsync();

        var update = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("UPDATE audit_entry SET kind = 'x'"));
        var delete = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("DELETE FROM audit_entry"));

        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        if (backend == "postgres")
        {
            var truncate = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c.ExecuteAsync("TRUNCATE audit_entry"));
            Assert.Contains("append-only", truncate.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("UPDATE audit_entry SET kind = 'x'")]
    [InlineData("DELETE FROM audit_entry")]
    [InlineData("TRUNCATE audit_entry")]
    [InlineData("UPDATE audit_checkpoint SET key_id = 'x'")]
    [InlineData("ALTER TABLE audit_entry DISABLE TRIGGER USER")]
    public async Task AuditTables_AppRoleOnPostgres_HasNoRightToChangeThem(string sql)
    {
        using var db = TestStore.Create("postgres");
        if (db.AppSpec is null || TestStore.AppRole is null)
        {
            Assert.Skip("INFRAGUARD_TEST_PG_APP / INFRAGUARD_TEST_PG_APP_ROLE are not set (eng/postgres.sh prints them).");
        }

        using (var owner = db.Open(_signer))
        {
            await owner.CreateAsync(Some.Request());
        }

        using var app = ChangeStore.Open(db.AppSpec, db.Time, _signer);
        var appended = await app.CreateAsync(Some.Request(runId: "run-app"));
        await using var c = await app.OpenConnectionAsync();

        var ex = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => c.ExecuteAsync(sql));

        Assert.True(appended.Created);
        Assert.Contains(ex.SqlState, new[] { "42501" /* insufficient_privilege */ });
    }

    [Theory]
    [MemberData(nameof(Backends))]
    public async Task Export_StoreBundle_VerifiesWithTheShippedScript(string backend)
    {
        using var db = TestStore.Create(backend);
        using var store = db.Open(_signer);
        var id = (await store.CreateAsync(Some.Request())).Request.Id;
        await store.DecideAsync(id, Some.Approve("erin"), DecisionRules.Quorum);
        var dir = Path.Combine(Path.GetTempPath(), "ig-store-export-" + Guid.NewGuid().ToString("N"));

        try
        {
            foreach (var file in await store.ExportAsync())
            {
                var path = Path.Combine(dir, file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, file.Content);
            }

            var (exit, output) = Shell.Run("/bin/bash", Path.Combine(dir, "verify.sh"));

            Assert.True(exit == 0, output);
            Assert.Contains("recomputed 2 entries", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class FailingSigner(IAuditSigner inner) : IAuditSigner
    {
        public bool Fail { get; set; }

        public string KeyId => inner.KeyId;

        public ReadOnlyMemory<byte> PublicKey => inner.PublicKey;

        public byte[] Sign(ReadOnlySpan<byte> message) => Fail ? throw new InvalidOperationException("signing key unavailable") : inner.Sign(message);
    }
}
