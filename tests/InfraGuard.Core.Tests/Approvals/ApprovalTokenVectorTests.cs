using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Approvals;
using InfraGuard.Testing;
using NSec.Cryptography;
using static InfraGuard.Core.Tests.Approvals.ApprovalTokenTests;

namespace InfraGuard.Core.Tests.Approvals;

/// <summary>
/// Cross-language vectors: this test mints policy-packs/crossguard/test/vectors/csharp-minted.json (the pack's
/// `npm test` verifies it) and verifies node-minted.json (minted by the pack's test/vectors.test.ts). Both sides
/// mint the same named vectors, and Ed25519 is deterministic, so the tokens must be identical too.
/// Regenerate with INFRAGUARD_UPDATE_VECTORS=1.
/// </summary>
public class ApprovalTokenVectorTests
{
    private static readonly string VectorDir = Repo.File("policy-packs", "crossguard", "test", "vectors");
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Dictionary<string, ApprovalTokenStatus> StatusNames = new(StringComparer.Ordinal)
    {
        ["valid"] = ApprovalTokenStatus.Valid,
        ["bad-format"] = ApprovalTokenStatus.BadFormat,
        ["bad-signature"] = ApprovalTokenStatus.BadSignature,
        ["unknown-key"] = ApprovalTokenStatus.UnknownKey,
        ["expired"] = ApprovalTokenStatus.Expired,
        ["wrong-stack"] = ApprovalTokenStatus.WrongStack,
        ["wrong-plan"] = ApprovalTokenStatus.WrongPlan,
        ["wrong-purpose"] = ApprovalTokenStatus.WrongPurpose,
        ["break-glass-not-allowed"] = ApprovalTokenStatus.BreakGlassNotAllowed,
    };

    [Fact]
    public void CsharpMintedVectors_MatchCheckedInFile()
    {
        var fresh = CsharpVectors();
        var path = Path.Combine(VectorDir, "csharp-minted.json");
        if (Environment.GetEnvironmentVariable("INFRAGUARD_UPDATE_VECTORS") == "1")
        {
            File.WriteAllText(path, fresh.ToJsonString(Indented) + "\n");
        }

        Assert.True(File.Exists(path), $"{path} is missing; run this test with INFRAGUARD_UPDATE_VECTORS=1 to create it.");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(path)), fresh),
            $"{path} differs from what ApprovalToken mints now; if the change is intended, regenerate with INFRAGUARD_UPDATE_VECTORS=1.");
    }

    [Fact]
    public void CsharpMintedVectors_CoverEveryStatusAndVerify()
    {
        var file = CsharpVectors();

        var seen = CheckVectors(file);

        Assert.Equal(StatusNames.Values.Order(), seen.Order());
    }

    [Fact]
    public void NodeMintedVectors_VerifyInCsharp()
    {
        var path = Path.Combine(VectorDir, "node-minted.json");
        Assert.True(File.Exists(path), $"{path} is missing; run `INFRAGUARD_UPDATE_VECTORS=1 npm test` in policy-packs/crossguard.");
        var file = JsonNode.Parse(File.ReadAllText(path))!;

        var seen = CheckVectors(file);

        Assert.True(seen.Count >= 8, "node-minted.json should cover every status");
    }

    [Fact]
    public void NodeMintedVectors_AreByteIdenticalToCsharpMinted()
    {
        var path = Path.Combine(VectorDir, "node-minted.json");
        Assert.True(File.Exists(path), $"{path} is missing; run `INFRAGUARD_UPDATE_VECTORS=1 npm test` in policy-packs/crossguard.");
        var node = JsonNode.Parse(File.ReadAllText(path))!["vectors"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => (string)v!["token"]!, StringComparer.Ordinal);

        foreach (var v in CsharpVectors()["vectors"]!.AsArray())
        {
            var name = (string)v!["name"]!;
            Assert.True(node.TryGetValue(name, out var token), $"node-minted.json lacks vector {name}");
            Assert.Equal((string)v["token"]!, token);
        }
    }

    private static HashSet<ApprovalTokenStatus> CheckVectors(JsonNode file)
    {
        var keys = ApprovalKeyRing.FromConfig(file["trustedKeys"]!.AsObject().ToDictionary(k => k.Key, k => (string)k.Value!, StringComparer.Ordinal));
        var seen = new HashSet<ApprovalTokenStatus>();
        foreach (var v in file["vectors"]!.AsArray())
        {
            var expect = v!["expect"]!;
            var purpose = (string)expect["purpose"]! == "apply" ? ApprovalPurpose.Apply : ApprovalPurpose.Preview;
            var result = ApprovalToken.Verify(
                (string)v["token"]!,
                keys,
                new((string)expect["stack"]!, (string?)expect["plan"], purpose, (bool?)expect["breakGlassAllowed"] ?? false),
                DateTimeOffset.FromUnixTimeSeconds((long)expect["now"]!));

            var wanted = StatusNames[(string)v["result"]!];
            Assert.True(wanted == result.Status, $"vector {(string)v["name"]!}: expected {wanted}, got {result.Status} ({result.Detail})");
            seen.Add(result.Status);
        }

        return seen;
    }

    /// <summary>The same vectors, in the same order and shape, as nodeVectors() in test/vectors.test.ts.</summary>
    private static JsonObject CsharpVectors()
    {
        const string Stack = "acme/orders-service/prod";
        const string Req = "chg_01JB8YQ3ZK";
        var exp = Now + TimeSpan.FromMinutes(15);
        var trustedKid = ApprovalToken.KeyIdOf(TrustedPublic);
        using var untrusted = Key.Import(SignatureAlgorithm.Ed25519, UntrustedSeed, KeyBlobFormat.RawPrivateKey);
        using var trusted = Key.Import(SignatureAlgorithm.Ed25519, TrustedSeed, KeyBlobFormat.RawPrivateKey);
        var untrustedKid = ApprovalToken.KeyIdOf(untrusted.PublicKey.Export(KeyBlobFormat.RawPublicKey));

        string M(string stack = Stack, string plan = Plan, ApprovalPurpose purpose = ApprovalPurpose.Apply, DateTimeOffset? expires = null, string? project = null, Key? key = null, BreakGlassClaim? glass = null)
        {
            var e = expires ?? exp;
            return ApprovalToken.Mint(key ?? trusted, new(stack, Req, plan, purpose, project, glass), e - TimeSpan.FromMinutes(15), e);
        }

        var basePayload = ApprovalToken.CanonicalJson(new Dictionary<string, object>
        {
            ["exp"] = exp.ToUnixTimeSeconds(), ["kid"] = trustedKid, ["plan"] = Plan, ["purpose"] = "apply", ["req"] = Req, ["stack"] = Stack, ["v"] = 1L,
        });
        var valid = M();
        var glass = M(glass: Glass);
        string GlassPayload(string purpose, bool withBy)
        {
            var claims = new Dictionary<string, object>
            {
                ["breakglass"] = Glass.Incident, ["exp"] = exp.ToUnixTimeSeconds(), ["kid"] = trustedKid, ["plan"] = Plan, ["purpose"] = purpose, ["req"] = Req, ["stack"] = Stack, ["v"] = 1L,
            };
            if (withBy)
            {
                claims["breakglass_by"] = Glass.By;
            }

            return ApprovalToken.CanonicalJson(claims);
        }

        JsonObject V(string name, string token, string result, string purpose = "apply", bool breakGlassAllowed = false)
        {
            var expect = new JsonObject { ["stack"] = Stack, ["plan"] = Plan, ["purpose"] = purpose, ["now"] = Now.ToUnixTimeSeconds() };
            if (breakGlassAllowed)
            {
                expect["breakGlassAllowed"] = true;
            }

            return new() { ["name"] = name, ["token"] = token, ["expect"] = expect, ["result"] = result };
        }

        return new JsonObject
        {
            ["description"] = "igt1 approval-token vectors; see docs/crossguard.md#token-format. Keys are the RFC 8032 section 7.1 TEST 1 (trusted) and TEST 2 (untrusted) keys.",
            ["generator"] = "tests/InfraGuard.Core.Tests/Approvals/ApprovalTokenVectorTests.cs",
            ["trustedKeys"] = new JsonObject { [trustedKid] = Convert.ToBase64String(TrustedPublic) },
            ["signers"] = new JsonObject
            {
                ["trusted"] = new JsonObject { ["seed"] = Convert.ToHexStringLower(TrustedSeed), ["kid"] = trustedKid },
                ["untrusted"] = new JsonObject { ["seed"] = Convert.ToHexStringLower(UntrustedSeed), ["kid"] = untrustedKid },
            },
            ["vectors"] = new JsonArray(
                V("valid-apply", valid, "valid"),
                V("valid-preview", M(purpose: ApprovalPurpose.Preview), "valid", "preview"),
                V("valid-bare-stack-with-project", M(stack: "prod", project: "orders-service"), "valid"),
                V("expired", M(expires: Now - TimeSpan.FromSeconds(1)), "expired"),
                V("expired-at-exp", M(expires: Now), "expired"),
                V("wrong-stack", M(stack: "acme/orders-service/staging"), "wrong-stack"),
                V("wrong-project-claim", M(stack: "prod", project: "billing"), "wrong-stack"),
                V("wrong-plan", M(plan: OtherPlan), "wrong-plan"),
                V("wrong-purpose", M(purpose: ApprovalPurpose.Preview), "wrong-purpose"),
                V("unknown-key", M(key: untrusted), "unknown-key"),
                V("forged-kid", ApprovalToken.SignPayload(untrusted, basePayload), "bad-signature"),
                V("tampered-payload", $"igt1.{M(stack: "acme/orders-service/staging").Split('.')[1]}.{valid.Split('.')[2]}", "bad-signature"),
                V("padded-signature", valid + "==", "bad-format"),
                V("non-canonical-payload", ApprovalToken.SignPayload(trusted, ReplaceFirst(basePayload, ",", ", ")), "bad-format"),
                V("valid-break-glass", glass, "valid", breakGlassAllowed: true),
                V("break-glass-tier-without", glass, "break-glass-not-allowed"),
                V("break-glass-claim-stripped", $"igt1.{valid.Split('.')[1]}.{glass.Split('.')[2]}", "bad-signature", breakGlassAllowed: true),
                V("break-glass-claim-added", $"igt1.{glass.Split('.')[1]}.{valid.Split('.')[2]}", "bad-signature", breakGlassAllowed: true),
                V("break-glass-half-claim", ApprovalToken.SignPayload(trusted, GlassPayload("apply", withBy: false)), "bad-format", breakGlassAllowed: true),
                V("break-glass-on-preview", ApprovalToken.SignPayload(trusted, GlassPayload("preview", withBy: true)), "bad-format", "preview", breakGlassAllowed: true)),
        };
    }

    private static readonly BreakGlassClaim Glass = new("INC-4711", "alice");

    private static string ReplaceFirst(string s, string what, string with)
    {
        var i = s.IndexOf(what, StringComparison.Ordinal);
        return s[..i] + with + s[(i + what.Length)..];
    }
}
