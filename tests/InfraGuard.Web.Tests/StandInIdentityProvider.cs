using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace InfraGuard.Web.Tests;

/// <summary>
/// A loopback OpenID Connect provider for tests: discovery document, JWKS with an RSA key, an authorize endpoint
/// that signs in <see cref="Email"/> at once and redirects back with a code, and a token endpoint that checks the
/// code, client and PKCE verifier and returns an RS256-signed id_token.
/// </summary>
internal sealed class StandInIdentityProvider : IAsyncDisposable
{
    public const string ClientId = "infraguard-web";
    public const string ClientSecret = "stand-in-secret";
    private const string KeyId = "stand-in-key-1";

    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge, string RedirectUri)> _codes = new(StringComparer.Ordinal);
    private readonly WebApplication _app;

    private StandInIdentityProvider(WebApplication app) => _app = app;

    public string Issuer => _app.Urls.First();

    /// <summary>Who the next sign-in is.</summary>
    public string Email { get; set; } = "alice@example.com";

    public IReadOnlyList<string> Roles { get; set; } = [];

    public int TokensIssued { get; private set; }

    public static async Task<StandInIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var idp = new StandInIdentityProvider(builder.Build());
        idp.Map();
        await idp._app.StartAsync();
        return idp;
    }

    private void Map()
    {
        _app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        _app.MapGet("/jwks", () =>
        {
            var p = _key.ExportParameters(false);
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = B64(p.Modulus!), e = B64(p.Exponent!) } } });
        });
        _app.MapGet("/authorize", (HttpRequest r) =>
        {
            var q = r.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256")
            {
                return Results.BadRequest("bad authorize request");
            }

            var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            _codes[code] = (q["nonce"].ToString(), q["code_challenge"].ToString(), q["redirect_uri"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        _app.MapPost("/token", async (HttpRequest r) =>
        {
            var form = await r.ReadFormAsync();
            if (!_codes.TryRemove(form["code"].ToString(), out var grant) || form["client_id"] != ClientId || form["client_secret"] != ClientSecret
                || form["redirect_uri"] != grant.RedirectUri
                || B64(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            TokensIssued++;
            return Results.Json(new { access_token = "stand-in-access", token_type = "Bearer", expires_in = 300, id_token = IdToken(grant.Nonce) });
        });
    }

    private string IdToken(string nonce)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = KeyId });
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = "sub-" + Email,
            ["aud"] = ClientId,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 300,
            ["nonce"] = nonce,
            ["email"] = Email,
            ["roles"] = Roles,
        });
        var signed = B64(header) + "." + B64(payload);
        return signed + "." + B64(_key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }
}
