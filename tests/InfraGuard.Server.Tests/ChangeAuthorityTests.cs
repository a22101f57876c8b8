using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;
using InfraGuard.Core.Runs;
using InfraGuard.Pulumi;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Server.Tests;

/// <summary>The authority's own rules over a real store: what a runner can and cannot make it believe.</summary>
public sealed class ChangeAuthorityTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ig-authority-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
    private readonly Ed25519AuditSigner _auditKey = Ed25519AuditSigner.Generate();
    private readonly Ed25519AuditSigner _tokenKey = Ed25519AuditSigner.Generate();
    private readonly ChangeStore _store;
    private readonly PolicyPack _pack;

    public ChangeAuthorityTests()
    {
        _store = ChangeStore.Open(Path.Combine(_root, "infraguard.db"), _time, _auditKey);
        _pack = PolicyPackLoader.Load(File.ReadAllText(Path.Combine(SampleRequests.PolicyWithoutAttestation(Path.Combine(_root, "pack")), "policy.yaml")), "policy.yaml");
    }

    public void Dispose()
    {
        _store.Dispose();
        _auditKey.Dispose();
        _tokenKey.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Submit_DeclaredWeakerTier_StackKeepsItsOwnTier()
    {
        var submission = await Authority().SubmitAsync(Evidence() with { DeclaredTier = "development" }, TestContext.Current.CancellationToken);

        Assert.Equal("production", submission.Assessment.Tier);
        Assert.Equal(Decision.Review, submission.Assessment.Decision);
    }

    [Fact]
    public async Task Submit_DeclaredStricterTier_Used()
    {
        var submission = await Authority().SubmitAsync(Evidence("synthetic-dev-scale-down", "dev") with { DeclaredTier = "production" }, TestContext.Current.CancellationToken);

        Assert.Equal("production", submission.Assessment.Tier);
    }

    [Theory]
    [InlineData(ActorKind.Human, ActorKind.Pipeline)]
    [InlineData(ActorKind.Pipeline, ActorKind.Pipeline)]
    [InlineData(ActorKind.Agent, ActorKind.Agent)]
    public async Task Submit_RunnerSaysWhatItIs_OnlyStricterKindsStick(ActorKind said, ActorKind recorded)
    {
        var submission = await Authority().SubmitAsync(Evidence() with { ActorKind = said }, TestContext.Current.CancellationToken);

        Assert.Equal(recorded, submission.Request!.ActorKind);
    }

    [Fact]
    public async Task Submit_AllowedChange_ApprovedByPolicyAndSignedRecordHolds()
    {
        var authority = Authority();
        var submission = await authority.SubmitAsync(Evidence("synthetic-dev-scale-down", "dev"), TestContext.Current.CancellationToken);

        Assert.Equal(Decision.Allow, submission.Assessment.Decision);
        Assert.Equal(RequestState.Approved, submission.Request!.State);
        Assert.Null(await authority.SignedApprovalProblemAsync(submission.Request, TestContext.Current.CancellationToken));
        Assert.Equal(RequestState.Applying, (await authority.BeginApplyAsync(submission.Request.Id, TestContext.Current.CancellationToken)).Request!.State);
    }

    [Fact]
    public async Task BeginApply_ApprovalSignedByAnotherKey_Refused()
    {
        var authority = Authority();
        var id = (await authority.SubmitAsync(Evidence(), TestContext.Current.CancellationToken)).Request!.Id;
        await _store.DecideAsync(id, new DecisionInput(new PersonRef("alice", "slack:U0EXAMPLEA"), DecisionChannel.Api, Verdict.Approve, "restored from snapshot"), DecisionRules.Quorum, TestContext.Current.CancellationToken);
        var request = (await _store.GetAsync(id, TestContext.Current.CancellationToken))!;
        var genuine = await _store.ListEntriesAsync(new AuditQuery(Request: id), TestContext.Current.CancellationToken);
        using var forger = Ed25519AuditSigner.Generate();
        var forged = genuine.Select(e => AuditChain.Next(new AuditHead(e.Seq - 1, e.PrevHash), e.Payload, forger)).ToList();

        Assert.Null(ApprovalRecord.Problem(request, genuine, await _store.ListKeysAsync(TestContext.Current.CancellationToken)));
        Assert.Contains("no signed decision", ApprovalRecord.Problem(request, forged, await _store.ListKeysAsync(TestContext.Current.CancellationToken)), StringComparison.Ordinal);
        Assert.Contains("no signed decision", ApprovalRecord.Problem(request with { PlanHash = new string('a', 64) }, genuine, await _store.ListKeysAsync(TestContext.Current.CancellationToken)), StringComparison.Ordinal);
        Assert.Contains("needs 2", ApprovalRecord.Problem(request with { RequiredApprovals = request.RequiredApprovals with { Count = 2 } }, genuine, await _store.ListKeysAsync(TestContext.Current.CancellationToken)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grants_TokenKeyNotAuditKey_BoundToRequestPlanAndPurpose()
    {
        var authority = Authority();
        var request = (await authority.SubmitAsync(Evidence("synthetic-dev-scale-down", "dev"), TestContext.Current.CancellationToken)).Request!;

        var grant = await authority.ApplyGrantAsync(request, TestContext.Current.CancellationToken);
        var token = grant.Environment[ApprovalToken.EnvironmentVariable];

        var verified = ApprovalToken.Verify(token, ApprovalKeyRing.FromPublicKeys([_tokenKey.PublicKey]), new("dev", request.PlanHash, ApprovalPurpose.Apply), _time.GetUtcNow());
        Assert.True(verified.IsValid, verified.Detail);
        Assert.Equal(request.Id, verified.Claims!.RequestId);
        Assert.Null(verified.Claims.BreakGlass);
        Assert.Equal(_time.GetUtcNow() + ChangeAuthority.GrantLifetime, grant.ExpiresAt);
        Assert.False(ApprovalToken.Verify(token, ApprovalKeyRing.FromPublicKeys([_auditKey.PublicKey]), new("dev", request.PlanHash, ApprovalPurpose.Apply), _time.GetUtcNow()).IsValid);
        var issued = Assert.Single(await _store.ListEntriesAsync(new AuditQuery(Kind: AuditEventTypes.GrantIssued), TestContext.Current.CancellationToken));
        var payload = JsonNode.Parse(issued.Payload)!;
        Assert.Equal(grant.TokenId, (string?)payload["token_id"]);
        Assert.DoesNotContain(token, System.Text.Encoding.UTF8.GetString(issued.Payload), StringComparison.Ordinal);
        await Assert.ThrowsAsync<GrantRefusedException>(() => Authority(submittedBy: "ci:someone-else").ApplyGrantAsync(request, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Grants_BreakGlassApply_TokenCarriesIncidentAndPerson_RefusedWhereTheTierHasNoBreakGlass()
    {
        var authority = new ChangeAuthority(_pack, _store, _store, [new PulumiEvidence()], _time, _tokenKey, new Submitter("github:alice-example", "ci:deploy", Attested: false), _store);
        var request = (await authority.SubmitAsync(Evidence() with { BreakGlass = new BreakGlassAsk("INC-42", "orders database is down, failing over") }, TestContext.Current.CancellationToken)).Request!;
        Assert.Equal(RequestState.Approved, request.State);

        var token = (await authority.ApplyGrantAsync(request, TestContext.Current.CancellationToken)).Environment[ApprovalToken.EnvironmentVariable];

        var keys = ApprovalKeyRing.FromPublicKeys([_tokenKey.PublicKey]);
        var allowed = ApprovalToken.Verify(token, keys, new("prod", request.PlanHash, ApprovalPurpose.Apply, BreakGlassAllowed: true), _time.GetUtcNow());
        Assert.True(allowed.IsValid, allowed.Detail);
        Assert.Equal(new BreakGlassClaim("INC-42", request.Requester.PersonId), allowed.Claims!.BreakGlass);
        Assert.Equal(ApprovalTokenStatus.BreakGlassNotAllowed, ApprovalToken.Verify(token, keys, new("prod", request.PlanHash, ApprovalPurpose.Apply), _time.GetUtcNow()).Status);
    }

    [Fact]
    public async Task Submit_EmptyPlanForAChangeNotBlocked_Refused()
    {
        var refused = await Assert.ThrowsAsync<SubmissionRefusedException>(() => Authority().SubmitAsync(Evidence() with { SavedPlan = [] }, TestContext.Current.CancellationToken));

        Assert.Equal("bad-evidence", refused.Code);
        Assert.Empty(await _store.ListAsync(new RequestQuery(), TestContext.Current.CancellationToken));
    }

    private ChangeAuthority Authority(string submittedBy = "ci:deploy") =>
        new(_pack, _store, _store, [new PulumiEvidence()], _time, _tokenKey, new Submitter("github:carol-example", submittedBy, Attested: false));

    private static RunEvidence Evidence(string scenario = "synthetic-rds-scale-down", string stack = "prod") =>
        SampleRequests.Body(scenario: scenario, stack: stack).ToEvidence()!;
}
