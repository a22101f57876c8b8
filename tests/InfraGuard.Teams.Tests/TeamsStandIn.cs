using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using InfraGuard.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Teams.Tests;

/// <summary>One request the bot sent to the stand-in: method, the path as sent (still escaped), auth header and JSON body.</summary>
internal sealed record ConnectorCall(string Method, string RawPath, string? Authorization, JsonObject? Json, string Body)
{
    /// <summary>The path's segments after <c>/v3/</c>, unescaped (<c>conversations</c>, id, <c>activities</c>, id).</summary>
    public IReadOnlyList<string> V3 => RawPath[(RawPath.IndexOf("/v3/", StringComparison.Ordinal) + 4)..].Split('/').Select(Uri.UnescapeDataString).ToList();
}

/// <summary>
/// A loopback stand-in for the Bot Framework as a Teams bot meets it: the OpenID metadata and its key set (RSA keys made
/// here, key ids <c>synthetic-…</c>, with <c>endorsements</c>: never Microsoft's), Entra's client-credentials token
/// endpoint, and the Bot Connector REST API (create a channel thread, update an activity, reply, look up a member). It
/// checks every request it receives — the token endpoint's form, the Bearer token on every Connector call (one it
/// issued and has not revoked), the path's service-URL prefix and escaping, the bodies' shape — and records problems
/// in <see cref="Problems"/>, which tests assert stay empty. It also mints Connector → bot tokens.
/// </summary>
internal sealed class TeamsStandIn : IAsyncDisposable
{
    public const string AppId = "5a0f2b6e-0000-4000-8000-5ynthetic0a99";
    public const string AppPassword = "synthetic-app-password-0000";
    public const string EndorsedKid = "synthetic-teams-1";
    public const string UnendorsedKid = "synthetic-webchat-only";
    public const string Issuer = "https://api.botframework.com";

    private readonly WebApplication _app;
    private readonly RSA _endorsed = RSA.Create(2048);
    private readonly RSA _unendorsed = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, bool> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> _scripted = new();
    private int _tokens;
    private int _threads;

    private TeamsStandIn(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public Uri MetadataUrl => new(BaseAddress, "openid/configuration");

    public Uri TokenEndpoint => new(BaseAddress, "oauth2/v2.0/token");

    /// <summary>Every Connector call, in order.</summary>
    public ConcurrentQueue<ConnectorCall> Calls { get; } = new();

    /// <summary>Token endpoint requests (form bodies).</summary>
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> TokenRequests { get; } = new();

    public ConcurrentQueue<string> Problems { get; } = new();

    /// <summary>Members by channel account id (<c>29:…</c>) for the member lookup; unknown ids answer 404.</summary>
    public ConcurrentDictionary<string, JsonObject> Members { get; } = new(StringComparer.Ordinal);

    /// <summary>The service URL path every Connector call must start with (the configured channel's).</summary>
    public string ServicePath { get; set; } = "/";

    public int MetadataFetches { get; private set; }

    public static async Task<TeamsStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var standIn = new TeamsStandIn(builder.Build());
        var app = standIn._app;
        app.MapGet("/openid/configuration", () =>
        {
            standIn.MetadataFetches++;
            return Results.Text(new JsonObject
            {
                ["issuer"] = Issuer,
                ["authorization_endpoint"] = "https://invalid.botframework.com",
                ["jwks_uri"] = new Uri(standIn.BaseAddress, "openid/keys").AbsoluteUri,
                ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/openid/keys", () => Results.Text(new JsonObject
        {
            ["keys"] = new JsonArray(Jwk(standIn._endorsed, EndorsedKid, "msteams", "skype"), Jwk(standIn._unendorsed, UnendorsedKid, "webchat")),
        }.ToJsonString(), "application/json"));
        app.MapPost("/oauth2/v2.0/token", (HttpContext ctx, CancellationToken _) => standIn.TokenAsync(ctx));
        app.Map("/{**rest}", (HttpContext ctx, CancellationToken _) => standIn.ConnectorAsync(ctx));
        await app.StartAsync();
        standIn.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return standIn;
    }

    public IReadOnlyList<ConnectorCall> CallsTo(string method, string kind) =>
        [.. Calls.Where(c => c.Method == method && c.RawPath.Contains("/v3/", StringComparison.Ordinal) && Kind(c) == kind)];

    /// <summary>The next Connector call answers <paramref name="status"/> (with <c>Retry-After</c>).</summary>
    public void Script(int status, string? retryAfter = null) => _scripted.Enqueue((status, retryAfter));

    /// <summary>Every access token issued so far stops working (the next Connector call answers 401).</summary>
    public void RevokeTokens()
    {
        foreach (var k in _issued.Keys)
        {
            _issued[k] = false;
        }
    }

    /// <summary>A member the lookup knows.</summary>
    public void AddMember(string id, string aadObjectId, string? upn, string tenantId, string role = "user") =>
        Members[id] = new JsonObject
        {
            ["id"] = id,
            ["name"] = upn ?? id,
            ["aadObjectId"] = aadObjectId,
            ["email"] = upn,
            ["userPrincipalName"] = upn,
            ["tenantId"] = tenantId,
            ["userRole"] = role,
        };

    /// <summary>A Connector → bot token, as the Bot Connector would send it; every part can be made wrong.</summary>
    public string Mint(
        DateTimeOffset now,
        string? audience = AppId,
        string issuer = Issuer,
        string kid = EndorsedKid,
        bool forged = false,
        TimeSpan? lifetime = null,
        string? serviceUrl = null,
        bool ctyJwt = true)
    {
        var rsa = forged ? RSA.Create(2048) : kid == UnendorsedKid ? _unendorsed : _endorsed;
        var claims = new Dictionary<string, object> { ["appid"] = "synthetic-connector-app" };
        if (serviceUrl is not null)
        {
            claims["serviceurl"] = serviceUrl;
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(5))).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
            // Like the real 2022 Teams token (fixtures/teams/auth): typ JWT and cty JWT.
            AdditionalHeaderClaims = ctyJwt ? new Dictionary<string, object> { ["cty"] = "JWT" } : null,
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>A fixture file under shared/fixtures/teams.</summary>
    public static string Fixture(params string[] parts) => File.ReadAllText(Repo.Fixture(["teams", .. parts]));

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _endorsed.Dispose();
        _unendorsed.Dispose();
    }

    private static JsonObject Jwk(RSA rsa, string kid, params string[] endorsements)
    {
        var p = rsa.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["kid"] = kid,
            ["x5t"] = kid,
            ["n"] = Base64UrlEncoder.Encode(p.Modulus),
            ["e"] = Base64UrlEncoder.Encode(p.Exponent),
            ["endorsements"] = new JsonArray([.. endorsements.Select(e => (JsonNode)e)]),
        };
    }

    private async Task<IResult> TokenAsync(HttpContext ctx)
    {
        var form = await ctx.Request.ReadFormAsync();
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        TokenRequests.Enqueue(fields);
        if (fields.GetValueOrDefault("grant_type") != "client_credentials" || fields.GetValueOrDefault("client_id") != AppId
            || fields.GetValueOrDefault("scope") != "https://api.botframework.com/.default")
        {
            Problems.Enqueue("token request: wrong grant_type, client_id or scope: " + string.Join('&', fields.Where(f => f.Key != "client_secret").Select(f => $"{f.Key}={f.Value}")));
            return Results.BadRequest();
        }

        if (fields.GetValueOrDefault("client_secret") != AppPassword)
        {
            return Results.Text("{\"error\":\"invalid_client\"}", "application/json", statusCode: 401);
        }

        if (ctx.Request.Headers.Authorization.Count > 0)
        {
            Problems.Enqueue("token request carried an Authorization header");
        }

        var token = $"synthetic-access-{Interlocked.Increment(ref _tokens)}";
        _issued[token] = true;
        return Results.Text(new JsonObject { ["token_type"] = "Bearer", ["expires_in"] = 3600, ["ext_expires_in"] = 3600, ["access_token"] = token }.ToJsonString(), "application/json");
    }

    private async Task<IResult> ConnectorAsync(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var body = await new StreamReader(ctx.Request.Body).ReadToEndAsync();
        JsonObject? json = null;
        if (body.Length > 0)
        {
            try
            {
                json = JsonNode.Parse(body)?.AsObject();
            }
            catch (System.Text.Json.JsonException)
            {
                Problems.Enqueue($"{ctx.Request.Method} {raw}: body is not JSON");
            }
        }

        var call = new ConnectorCall(ctx.Request.Method, raw, ctx.Request.Headers.Authorization.ToString(), json, body);
        Calls.Enqueue(call);
        if (_scripted.TryDequeue(out var scripted))
        {
            if (scripted.RetryAfter is not null)
            {
                ctx.Response.Headers.RetryAfter = scripted.RetryAfter;
            }

            return Results.StatusCode(scripted.Status);
        }

        var auth = call.Authorization ?? "";
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_issued.TryGetValue(auth[7..], out var live))
        {
            Problems.Enqueue($"{call.Method} {raw}: Authorization is not a token the stand-in issued");
            return Results.Unauthorized();
        }

        if (!live)
        {
            return Results.Unauthorized(); // revoked: the bot must fetch a new token and try again
        }

        if (!raw.StartsWith(ServicePath + "v3/", StringComparison.Ordinal))
        {
            Problems.Enqueue($"{call.Method} {raw}: not under the service URL path {ServicePath}");
            return Results.NotFound();
        }

        var v3 = call.V3;
        if (raw.Contains(';', StringComparison.Ordinal) || raw.Contains('@', StringComparison.Ordinal) || raw.Contains("19:", StringComparison.Ordinal))
        {
            Problems.Enqueue($"{call.Method} {raw}: conversation id not escaped");
        }

        switch (call.Method, Kind(call))
        {
            case ("POST", "create"):
                Check(json?["isGroup"]?.GetValue<bool>() == true, call, "isGroup must be true");
                Check(json?["channelData"]?["channel"]?["id"] is not null, call, "channelData.channel.id is missing");
                Check(json?["channelData"]?["tenant"]?["id"] is not null, call, "channelData.tenant.id is missing");
                CheckCardActivity(json?["activity"] as JsonObject, call);
                var n = Interlocked.Increment(ref _threads);
                var activityId = (1764036000000L + n).ToString(System.Globalization.CultureInfo.InvariantCulture);
                var channel = json?["channelData"]?["channel"]?["id"]?.GetValue<string>();
                return Results.Text(new JsonObject { ["id"] = $"{channel};messageid={activityId}", ["activityId"] = activityId }.ToJsonString(), "application/json", statusCode: 201);
            case ("PUT", "activity"):
                Check(json?["id"]?.GetValue<string>() == v3[3], call, "the body's id is not the activity in the path");
                CheckCardActivity(json, call);
                return Results.Text($"{{\"id\":\"{v3[3]}\"}}", "application/json");
            case ("POST", "activity"):
                Check(json?["type"]?.GetValue<string>() == "message", call, "a reply must be a message");
                Check(json?["replyToId"]?.GetValue<string>() == v3[3], call, "replyToId is not the activity in the path");
                return Results.Text($"{{\"id\":\"reply-{Interlocked.Increment(ref _threads)}\"}}", "application/json", statusCode: 201);
            case ("GET", "member"):
                return Members.TryGetValue(v3[3], out var member)
                    ? Results.Text(member.ToJsonString(), "application/json")
                    : Results.Text("{\"error\":{\"code\":\"MemberNotFoundInConversation\",\"message\":\"not found\"}}", "application/json", statusCode: 404);
            default:
                Problems.Enqueue($"{call.Method} {raw}: not a Connector operation the bot should call");
                return Results.NotFound();
        }
    }

    private static string Kind(ConnectorCall call)
    {
        var v3 = call.V3;
        return v3 switch
        {
            ["conversations"] => "create",
            ["conversations", _, "activities", _] => "activity",
            ["conversations", _, "members", _] => "member",
            _ => "other",
        };
    }

    private void CheckCardActivity(JsonObject? activity, ConnectorCall call)
    {
        Check(activity?["type"]?.GetValue<string>() == "message", call, "the activity must be a message");
        var attachment = activity?["attachments"]?[0];
        Check(attachment?["contentType"]?.GetValue<string>() == "application/vnd.microsoft.card.adaptive", call, "the activity carries no Adaptive Card");
        Check(attachment?["content"]?["version"]?.GetValue<string>() == "1.5", call, "the card is not version 1.5");
        Check(call.Body.Length < 28_000, call, "the activity is larger than Teams' ~28 KB message limit");
    }

    private void Check(bool ok, ConnectorCall call, string problem)
    {
        if (!ok)
        {
            Problems.Enqueue($"{call.Method} {call.RawPath}: {problem}");
        }
    }
}
