using System.Security.Claims;
using InfraGuard.Server.Auth;
using InfraGuard.Server.Mcp;

namespace InfraGuard.Server.Tests;

/// <summary>Who an agent on <c>/mcp</c> acts for: what its credential proves wins; a header can only fill in what it leaves open.</summary>
public sealed class McpPrincipalTests
{
    [Fact]
    public void PrincipalOf_CiTokenProvesTheActor_HeaderNamingSomeoneElse_Refused()
    {
        var ci = User(("ci:agents", null), (ApiClaims.Requester, "github:alice"), (ApiClaims.Attested, "true"));

        var (principal, refusal) = McpSetup.PrincipalOf(ci, "github:mallory");

        Assert.Null(principal);
        Assert.Contains("acts for github:alice", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void PrincipalOf_CiTokenProvesTheActor_NoHeaderOrTheSame_IsThatActor()
    {
        var ci = User(("ci:agents", null), (ApiClaims.Requester, "github:alice"), (ApiClaims.Attested, "true"));

        Assert.Equal(("github:alice", (string?)null), McpSetup.PrincipalOf(ci, null));
        Assert.Equal(("github:alice", (string?)null), McpSetup.PrincipalOf(ci, "github:alice"));
    }

    [Fact]
    public void PrincipalOf_StaticToken_HeaderNamesThePrincipal_UnattestedRequesterClaimIsNoProof()
    {
        var token = User(("agent:claude", null), (ApiClaims.Requester, "github:alice"));

        Assert.Equal(("github:bob", (string?)null), McpSetup.PrincipalOf(token, "github:bob"));
        Assert.Equal(((string?)null, (string?)null), McpSetup.PrincipalOf(token, null));
    }

    private static ClaimsPrincipal User((string Identity, string? _) who, params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity([new Claim(ApiClaims.Identity, who.Identity), .. claims.Select(c => new Claim(c.Type, c.Value))], ApiClaims.Scheme));
}
