using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Server.Oidc;

/// <summary>
/// The OIDC issuer (section <c>Server:Oidc</c>): where its key file lives, how long its tokens live, and the audience
/// each cloud's token service expects. The issuer is <c>Server:PublicBaseUrl</c>.
/// </summary>
public sealed class OidcOptions
{
    public const string Section = "Server:Oidc";

    /// <summary>The signing key file (JSON, mode 0600). Default: <c>oidc-keys.json</c> beside <c>Server:KeyFile</c>, created on first start.</summary>
    public string? KeyFile { get; set; }

    /// <summary>How long an issued ID token lives, in minutes (at most 15).</summary>
    [Range(1, 15, ErrorMessage = "Server:Oidc:TokenMinutes must be between 1 and 15.")]
    public int TokenMinutes { get; set; } = 10;

    /// <summary>AWS STS audience (the IAM OIDC provider's client id).</summary>
    public string? AwsAudience { get; set; } = "sts.amazonaws.com";

    /// <summary>Google Cloud: the workload identity provider's full resource name (<c>//iam.googleapis.com/projects/…/providers/…</c>); no default.</summary>
    public string? GcpAudience { get; set; }

    /// <summary>Azure federated credential audience.</summary>
    public string? AzureAudience { get; set; } = "api://AzureADTokenExchange";

    /// <summary>The configured audience for <paramref name="cloud"/> (<c>aws</c>, <c>gcp</c>, <c>azure</c>), or null.</summary>
    public string? AudienceFor(string cloud) => cloud switch
    {
        "aws" => AwsAudience,
        "gcp" => GcpAudience,
        "azure" => AzureAudience,
        _ => null,
    };
}

/// <summary>
/// Issues short-lived ID tokens for approved requests, signed with the issuer's own key ring
/// (<see cref="OidcKeyRing"/>) through Microsoft.IdentityModel, and serves what relying parties read: the discovery
/// document and the JWKS. The key file is read again whenever it changes on disk, so a rotation by
/// <c>infraguard keys rotate --which oidc</c> takes effect without a restart.
/// </summary>
internal sealed class OidcIssuer(IOptions<ServerOptions> server, IOptions<OidcOptions> options, TimeProvider time)
{
    /// <summary>The <c>cloud</c> names a runner may ask credentials for.</summary>
    public static readonly string[] Clouds = ["aws", "gcp", "azure"];

    private readonly Lock _lock = new();
    private (DateTime Written, OidcKeyRing Ring)? _loaded;

    /// <summary>The issuer URL: <c>Server:PublicBaseUrl</c> without a trailing slash.</summary>
    public string Issuer => server.Value.PublicBaseUrl!.TrimEnd('/');

    /// <summary>The key file: configured, else <c>oidc-keys.json</c> beside the audit key file; null when neither is known.</summary>
    public string? KeyFile => options.Value.KeyFile is { Length: > 0 } file ? Path.GetFullPath(file)
        : server.Value.KeyFile is { Length: > 0 } audit ? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(audit))!, "oidc-keys.json")
        : null;

    /// <summary>How long tokens live.</summary>
    public TimeSpan Lifetime => TimeSpan.FromMinutes(options.Value.TokenMinutes);

    /// <summary>The configured audience of a cloud, or null.</summary>
    public string? AudienceFor(string cloud) => options.Value.AudienceFor(cloud);

    /// <summary>The key ring, read again when the file changed.</summary>
    public OidcKeyRing Ring()
    {
        var path = KeyFile ?? throw new InvalidOperationException("The OIDC issuer has no key file: set Server:Oidc:KeyFile (or Server:KeyFile, beside which oidc-keys.json is created).");
        lock (_lock)
        {
            var written = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
            if (_loaded is not { } loaded || loaded.Written != written)
            {
                var ring = OidcKeyRing.LoadOrCreate(path, time.GetUtcNow());
                _loaded = (File.GetLastWriteTimeUtc(path), ring);
            }

            return _loaded.Value.Ring;
        }
    }

    /// <summary>The OpenID Provider metadata (discovery document).</summary>
    public Dictionary<string, object> Discovery() => new()
    {
        ["issuer"] = Issuer,
        ["jwks_uri"] = Issuer + "/.well-known/jwks.json",
        ["response_types_supported"] = new[] { "id_token" },
        ["subject_types_supported"] = new[] { "public" },
        ["id_token_signing_alg_values_supported"] = new[] { SecurityAlgorithms.RsaSha256 },
        ["scopes_supported"] = new[] { "openid" },
        ["claims_supported"] = new[] { "sub", "aud", "exp", "iat", "nbf", "iss", "jti", "request_id", "kind", "stack", "target", "plan_hash", "approvers", "tier", "submitted_by", "requester" },
    };

    /// <summary>The JWKS: every key in the ring, retired ones included until they are dropped.</summary>
    public Dictionary<string, object> Jwks() => new()
    {
        ["keys"] = Ring().Keys.Select(k => k.PublicJwk()).Select(j => new Dictionary<string, string> { ["kty"] = j.Kty, ["use"] = j.Use, ["alg"] = j.Alg, ["kid"] = j.Kid, ["n"] = j.N, ["e"] = j.E }).ToList(),
    };

    /// <summary>
    /// The <c>sub</c> of a request's token: <c>stack:NAME:request:ID</c> for an infrastructure change,
    /// <c>action:KIND:TARGET:request:ID</c> for an action. Each part has <c>%</c> and <c>:</c> percent-encoded, so a
    /// name can never forge the structure a trust policy's pattern relies on.
    /// </summary>
    public static string Subject(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Action is { } action
            ? $"action:{Escape(action.Kind)}:{Escape(action.Target ?? action.Program)}:request:{request.Id}"
            : $"stack:{Escape(request.Stack)}:request:{request.Id}";
    }

    /// <summary>Issues a token for <paramref name="request"/> (approved by <paramref name="decisions"/>) to <paramref name="audience"/>.</summary>
    public IssuedToken Issue(ChangeRequest request, IReadOnlyList<RequestDecision> decisions, string audience)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(decisions);
        var now = time.GetUtcNow();
        var expires = now + Lifetime;
        var claims = new Dictionary<string, object>
        {
            ["sub"] = Subject(request),
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["request_id"] = request.Id,
            ["kind"] = request.Kind,
            ["tier"] = request.Tier,
            ["plan_hash"] = request.PlanHash,
            ["approvers"] = decisions.Where(d => d.Verdict == Verdict.Approve).Select(d => d.Approver.PersonId).ToList(),
            ["requester"] = request.Requester.PersonId,
            ["submitted_by"] = request.SubmittedBy,
        };
        if (request.Action is { } action)
        {
            claims["target"] = action.Target ?? action.Program;
        }
        else
        {
            claims["stack"] = request.Stack;
        }

        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = Ring().Current.Signing(),
        });
        return new IssuedToken(token, "oidc_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)))[..16], expires);
    }

    private static string Escape(string part) => part.Replace("%", "%25", StringComparison.Ordinal).Replace(":", "%3A", StringComparison.Ordinal);
}

/// <summary>An issued ID token, its id for the audit log (never the token) and when it expires.</summary>
internal sealed record IssuedToken(string Token, string TokenId, DateTimeOffset ExpiresAt);
