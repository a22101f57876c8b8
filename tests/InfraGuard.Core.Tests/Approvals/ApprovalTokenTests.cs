using System.Security.Cryptography;
using System.Text;
using InfraGuard.Core.Approvals;
using NSec.Cryptography;

namespace InfraGuard.Core.Tests.Approvals;

public class ApprovalTokenTests
{
    // RFC 8032 section 7.1 TEST 1 / TEST 2 key pairs: published values, so the public key is known independently.
    internal static readonly byte[] TrustedSeed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    internal static readonly byte[] UntrustedSeed = Convert.FromHexString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
    internal static readonly byte[] TrustedPublic = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    internal const string Plan = "ccebcb7005114873314adc8da1f8b77e4ee3af06a6e1b9501db58996857433c1";
    internal const string OtherPlan = "b8ff55f311117f104fe13a6866a465c6147cef528b0a87806f1c5a29acd2c858";
    internal static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1767225600);

    private static readonly ApprovalKeyRing Keys = ApprovalKeyRing.FromPublicKeys([TrustedPublic]);
    private static readonly ApprovalExpectation Expect = new("acme/orders-service/prod", Plan, ApprovalPurpose.Apply);

    private static string Mint(ApprovalTokenRequest? request = null, byte[]? seed = null, DateTimeOffset? expires = null) =>
        ApprovalToken.Mint(
            seed ?? TrustedSeed,
            request ?? new("acme/orders-service/prod", "chg_01JB8YQ3ZK", Plan, ApprovalPurpose.Apply),
            Now - TimeSpan.FromMinutes(1),
            expires ?? Now + TimeSpan.FromMinutes(15));

    [Fact]
    public void KeyIdOf_Rfc8032Key_IsPrefixOfSha256()
    {
        var expected = "ed25519:" + Convert.ToHexStringLower(SHA256.HashData(TrustedPublic))[..16];

        Assert.Equal(expected, ApprovalToken.KeyIdOf(TrustedPublic));
        Assert.Throws<ArgumentException>(() => ApprovalToken.KeyIdOf(new byte[31]));
    }

    [Fact]
    public void Mint_FixedSeed_PayloadIsCanonicalJsonAndVerifies()
    {
        var token = Mint();

        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]));
        Assert.Equal(
            $$"""{"exp":1767226500,"kid":"{{ApprovalToken.KeyIdOf(TrustedPublic)}}","plan":"{{Plan}}","purpose":"apply","req":"chg_01JB8YQ3ZK","stack":"acme/orders-service/prod","v":1}""",
            payload);
        var result = ApprovalToken.Verify(token, Keys, Expect, Now);
        Assert.True(result.IsValid, result.Detail);
        Assert.Equal("chg_01JB8YQ3ZK", result.Claims!.RequestId);
        Assert.Equal(Now + TimeSpan.FromMinutes(15), result.Claims.ExpiresAt);
    }

    [Fact]
    public void Mint_ExpiryNotAfterNow_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Mint(expires: Now - TimeSpan.FromMinutes(1)));
        Assert.Contains("expire after now", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme/orders-service/prod", "PLAN", "chg", "plan must be 64 lowercase hex")]
    [InlineData("acme/prod", null, "chg", "stack must be")]
    [InlineData("acme/orders-service/prod", null, "", "req must be")]
    public void Mint_MalformedClaim_ThrowsNamingIt(string stack, string? plan, string req, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Mint(new(stack, req, plan ?? Plan, ApprovalPurpose.Apply)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EachRefusal_ReportsItsReason()
    {
        (string Token, ApprovalExpectation Expect, ApprovalTokenStatus Status)[] cases =
        [
            (Mint(expires: Now), Expect, ApprovalTokenStatus.Expired),
            (Mint(new("acme/orders-service/staging", "r", Plan, ApprovalPurpose.Apply)), Expect, ApprovalTokenStatus.WrongStack),
            (Mint(new("acme/billing/prod", "r", Plan, ApprovalPurpose.Apply)), Expect, ApprovalTokenStatus.WrongStack),
            (Mint(new("prod", "r", Plan, ApprovalPurpose.Apply, Project: "billing")), Expect, ApprovalTokenStatus.WrongStack),
            (Mint(new("acme/orders-service/prod", "r", OtherPlan, ApprovalPurpose.Apply)), Expect, ApprovalTokenStatus.WrongPlan),
            (Mint(new("acme/orders-service/prod", "r", Plan, ApprovalPurpose.Preview)), Expect, ApprovalTokenStatus.WrongPurpose),
            (Mint(seed: UntrustedSeed), Expect, ApprovalTokenStatus.UnknownKey),
            (Mint(), Expect with { PlanHash = null }, ApprovalTokenStatus.Valid),
            (Mint(new("prod", "r", Plan, ApprovalPurpose.Apply, Project: "orders-service")), Expect, ApprovalTokenStatus.Valid),
        ];

        foreach (var (token, expect, status) in cases)
        {
            Assert.Equal(status, ApprovalToken.Verify(token, Keys, expect, Now).Status);
        }
    }

    [Fact]
    public void Verify_TamperedOrMalformed_IsRefused()
    {
        var token = Mint();
        var parts = token.Split('.');
        var otherPayload = Mint(new("acme/orders-service/staging", "chg_01JB8YQ3ZK", Plan, ApprovalPurpose.Apply)).Split('.')[1];
        var flipped = System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]);
        flipped[0] ^= 1;

        Assert.Equal(ApprovalTokenStatus.BadSignature, ApprovalToken.Verify($"igt1.{otherPayload}.{parts[2]}", Keys, Expect, Now).Status);
        Assert.Equal(ApprovalTokenStatus.BadSignature, ApprovalToken.Verify($"igt1.{parts[1]}.{System.Buffers.Text.Base64Url.EncodeToString(flipped)}", Keys, Expect, Now).Status);
        Assert.Equal(ApprovalTokenStatus.BadFormat, ApprovalToken.Verify(token + "==", Keys, Expect, Now).Status);
        Assert.Equal(ApprovalTokenStatus.BadFormat, ApprovalToken.Verify(token.Replace("igt1.", "igt2.", StringComparison.Ordinal), Keys, Expect, Now).Status);
        Assert.Equal(ApprovalTokenStatus.BadFormat, ApprovalToken.Verify(token + ".x", Keys, Expect, Now).Status);
        Assert.Equal(ApprovalTokenStatus.BadFormat, ApprovalToken.Verify("", Keys, Expect, Now).Status);
    }

    [Theory]
    [InlineData("""{"exp":1767226500, "kid":"KID","plan":"PLAN","purpose":"apply","req":"r","stack":"prod","v":1}""")]
    [InlineData("""{"admin":1,"exp":1767226500,"kid":"KID","plan":"PLAN","purpose":"apply","req":"r","stack":"prod","v":1}""")]
    [InlineData("""{"exp":1767226500.5,"kid":"KID","plan":"PLAN","purpose":"apply","req":"r","stack":"prod","v":1}""")]
    [InlineData("""{"exp":1767226500,"exp":1767226500,"kid":"KID","plan":"PLAN","purpose":"apply","req":"r","stack":"prod","v":1}""")]
    [InlineData("""{"exp":1767226500,"kid":"KID","plan":"PLAN","purpose":"apply","req":"r","stack":"prod","v":2}""")]
    public void Verify_SignedButNotCanonicalOrNotSchema_IsBadFormat(string payloadTemplate)
    {
        var payload = payloadTemplate.Replace("KID", ApprovalToken.KeyIdOf(TrustedPublic), StringComparison.Ordinal).Replace("PLAN", Plan, StringComparison.Ordinal);
        using var key = Key.Import(SignatureAlgorithm.Ed25519, TrustedSeed, KeyBlobFormat.RawPrivateKey);

        var result = ApprovalToken.Verify(ApprovalToken.SignPayload(key, payload), Keys, Expect with { Stack = "prod" }, Now);

        Assert.Equal(ApprovalTokenStatus.BadFormat, result.Status);
    }

    [Fact]
    public void Verify_ForgedKidOfTrustedKey_IsBadSignature()
    {
        var payload = ApprovalToken.CanonicalJson(new Dictionary<string, object>
        {
            ["exp"] = 1767226500L, ["kid"] = ApprovalToken.KeyIdOf(TrustedPublic), ["plan"] = Plan, ["purpose"] = "apply",
            ["req"] = "r", ["stack"] = "acme/orders-service/prod", ["v"] = 1L,
        });
        using var attacker = Key.Import(SignatureAlgorithm.Ed25519, UntrustedSeed, KeyBlobFormat.RawPrivateKey);

        Assert.Equal(ApprovalTokenStatus.BadSignature, ApprovalToken.Verify(ApprovalToken.SignPayload(attacker, payload), Keys, Expect, Now).Status);
    }

    [Fact]
    public void CanonicalJson_EscapesLikeJsonStringify()
    {
        var json = ApprovalToken.CanonicalJson(new Dictionary<string, object> { ["b"] = 1L, ["a"] = "x\"y\\\n\u0001é\U0001F600", ["B"] = 2L });

        Assert.Equal("{\"B\":2,\"a\":\"x\\\"y\\\\\\n\\u0001é\U0001F600\",\"b\":1}", json);
    }

    [Fact]
    public void CanonicalJson_LoneSurrogate_IsRefusedNotSigned()
    {
        var ex = Assert.Throws<ArgumentException>(() => ApprovalToken.CanonicalJson(new Dictionary<string, object> { ["stack"] = "prod\ud800" }));

        Assert.Contains("canonical JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyRingFromConfig_KidNotMatchingKey_ThrowsWithTheRightId()
    {
        var b64 = Convert.ToBase64String(TrustedPublic);

        var ex = Assert.Throws<FormatException>(() => ApprovalKeyRing.FromConfig(new Dictionary<string, string> { ["ed25519:0000000000000000"] = b64 }));

        Assert.Contains(ApprovalToken.KeyIdOf(TrustedPublic), ex.Message, StringComparison.Ordinal);
        var ring = ApprovalKeyRing.FromConfig(new Dictionary<string, string> { [ApprovalToken.KeyIdOf(TrustedPublic)] = b64 });
        Assert.Equal(b64, ring.ToConfig()[ApprovalToken.KeyIdOf(TrustedPublic)]);
    }
}
