using System.Text;
using InfraGuard.Core.Audit;
using InfraGuard.Testing.Audit;

namespace InfraGuard.Core.Tests.Audit;

public class AuditChainTests
{
    [Fact]
    public void Ed25519AuditSigner_Rfc8032TestVector1_MatchesPublicKeyAndSignature()
    {
        using var signer = Ed25519AuditSigner.FromSeed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));

        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(signer.PublicKey.Span));
        Assert.Equal(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(signer.Sign([])));
    }

    [Fact]
    public void ComputeEntryHash_SpecifiedPreimage_EqualsSha256OfTaggedLines()
    {
        var payload = """{"at":"2026-11-25T16:00:00.000Z","type":"x"}"""u8.ToArray();
        var preimage = Encoding.UTF8.GetBytes("infraguard-audit-v1\n1\n" + AuditChain.GenesisHash + "\n").Concat(payload).ToArray();

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(preimage)), AuditChain.ComputeEntryHash(1, AuditChain.GenesisHash, payload));
    }

    [Fact]
    public void Build_FixedSeed_MatchesGoldenVectors()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        var log = TestChain.Build(signer, 3, 3);
        var lines = Golden.Lines();

        Assert.Equal(lines["key_id"], signer.KeyId);
        Assert.Equal(lines["payload_1"], Encoding.UTF8.GetString(log.Entries[0].Payload));
        Assert.Equal(lines["entry_hash_1"], log.Entries[0].EntryHash);
        Assert.Equal(lines["signature_1"], log.Entries[0].Signature);
        Assert.Equal(lines["entry_hash_3"], log.Entries[2].EntryHash);
        Assert.Equal(lines["checkpoint_1"], Encoding.UTF8.GetString(log.Checkpoints[0].Body).Replace("\n", "|", StringComparison.Ordinal));
        Assert.Equal(lines["checkpoint_1_signature"], log.Checkpoints[0].Signature);
    }

    [Fact]
    public void Next_NonCanonicalPayload_IsRefused()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        Assert.Throws<CanonicalJsonException>(() => AuditChain.Next(AuditHead.Empty, """{"type":"x", "at":"y"}"""u8.ToArray(), signer));
    }

    [Fact]
    public void Next_AfterHead_LinksAndSignsVerifiably()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        var first = AuditChain.Next(AuditHead.Empty, TestChain.Event(1, TestChain.Start), signer);
        var second = AuditChain.Next(new AuditHead(first.Seq, first.EntryHash), TestChain.Event(2, TestChain.Start), signer);

        Assert.Equal(2, second.Seq);
        Assert.Equal(first.EntryHash, second.PrevHash);
        Assert.Equal("cr_000000000002", second.Subject);
        Assert.True(AuditKeys.Verify(signer.PublicKey.Span, AuditChain.EntryStatement(2, second.EntryHash), Convert.FromBase64String(second.Signature)));
    }

    [Fact]
    public void KeyIdOf_PublicKey_IsPrefixedSha256Prefix()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        var expected = "ed25519:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(signer.PublicKey.Span))[..16];
        Assert.Equal(expected, signer.KeyId);
    }

    [Fact]
    public void PrivateKeyPem_RoundTrip_GivesSameKey()
    {
        using var signer = Ed25519AuditSigner.FromSeed(TestChain.Seed);
        var pem = AuditKeys.PrivateKeyPem(signer.ExportSeed());

        using var fromPem = AuditKeys.ParsePrivateKey(pem);
        using var fromBase64 = AuditKeys.ParsePrivateKey(Convert.ToBase64String(TestChain.Seed));

        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI", pem, StringComparison.Ordinal);
        Assert.Equal(signer.KeyId, fromPem.KeyId);
        Assert.Equal(signer.KeyId, fromBase64.KeyId);
        Assert.Equal(signer.PublicKey.ToArray(), AuditKeys.ParsePublicKeyPem(AuditKeys.PublicKeyPem(signer.PublicKey.Span)));
    }

    [Fact]
    public void ParsePrivateKey_Garbage_SaysWhatIsExpected()
    {
        var ex = Assert.Throws<FormatException>(() => AuditKeys.ParsePrivateKey("not a key"));
        Assert.Contains("PKCS#8 PEM", ex.Message, StringComparison.Ordinal);
    }
}
