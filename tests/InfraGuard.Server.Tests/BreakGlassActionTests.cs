using InfraGuard.Core.Actions;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Server.Tests;

/// <summary><see cref="BreakGlassAction"/> over a real store: the same gate as <c>up --break-glass</c>, for an action.</summary>
public sealed class BreakGlassActionTests : IDisposable
{
    private static readonly BreakGlassAsk Ask = new("INC-31", "orders database is down, reading the failover secret");
    private readonly string _root = Directory.CreateTempSubdirectory("ig-bg-action-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 25, 2, 0, 0, TimeSpan.Zero));
    private readonly Ed25519AuditSigner _auditKey = Ed25519AuditSigner.Generate();
    private readonly ChangeStore _store;
    private readonly PolicyPack _pack;

    public BreakGlassActionTests()
    {
        _store = ChangeStore.Open(Path.Combine(_root, "infraguard.db"), _time, _auditKey);
        _pack = PolicyPackLoader.Load(File.ReadAllText(Path.Combine(SampleRequests.PolicyWithoutAttestation(Path.Combine(_root, "pack")), "policy.yaml")), "policy.yaml");
    }

    public void Dispose()
    {
        _store.Dispose();
        _auditKey.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("github:carol-example", true, "break-glass-not-in-group")]
    [InlineData("github:alice-example", false, "break-glass-needs-server")]
    public async Task Submit_RefusedBreakGlass_NothingStoredAndRefusalAudited(string requester, bool withFlow, string code)
    {
        var refused = await Assert.ThrowsAsync<ActionRefusedException>(() => Gate(requester, withFlow).SubmitAsync(Proposal(), Ask, TestContext.Current.CancellationToken));

        Assert.Equal(code, refused.Code);
        Assert.Empty(await _store.ListAsync(new RequestQuery(), TestContext.Current.CancellationToken));
        var entry = Assert.Single(await _store.ListEntriesAsync(new AuditQuery(Kind: FlowAuditEvents.BreakGlassRefused), TestContext.Current.CancellationToken));
        Assert.Contains(code, System.Text.Encoding.UTF8.GetString(entry.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_MemberOfTheGroup_ApprovedAtOnceWithItsReviewOpen()
    {
        var submission = await Gate("github:alice-example", withFlow: true).SubmitAsync(Proposal(), Ask, TestContext.Current.CancellationToken);

        Assert.Equal(RequestState.Approved, submission.Request!.State);
        var use = await _store.GetBreakGlassAsync(submission.Request.Id, TestContext.Current.CancellationToken);
        Assert.Equal(("alice", "INC-31"), (use!.Actor.PersonId, use.Incident));
        Assert.Single(await _store.ListOpenReviewsAsync(TestContext.Current.CancellationToken));
        Assert.Null(await new ChangeAuthority(_pack, _store, _store, [], _time, null, new Submitter("github:alice-example", "ci:deploy", Attested: false)).SignedApprovalProblemAsync(submission.Request, TestContext.Current.CancellationToken));
    }

    private BreakGlassAction Gate(string requester, bool withFlow)
    {
        var submitter = new Submitter(requester, "ci:deploy", Attested: false);
        return new BreakGlassAction(new ActionAuthority(_pack, _store, _store, _time, submitter), _pack, _store, _store, withFlow ? _store : null, _time, submitter);
    }

    private static ActionProposal Proposal() =>
        new(ProposedAction.Command("secrets.read", "prod/db", ["aws", "secretsmanager", "get-secret-value", "--secret-id", "prod/db"]), ActorKind.Pipeline);
}
