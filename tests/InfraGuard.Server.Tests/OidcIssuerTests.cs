using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Server.Oidc;
using InfraGuard.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Tests;

/// <summary>
/// The issuer as a cloud's token service sees it: a relying party written with Microsoft.IdentityModel reads discovery
/// and the JWKS over HTTP from a real server on loopback, then checks issuer, audience, the trust policy's <c>sub</c>
/// condition and expiry, through a key rotation with the old key still published and then dropped.
/// </summary>
public sealed class OidcIssuerTests : IAsyncLifetime
{
    private const string Erin = "github:erin-example";
    private readonly ApiWorld _world = new();
    private WebApplication _server = null!;
    private string _url = null!;

    public async ValueTask InitializeAsync()
    {
        var port = FreePort();
        _url = $"http://127.0.0.1:{port}";
        _server = await ExecEndToEndTests.StartServerAsync(_world, port, _url);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _world.Dispose();
    }

    [Fact]
    public async Task RelyingParty_ApprovedActionsToken_AcceptedOnlyForItsOwnSubject_BeforeExpiry_AndAfterRotationUntilDropped()
    {
        var store = _server.Services.GetRequiredService<ChangeStore>();
        using var runner = await ClientAsync(store, ApiWorld.Alice, ApiScopes.Runner);
        using var erin = await ClientAsync(store, Erin, ApiScopes.Approver);
        using var otherRunner = await ClientAsync(store, "ci:other", ApiScopes.Runner);

        var export = await SubmitAsync(runner, "prod/orders/customers", "customers");
        using (var early = await runner.PostAsJsonAsync($"/api/v1/requests/{export}/credentials", new CredentialsBody(["aws"]), ServerJson.Options))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode); // no credential before approval
        }

        await ApproveAsync(erin, export);
        using (var stolen = await otherRunner.PostAsJsonAsync($"/api/v1/requests/{export}/credentials", new CredentialsBody(["aws"]), ServerJson.Options))
        {
            Assert.Equal(HttpStatusCode.Forbidden, stolen.StatusCode); // only the submitting credential
        }

        var token = await CredentialAsync(runner, export);
        var other = await SubmitAsync(runner, "prod/orders/payments", "payments");
        await ApproveAsync(erin, other);
        var otherToken = await CredentialAsync(runner, other);
        var trustPolicy = "action:data.export:prod/orders/customers:request:*";

        Assert.Null(await ProblemAsync(token, trustPolicy, DateTimeOffset.UtcNow));
        Assert.Contains("sub", await ProblemAsync(otherToken, trustPolicy, DateTimeOffset.UtcNow), StringComparison.Ordinal);
        Assert.Contains("Lifetime", await ProblemAsync(token, trustPolicy, DateTimeOffset.UtcNow.AddMinutes(16)), StringComparison.Ordinal);
        var claims = new JsonWebToken(token);
        Assert.Equal(export, claims.GetClaim("request_id").Value);
        Assert.Contains("erin", claims.GetPayloadValue<List<string>>("approvers"));
        Assert.True(claims.ValidTo - claims.IssuedAt <= TimeSpan.FromMinutes(15));

        // Rotate: the new key signs, the old one stays published, so the token signed before still validates.
        var keyFile = Path.Combine(_world.Root, "oidc-keys.json");
        OidcKeyRing.Rotate(keyFile, DateTimeOffset.UtcNow);
        var third = await SubmitAsync(runner, "prod/orders/customers", "customers", "--data-only");
        await ApproveAsync(erin, third);
        var newToken = await CredentialAsync(runner, third);
        Assert.NotEqual(new JsonWebToken(token).Kid, new JsonWebToken(newToken).Kid);
        Assert.Null(await ProblemAsync(token, trustPolicy, DateTimeOffset.UtcNow));
        Assert.Null(await ProblemAsync(newToken, trustPolicy, DateTimeOffset.UtcNow));

        // Drop the retired key: it is no longer in the JWKS, and what it signed is refused.
        OidcKeyRing.DropRetired(keyFile);
        Assert.Contains("signature", await ProblemAsync(token, trustPolicy, DateTimeOffset.UtcNow), StringComparison.OrdinalIgnoreCase);
        Assert.Null(await ProblemAsync(newToken, trustPolicy, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void Subject_NamesThatTryToForgeTheStructure_AreEscaped()
    {
        var request = new ChangeRequest
        {
            Id = "cr_aaaaaaaaaaaa", Stack = "x", Project = "p", Tier = "production", Requester = new PersonRef("a", "a"), ActorKind = Core.Policy.ActorKind.Pipeline,
            CommitAuthors = [], PlanHash = "h", StateFingerprint = "h", PolicyPackHash = "h", Score = 0, Decision = Core.Risk.Decision.Review,
            RequiredApprovals = new Core.Policy.ApprovalRequirement(1, [], TimeSpan.FromHours(1)), CreatedAt = default, ExpiresAt = default, State = RequestState.Approved,
            StateChangedAt = default, Assessment = null!,
        };

        Assert.Equal("stack:x:request:cr_aaaaaaaaaaaa", OidcIssuer.Subject(request));
        Assert.Equal("stack:evil%3Arequest%3Acr_x%253A:request:cr_aaaaaaaaaaaa", OidcIssuer.Subject(request with { Stack = "evil:request:cr_x%3A" }));
        Assert.Equal(
            "action:iam.assume-role:arn%3Aaws%3Aiam%3A%3A1%3Arole/break-glass:request:cr_aaaaaaaaaaaa",
            OidcIssuer.Subject(request with { Kind = "iam.assume-role", Action = new Core.Requests.ActionRecord("iam.assume-role", "arn:aws:iam::1:role/break-glass", "aws", ["aws"], null, null) }));
    }

    /// <summary>Null when a relying party configured like an AWS IAM OIDC provider accepts the token at <paramref name="now"/>; else why not.</summary>
    private async Task<string?> ProblemAsync(string token, string subPattern, DateTimeOffset now)
    {
        var manager = new ConfigurationManager<OpenIdConnectConfiguration>(
            _url + "/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever { RequireHttps = false });
        var configuration = await manager.GetConfigurationAsync(TestContext.Current.CancellationToken);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = _url,
            ValidAudience = "sts.amazonaws.com",
            IssuerSigningKeys = configuration.SigningKeys,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.Zero,
            // The relying party's clock: a token service at 'now'.
            LifetimeValidator = (notBefore, expires, _, _) => notBefore <= now.UtcDateTime && now.UtcDateTime < expires,
        });
        if (!result.IsValid)
        {
            return result.Exception?.GetType().Name + ": " + result.Exception?.Message;
        }

        // The trust policy's condition, as AWS StringLike evaluates it: * is any run of characters, case-sensitive.
        var sub = (string)result.Claims["sub"];
        return Regex.IsMatch(sub, "^" + Regex.Escape(subPattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$") ? null : $"sub {sub} does not match {subPattern}";
    }

    private async Task<HttpClient> ClientAsync(ChangeStore store, string identity, string scope)
    {
        var issued = await store.CreateTokenAsync(identity, [scope], null, new PersonRef("admin", "local:admin"));
        var client = new HttpClient { BaseAddress = new Uri(_url) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.Token);
        return client;
    }

    private static async Task<string> SubmitAsync(HttpClient runner, string target, string table, params string[] more)
    {
        using var response = await runner.PostAsJsonAsync("/api/v1/actions", new ActionBody { Kind = "data.export", Target = target, Argv = ["pg_dump", $"--table={table}", .. more] }, ServerJson.Options);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        var submission = await response.Content.ReadFromJsonAsync<Core.Actions.ActionSubmission>(ServerJson.Options);
        Assert.Equal(RequestState.Pending, submission!.Request!.State);
        return submission.Request.Id;
    }

    private static async Task ApproveAsync(HttpClient approver, string id)
    {
        using var response = await approver.PostAsJsonAsync($"/api/v1/requests/{id}/decisions", new DecideBody(Verdict.Approve, "checked the export with the data owner"), ServerJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string> CredentialAsync(HttpClient runner, string id)
    {
        using var response = await runner.PostAsJsonAsync($"/api/v1/requests/{id}/credentials", new CredentialsBody(["aws"]), ServerJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var view = await response.Content.ReadFromJsonAsync<CredentialsView>(ServerJson.Options);
        return Assert.Single(view!.Credentials).Token;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
