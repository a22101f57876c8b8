using System.Text.Json.Nodes;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Runs;
using InfraGuard.Store;
using InfraGuard.Testing;

namespace InfraGuard.Mcp.Tests;

/// <summary>
/// A gateway in front of the loopback upstream (a real process spoken to over stdio), guarded by a local authority
/// on a temp SQLite store with a small pack: reads are allowed, exports of restricted tables need review, an agent
/// dropping a table is blocked. The upstream's call log says what reached it.
/// </summary>
internal sealed class GatewayWorld : IAsyncDisposable
{
    public const string Requester = "github:agent-runner";
    public const string Principal = "github:bob-example";

    public const string Pack = """
        apiVersion: infraguard/v1
        tiers:
          staging:
            default: true
            review-at: 60
            block-at: 600
            approvals: { count: 1, expires-after: 1d }
            actor-weights: { agent: 1.5 }
        rules: []
        actions:
          data-classes:
            restricted: ["*customers*"]
          kinds:
            db.read:
              summary: Reading from a database
              score: 0
            data.export:
              summary: Exporting data out of the system that holds it
              phrase: export data from
              match: { tools: ["*export*"] }
              score: 10
            db.drop:
              summary: Dropping a table destroys its data
              score: 100
          rules:
            - id: restricted-data-export
              summary: Exporting restricted data
              match: { kinds: [data.export], data-classes: [restricted] }
              score: 40
            - id: agents-never-drop
              summary: An AI agent never drops a table
              match: { kinds: [db.drop], actors: [agent] }
              score: 0
              block: true
        """;

    public const string Upstreams = """
        upstreams:
          db:
            command: {0}
            env: { MCP_UPSTREAM_LOG: "{1}" }
            target: staging/orders
            tools:
              query: db.read
              export_table: data.export
              drop_table: db.drop
        """;

    private readonly string _root;
    private readonly Ed25519AuditSigner _signer;

    private GatewayWorld(string root, Ed25519AuditSigner signer, PolicyPack policy, ChangeStore store, McpGateway gateway)
    {
        _root = root;
        _signer = signer;
        Policy = policy;
        Store = store;
        Gateway = gateway;
    }

    public PolicyPack Policy { get; }

    public ChangeStore Store { get; }

    public McpGateway Gateway { get; }

    public string CallLog => Path.Combine(_root, "calls.jsonl");

    public string Root => _root;

    public static async Task<GatewayWorld> StartAsync(string upstreamsTemplate = Upstreams, TimeSpan? wait = null, Func<string, string?>? environment = null, string? root = null)
    {
        root ??= Directory.CreateTempSubdirectory("ig-mcp-").FullName;
        var signer = Ed25519AuditSigner.Generate();
        var policy = PolicyPackLoader.Load(Pack, "mcp-test-policy.yaml");
        var store = ChangeStore.Open(Path.Combine(root, "ig.db"), TimeProvider.System, signer);
        var authority = new ActionAuthority(policy, store, store, TimeProvider.System, new Submitter(Requester, Requester, Attested: false, ActorKind: ActorKind.Agent));
        var upstreams = UpstreamsFile.Parse(upstreamsTemplate.Replace("{0}", StandInMcpUpstream.Executable, StringComparison.Ordinal).Replace("{1}", Path.Combine(root, "calls.jsonl"), StringComparison.Ordinal).Replace("{2}", root, StringComparison.Ordinal), "upstreams.yaml");
        var gateway = await McpGateway.ConnectAsync(
            upstreams, environment ?? (_ => null), authority, store, TimeProvider.System,
            new GatewayOptions(Principal, null, wait, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(1)), null, CancellationToken.None);
        return new GatewayWorld(root, signer, policy, store, gateway);
    }

    /// <summary>Every call the upstream received: tool and exact arguments.</summary>
    public IReadOnlyList<JsonObject> Calls() =>
        File.Exists(CallLog) ? [.. File.ReadAllLines(CallLog).Select(l => JsonNode.Parse(l)!.AsObject())] : [];

    /// <summary>Waits until a pending request exists, and returns it.</summary>
    public async Task<ChangeRequest> PendingAsync()
    {
        while (true)
        {
            var pending = await Store.ListAsync(new RequestQuery(State: RequestState.Pending), TestContext.Current.CancellationToken);
            if (pending.Count > 0)
            {
                return Assert.Single(pending);
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Decides through the one decision desk, as every channel does.</summary>
    public Task<DeskOutcome> DecideAsync(string id, string who, Verdict verdict, string reason) =>
        new ApprovalDesk(Store, TimeProvider.System).DecideAsync(
            new DecisionAttempt(id, ApprovalDesk.ApproverFor(Policy.Identities, who), DecisionChannel.Api, verdict, reason));

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        Store.Dispose();
        _signer.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}
