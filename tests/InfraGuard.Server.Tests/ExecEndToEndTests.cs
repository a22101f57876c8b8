using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Slack.Messages;
using InfraGuard.Store;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace InfraGuard.Server.Tests;

/// <summary>
/// The real <c>infraguard exec --server URL</c> process against a real Kestrel server on loopback, with stand-in
/// programs (pg_dump, kubectl, aws) that record the argv and the environment they were started with. Approvals and
/// attacks go through the REST API with each person's own token.
/// </summary>
public sealed class ExecEndToEndTests : IAsyncLifetime
{
    private const string Erin = "github:erin-example";
    private const string RoleArn = "arn:aws:iam::123456789012:role/prod-data-export";
    private readonly ApiWorld _world = new();
    private WebApplication _server = null!;
    private string _url = null!;
    private string _bin = null!;
    private string _calls = null!;
    private string _runnerToken = null!;

    public async ValueTask InitializeAsync()
    {
        var port = OidcIssuerTests.FreePort();
        _url = $"http://127.0.0.1:{port}";
        _server = await StartServerAsync(_world, port, _url);
        _bin = Directory.CreateDirectory(Path.Combine(_world.Root, "bin")).FullName;
        _calls = Path.Combine(_world.Root, "calls.log");
        foreach (var program in new[] { "pg_dump", "kubectl", "aws" })
        {
            // Records one line per run: its argv, and what the credential variables point at.
            var script = Path.Combine(_bin, program);
            await File.WriteAllTextAsync(script, $$"""
                #!/bin/sh
                token=""
                if [ -n "$AWS_WEB_IDENTITY_TOKEN_FILE" ] && [ -f "$AWS_WEB_IDENTITY_TOKEN_FILE" ]; then token=$(cut -c1-3 "$AWS_WEB_IDENTITY_TOKEN_FILE"); fi
                echo "{{program}} $* | token=$token role=$AWS_ROLE_ARN runner-token=${INFRAGUARD_TOKEN:-none}" >> "{{_calls}}"
                echo "stdout of {{program}}"
                if [ "$1" = "fail" ]; then exit 42; fi
                exit 0
                """, TestContext.Current.CancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        var store = _server.Services.GetRequiredService<Store.ChangeStore>();
        _runnerToken = (await store.CreateTokenAsync(ApiWorld.Alice, [ApiScopes.Runner], null, new PersonRef("admin", "local:admin"))).Token;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _world.Dispose();
    }

    [Fact]
    public async Task Exec_AllowedAction_RunsAtOnce_PassingStdoutAndExitCodeThrough()
    {
        var run = await ExecAsync(["--action", "k8s.delete", "--target", "dev-sandbox", "--", "kubectl", "fail", "pod", "web-1"]);

        Assert.True(run.ExitCode == 42, run.Error);
        Assert.Equal("stdout of kubectl\n", run.Out);
        var call = Assert.Single(Calls());
        // Allowed by policy is approved by policy: the command gets the request's credentials, never the runner's token.
        Assert.Equal($"kubectl fail pod web-1 | token=eyJ role={RoleArn} runner-token=none", call);
    }

    [Fact]
    public async Task Exec_AllowedActionWithoutCloudCredentials_StartedWithItsSubmission_RunsOnceAndRecordsTheOutcome()
    {
        // Nothing to fetch between approval and start: the server approves by policy and starts it in one step.
        var run = await Start(["--action", "k8s.delete", "--target", "dev-sandbox", "--", "kubectl", "delete", "pod", "web-1"], clouds: false).WaitAsync(120);

        Assert.True(run.ExitCode == 0, run.Error);
        Assert.Equal("kubectl delete pod web-1 | token= role= runner-token=none", Assert.Single(Calls()));
        var store = _server.Services.GetRequiredService<Store.ChangeStore>();
        var request = Assert.Single(await store.ListAsync(new RequestQuery(Stack: "dev-sandbox")));
        Assert.Equal(RequestState.Applied, request.State);
        Assert.Equal(
            [AuditEventTypes.PlanSubmitted, AuditEventTypes.RequestStateChanged, AuditEventTypes.DeployStarted, AuditEventTypes.DeployCompleted],
            (await store.ListEntriesAsync(new AuditQuery(Request: request.Id))).Select(e => e.Kind));
    }

    [Fact]
    public async Task Actions_RunnerAsksToStartAnActionNeedingReview_NotStarted_AndAnotherRunnerCannotFinishAStartedOne()
    {
        using var runner = await ClientAsync(ApiWorld.Alice, ApiScopes.Runner);
        using var other = await ClientAsync("ci:other", ApiScopes.Runner);

        // An agent in the pipeline sets startWhenAllowed on an export that needs review: the server still waits for a person.
        using var asked = await runner.PostAsJsonAsync("/api/v1/actions", new ActionBody { Kind = "data.export", Target = "prod/orders/customers", Argv = ["pg_dump", "--table=customers"], StartWhenAllowed = true }, ServerJson.Options);
        var held = await asked.Content.ReadFromJsonAsync<Core.Actions.ActionSubmission>(ServerJson.Options, TestContext.Current.CancellationToken);
        using var allowed = await runner.PostAsJsonAsync("/api/v1/actions", new ActionBody { Kind = "k8s.delete", Target = "dev-sandbox", Argv = ["kubectl", "delete", "pod", "web-2"], StartWhenAllowed = true }, ServerJson.Options);
        var started = await allowed.Content.ReadFromJsonAsync<Core.Actions.ActionSubmission>(ServerJson.Options, TestContext.Current.CancellationToken);
        using var stolen = await other.PostAsJsonAsync($"/api/v1/requests/{started!.Request!.Id}/outcome", new ApplyOutcome(true, 0, new Dictionary<Core.Changes.ChangeOp, int>(), ""), ServerJson.Options);

        Assert.False(held!.Started);
        Assert.Equal(RequestState.Pending, held.Request!.State);
        Assert.True(started.Started);
        Assert.Equal(RequestState.Applying, started.Request.State);
        Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode);
        Assert.Equal(RequestState.Applying, (await _server.Services.GetRequiredService<Store.ChangeStore>().GetAsync(started.Request.Id))!.State);
    }

    [Fact]
    public async Task Exec_RestrictedExport_WaitsForAnIndependentApproval_RunsExactlyOnceWithCredentials_NeverLeaksTheSecret()
    {
        var argv = new[] { "pg_dump", "--table=customers", "--password=hunter2", "postgres://app:s3cr3t@db.internal/orders" };
        var exec = Start(["--action", "data.export", "--target", "prod/orders/customers", "--actor-kind", "agent", "--on-behalf-of", "github:bob-example", "--", .. argv]);
        var id = (await exec.WaitForErrorLineAsync("Approval required: change request ")).Split("change request ")[1].Split(' ')[0];
        using var api = await ClientAsync(ApiWorld.Alice, ApiScopes.Runner, ApiScopes.Approver);

        // The attacker's side: no credential before approval; the requester and the agent's principal cannot approve.
        using (var early = await PostAsync(_runnerToken, $"/api/v1/requests/{id}/credentials", new CredentialsBody(["aws"])))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        }

        foreach (var self in new[] { ApiWorld.Alice, "github:bob-example" })
        {
            using var selfApproval = await PostAsync(await TokenAsync(self, ApiScopes.Approver), $"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "looks fine to me"));
            Assert.Equal(HttpStatusCode.Forbidden, selfApproval.StatusCode);
        }

        Assert.Empty(Calls());
        using (var approved = await PostAsync(await TokenAsync(Erin, ApiScopes.Approver), $"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "data owner agreed, ticket DATA-7")))
        {
            Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync());
        }

        await exec.WaitAsync(120);
        Assert.True(exec.ExitCode == 0, exec.Error);
        var call = Assert.Single(Calls());
        Assert.Equal($"pg_dump {string.Join(' ', argv[1..])} | token=eyJ role={RoleArn} runner-token=none", call);

        // A changed argument after approval is a new request; the approved one does not run a second time.
        var changed = await ExecAsync(["--action", "data.export", "--target", "prod/orders/customers", "--wait", "1s", "--", "pg_dump", "--table=payments", "--password=hunter2"]);
        Assert.Equal(5, changed.ExitCode);
        Assert.DoesNotContain(id, changed.Error, StringComparison.Ordinal);
        var again = await ExecAsync(["--action", "data.export", "--target", "prod/orders/customers", "--actor-kind", "agent", "--on-behalf-of", "github:bob-example", "--wait", "1s", "--", .. argv]);
        Assert.Equal(5, again.ExitCode);
        Assert.Single(Calls());

        // The secret is in none of: the audit log, the API's view, the Slack message, the runner's output.
        var view = await (await GetAsync(_runnerToken, $"/api/v1/requests/{id}")).Content.ReadAsStringAsync();
        var audit = await (await GetAsync(await TokenAsync("auditor:x", ApiScopes.Auditor), "/api/v1/audit/entries?limit=1000")).Content.ReadAsStringAsync();
        var request = (await (await GetAsync(_runnerToken, $"/api/v1/requests/{id}")).Content.ReadFromJsonAsync<RequestView>(ServerJson.Options))!.Request;
        var slack = System.Text.Json.JsonSerializer.Serialize(new ApprovalMessages(new ApprovalMessageOptions { WebBaseUrl = new Uri(_url) }).Pending(request, null, []));
        Assert.Equal(RequestState.Applied, request.State);
        Assert.Contains("--password=[secret]", view, StringComparison.Ordinal);
        Assert.Contains("data.export", audit, StringComparison.Ordinal);
        Assert.Contains("oidc:aws", audit, StringComparison.Ordinal);
        foreach (var text in new[] { view, audit, slack, exec.Error, exec.Out, changed.Error, again.Error })
        {
            Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
            Assert.DoesNotContain("s3cr3t", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Exec_Rejected_NeverRunsAndExits4WithTheReviewersReason()
    {
        var exec = Start(["--action", "secrets.read", "--target", "prod/db", "--", "aws", "secretsmanager", "get-secret-value", "--secret-id", "prod/db"]);
        var id = (await exec.WaitForErrorLineAsync("Approval required: change request ")).Split("change request ")[1].Split(' ')[0];

        using (var rejected = await PostAsync(await TokenAsync(Erin, ApiScopes.Approver), $"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Reject, "use the read replica's masked view instead")))
        {
            Assert.True(rejected.IsSuccessStatusCode, await rejected.Content.ReadAsStringAsync());
        }

        await exec.WaitAsync(120);
        Assert.Equal(4, exec.ExitCode);
        Assert.Contains("use the read replica's masked view instead", exec.Error, StringComparison.Ordinal);
        Assert.Empty(Calls());
        using var late = await PostAsync(_runnerToken, $"/api/v1/requests/{id}/credentials", new CredentialsBody(["aws"]));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task ExecBreakGlass_PersonOutsideGroup_Exit77AndNothingRuns()
    {
        // Attack: carol's own runner credential (not in group:sre-leads), naming alice as the requester.
        var carol = await TokenAsync(ApiWorld.Carol, ApiScopes.Runner);
        var exec = await Start(
            ["--break-glass", "--incident", "INC-21", "--reason", "payments down, need the secret now", "--requester", ApiWorld.Alice,
             "--action", "secrets.read", "--target", "prod/db", "--", "aws", "secretsmanager", "get-secret-value", "--secret-id", "prod/db"],
            carol).WaitAsync(120);

        Assert.True(exec.ExitCode == 77, exec.Error);
        Assert.Contains("not in group:sre-leads", exec.Error, StringComparison.Ordinal);
        Assert.Empty(Calls());
        var audit = await (await GetAsync(await TokenAsync("auditor:x", ApiScopes.Auditor), "/api/v1/audit/entries?limit=1000")).Content.ReadAsStringAsync();
        Assert.Contains(Core.Approvals.FlowAuditEvents.BreakGlassRefused, audit, StringComparison.Ordinal);
        Assert.DoesNotContain(Core.Approvals.FlowAuditEvents.BreakGlassUsed, audit, StringComparison.Ordinal);
        Assert.Empty(await _server.Services.GetRequiredService<Store.ChangeStore>().ListAsync(new RequestQuery(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ExecBreakGlass_MemberOfTheGroup_RunsAtOnce_AuditedAndReviewOpened()
    {
        var exec = await ExecAsync(
            ["--break-glass", "--incident", "INC-22", "--reason", "orders database is down, reading the failover secret",
             "--action", "secrets.read", "--target", "prod/db", "--", "aws", "secretsmanager", "get-secret-value", "--secret-id", "prod/db"]);

        Assert.True(exec.ExitCode == 0, exec.Error);
        Assert.DoesNotContain("Approval required", exec.Error, StringComparison.Ordinal);
        var call = Assert.Single(Calls());
        Assert.StartsWith("aws secretsmanager get-secret-value --secret-id prod/db | token=eyJ", call, StringComparison.Ordinal);
        var request = Assert.Single(await _server.Services.GetRequiredService<Store.ChangeStore>().ListAsync(new RequestQuery(), TestContext.Current.CancellationToken));
        Assert.Equal(RequestState.Applied, request.State);
        var audit = await (await GetAsync(await TokenAsync("auditor:x", ApiScopes.Auditor), "/api/v1/audit/entries?limit=1000")).Content.ReadAsStringAsync();
        Assert.Contains(Core.Approvals.FlowAuditEvents.BreakGlassUsed, audit, StringComparison.Ordinal);
        Assert.Contains("INC-22", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("approval.granted", audit, StringComparison.Ordinal);
        var reviews = await (await GetAsync(await TokenAsync(Erin, ApiScopes.Approver), "/api/v1/reviews")).Content.ReadFromJsonAsync<List<ReviewView>>(ServerJson.Options);
        var review = Assert.Single(reviews!);
        Assert.Equal(request.Id, review.BreakGlass.RequestId);
        Assert.Equal("INC-22", review.BreakGlass.Incident);
        Assert.Equal(0, review.Reviews);
    }

    internal static Task<WebApplication> StartServerAsync(ApiWorld world, int port, string url, params (string From, string To)[] edits) =>
        StartServerAsync(world, port, url, new Dictionary<string, string?>(), edits);

    /// <summary>Starts the server with <paramref name="settings"/> on top of the usual ones.</summary>
    internal static async Task<WebApplication> StartServerAsync(ApiWorld world, int port, string url, IReadOnlyDictionary<string, string?> settings, params (string From, string To)[] edits)
    {
        // The default pack, plus a third SRE lead (erin) so that requester, principal and approver can all be distinct leads.
        var policy = SampleRequests.Policy(Path.Combine(world.Root, "policy-actions"), [("    - id: deploy-bot", """
                - id: erin
                  name: Erin Example
                  logins: ["github:erin-example"]
                  groups: [sre-leads]
                - id: deploy-bot
            """), .. edits]);
        var app = ServerApp.Build([$"--urls={url}"], new Dictionary<string, string?>(settings)
        {
            ["Server:Db"] = world.Db,
            ["Server:KeyFile"] = world.KeyFile,
            ["Server:PublicBaseUrl"] = url,
            ["Server:PollMilliseconds"] = "100",
            ["Server:PolicyDir"] = policy,
        });
        await app.StartAsync();
        _ = port;
        return app;
    }

    private string[] Calls() => File.Exists(_calls) ? File.ReadAllLines(_calls) : [];

    private ProcessRun Start(string[] args, string? runnerToken = null, bool clouds = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = _bin + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = _world.Root,
            ["INFRAGUARD_TOKEN"] = runnerToken ?? _runnerToken,
            ["NO_COLOR"] = "1",
        };
        if (clouds)
        {
            environment["INFRAGUARD_CLOUDS"] = "aws";
            environment["INFRAGUARD_AWS_ROLE_ARN"] = RoleArn;
        }

        return ProcessRun.StartInfraGuard(["exec", "--server", _url, .. args], _world.Root, environment);
    }

    private async Task<ProcessRun> ExecAsync(string[] args) => await Start(args).WaitAsync(120);

    private async Task<string> TokenAsync(string identity, params string[] scopes) =>
        (await _server.Services.GetRequiredService<Store.ChangeStore>().CreateTokenAsync(identity, scopes, null, new PersonRef("admin", "local:admin"))).Token;

    private async Task<HttpClient> ClientAsync(string identity, params string[] scopes)
    {
        var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(identity, scopes));
        return client;
    }

    private async Task<HttpResponseMessage> PostAsync<T>(string token, string path, T body)
    {
        using var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.PostAsJsonAsync(path, body, ServerJson.Options);
    }

    private async Task<HttpResponseMessage> GetAsync(string token, string path)
    {
        using var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync(path);
    }
}
