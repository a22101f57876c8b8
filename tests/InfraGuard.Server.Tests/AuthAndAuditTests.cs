using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;
using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Tests;

public class AuthAndAuditTests
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Theory]
    [InlineData(null)]
    [InlineData("igt_not-a-real-token")]
    [InlineData("Basic abc")]
    public async Task AnyEndpoint_MissingOrInvalidToken_401Problem(string? token)
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var client = api.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", token.StartsWith("Basic", StringComparison.Ordinal) ? token : "Bearer " + token);
        }

        using var response = await client.GetAsync("/api/v1/requests");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(401, (int)problem["status"]!);
        Assert.Equal("urn:infraguard:problem:unauthorized", (string?)problem["type"]);
    }

    [Fact]
    public async Task RevokedToken_401NamingTheToken()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var issued = await api.Store.CreateTokenAsync(ApiWorld.Alice, [ApiScopes.Approver], "alice laptop", new PersonRef("admin", "local:admin"));
        using var client = api.WithToken(issued.Token);
        using var before = await client.GetAsync("/api/v1/requests");

        await api.Store.RevokeTokenAsync(issued.Info.Id, new PersonRef("admin", "local:admin"));
        using var after = await client.GetAsync("/api/v1/requests");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains(issued.Info.Id + " was revoked", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongScope_403Problem_RunnerCannotDecide()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync();
        using var runner = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Runner);
        using var auditor = await api.ClientAsync("github:audrey", ApiScopes.Auditor);

        using var decide = await runner.PostAsync($"/api/v1/requests/{id}/decisions", Json("""{"verdict":"approve","reason":"checked replicas and backups"}"""));
        using var create = await auditor.PostAsJsonAsync("/api/v1/requests", ApiWorld.Body("run-9"), ServerJson.Options);
        using var audit = await runner.GetAsync("/api/v1/audit/entries");

        Assert.Equal(HttpStatusCode.Forbidden, decide.StatusCode);
        Assert.Contains("approver", await decide.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        Assert.Empty(await api.Store.GetDecisionsAsync(id));
    }

    [Fact]
    public async Task Problem_Shape_FollowsRfc9457()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var alice = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        using var response = await alice.PostAsync("/api/v1/requests/cr_000000000000/decisions", Json("""{"verdict":"approve","reason":"checked replicas and backups"}"""));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("urn:infraguard:problem:not-found", (string?)problem["type"]);
        Assert.Equal("No such change request", (string?)problem["title"]);
        Assert.Equal(404, (int)problem["status"]!);
        Assert.Contains("infraguard requests list", (string?)problem["detail"], StringComparison.Ordinal);
        Assert.Equal("/api/v1/requests/cr_000000000000/decisions", (string?)problem["instance"]);
        Assert.Equal("not-found", (string?)problem["code"]);
    }

    [Fact]
    public async Task MalformedJson_400Problem()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);

        using var response = await runner.PostAsync("/api/v1/requests", Json("{\"stack\":"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task AuditEvents_RunnerAppendsOnlyItsTypes_AuditorQueriesAndVerifies()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        var id = await api.CreateRequestAsync(requester: ApiWorld.Runner);
        using var runner = await api.ClientAsync(ApiWorld.Runner, ApiScopes.Runner);
        using var auditor = await api.ClientAsync("github:audrey", ApiScopes.Auditor);

        using var cancelled = await runner.PostAsync("/api/v1/audit/events", Json($$$"""{"type":"run.cancelled","request":"{{{id}}}","fields":{"stack":"prod","phase":"pending"}}"""));
        using var forged = await runner.PostAsync("/api/v1/audit/events", Json($$$"""{"type":"approval.granted","request":"{{{id}}}","fields":{}}"""));
        using var scored = await runner.PostAsync("/api/v1/audit/events", Json("""{"type":"risk.scored","fields":{"score":0}}"""));
        using var extra = await runner.PostAsync("/api/v1/audit/events", Json($$$"""{"type":"run.cancelled","request":"{{{id}}}","fields":{"stack":"prod","phase":"pending","approver":"alice"}}"""));
        var entries = await auditor.GetFromJsonAsync<AuditEntryList>("/api/v1/audit/entries?kind=run.cancelled", ServerJson.Options);
        var verify = JsonNode.Parse(await auditor.GetStringAsync("/api/v1/audit/verify"))!;

        Assert.Equal(HttpStatusCode.Created, cancelled.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forged.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, scored.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, extra.StatusCode);
        var entry = Assert.Single(entries!.Entries);
        var payload = JsonNode.Parse(entry.Payload)!;
        Assert.Equal(ApiWorld.Runner, (string?)payload["submitted_by"]);
        Assert.Equal(id, entry.Subject);
        Assert.Equal("2026-11-25T02:00:00.000Z", (string?)payload["at"]);
        Assert.True((bool)verify["valid"]!);
        Assert.Equal(0, (int)verify["exitCode"]!);
    }

    [Fact]
    public async Task Tokens_AdminCreatesListsRevokes_AuditedWithoutTheSecret()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory();
        using var admin = await api.ClientAsync("github:root-admin", ApiScopes.Admin);
        using var approver = await api.ClientAsync(ApiWorld.Alice, ApiScopes.Approver);

        using var created = await admin.PostAsJsonAsync("/api/v1/tokens", new CreateTokenBody(ApiWorld.Bob, [ApiScopes.Approver], "bob"), ServerJson.Options);
        var token = (await created.Content.ReadFromJsonAsync<CreatedTokenView>(ServerJson.Options))!;
        using var byApprover = await approver.GetAsync("/api/v1/tokens");
        var list = await admin.GetFromJsonAsync<List<TokenView>>("/api/v1/tokens", ServerJson.Options);
        using var revoked = await admin.DeleteAsync($"/api/v1/tokens/{token.Info.Id}");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith(ChangeStore.TokenPrefix, token.Token, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, byApprover.StatusCode);
        Assert.Contains(list!, t => t.Id == token.Info.Id && t.RevokedAt is null);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.False((await api.Store.FindTokenAsync(token.Token))!.IsActive);
        var entries = await api.Store.ListEntriesAsync(new Core.Audit.AuditQuery());
        var tokenEntries = entries.Where(e => e.Kind.StartsWith("token.", StringComparison.Ordinal)).ToList();
        Assert.Contains(tokenEntries, e => e.Kind == "token.revoked");
        Assert.All(tokenEntries, e => Assert.DoesNotContain(ChangeStore.TokenPrefix, System.Text.Encoding.UTF8.GetString(e.Payload), StringComparison.Ordinal));
        Assert.DoesNotContain(token.Token, await File.ReadAllTextAsync(world.Db, System.Text.Encoding.Latin1), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Server:Slack:Enabled", "true", "SigningSecret")]
    [InlineData("Server:PublicBaseUrl", "not a url", "PublicBaseUrl")]
    [InlineData("Server:KeyFile", "/nonexistent/key.pem", "does not exist")]
    public void Startup_InvalidSettings_FailsWithAClearMessage(string key, string value, string expected)
    {
        using var world = new ApiWorld();
        var api = world.NewFactory(new Dictionary<string, string> { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => api.CreateClient());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_SlackEnabledWithSecrets_Starts()
    {
        using var world = new ApiWorld();
        var api = world.NewFactory(new Dictionary<string, string>
        {
            ["Server:Slack:Enabled"] = "true",
            ["Server:Slack:SigningSecret"] = "8f742231b10e8888abcd99yyyzzz85a5",
            ["Server:Slack:BotToken"] = "xoxb-test",
        });

        using var client = api.CreateClient();

        Assert.NotNull(client);
    }
}
