using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Tests.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace InfraGuard.Benchmarks.Oidc;

/// <summary>
/// One CI token through <see cref="WorkloadIdentityVerifier"/> with the issuer's key set cached (fetched once from a
/// loopback stand-in in setup): parse, RS256 signature, issuer/audience/lifetime, trust-rule match, runner claims.
/// The floor is the bare RSA-2048 PKCS#1 SHA-256 verification of the same token's signature; <see cref="LibraryOnly"/>
/// is <see cref="JsonWebTokenHandler"/> alone with the same keys (signature, issuer, audience, lifetime), so the rest is
/// the verifier's own share.
/// </summary>
[MemoryDiagnoser]
public class CiTokenBenchmarks
{
    private StandInIssuer _issuer = null!;
    private ServiceProvider _services = null!;
    private WorkloadIdentityVerifier _verifier = null!;
    private string _token = string.Empty;
    private RSA _publicKey = null!;
    private byte[] _signed = [];
    private byte[] _signature = [];
    private JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private TokenValidationParameters _parameters = null!;

    [GlobalSetup]
    public void Setup()
    {
        _issuer = StandInIssuer.StartAsync().GetAwaiter().GetResult();
        _services = new ServiceCollection().AddHttpClient().BuildServiceProvider();
        var options = new WorkloadIdentityOptions
        {
            RequireHttpsMetadata = false,
            Trust =
            [
                new TrustRule
                {
                    Issuer = _issuer.Url,
                    Audience = "infraguard",
                    Claims = new(StringComparer.Ordinal) { ["repository"] = "acme/shop", ["ref"] = "refs/heads/main", ["environment"] = "production" },
                    Identity = "ci:github:acme/shop",
                    Stacks = ["prod", "prod-*"],
                },
            ],
        };
        _verifier = new WorkloadIdentityVerifier(
            Options.Create(options),
            _services.GetRequiredService<IHttpClientFactory>(),
            TimeProvider.System,
            NullLogger<WorkloadIdentityVerifier>.Instance);
        _token = _issuer.Mint(StandInIssuer.GitHubClaims(), DateTimeOffset.UtcNow, TimeSpan.FromDays(1));
        var first = _verifier.VerifyAsync(_token, CancellationToken.None).GetAwaiter().GetResult();
        if (first.Identity is null)
        {
            throw new InvalidOperationException("the benchmark token does not verify: " + first.Failure);
        }

        _publicKey = RSA.Create(_issuer.CurrentPublicKey);
        var parts = _token.Split('.');
        _signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        _signature = Base64UrlEncoder.DecodeBytes(parts[2]);
        using var http = new HttpClient();
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _issuer.Url,
            ValidAudience = "infraguard",
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            IssuerSigningKeys = new JsonWebKeySet(http.GetStringAsync(new Uri(_issuer.Url + "/jwks")).GetAwaiter().GetResult()).GetSigningKeys(),
            TryAllIssuerSigningKeys = false,
        };
        if (!LibraryOnly())
        {
            throw new InvalidOperationException("the benchmark token does not verify with JsonWebTokenHandler alone");
        }
    }

    [Benchmark(Baseline = true)]
    public bool RsaVerifyFloor() => _publicKey.VerifyData(_signed, _signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark]
    public bool LibraryOnly() => _handler.ValidateTokenAsync(_token, _parameters).GetAwaiter().GetResult().IsValid;

    [Benchmark]
    public bool Verify() => _verifier.VerifyAsync(_token, CancellationToken.None).GetAwaiter().GetResult().Identity is not null;

    [GlobalCleanup]
    public void Cleanup()
    {
        _verifier.Dispose();
        _services.Dispose();
        _publicKey.Dispose();
        _issuer.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
