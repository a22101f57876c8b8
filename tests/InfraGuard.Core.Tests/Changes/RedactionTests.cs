using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Tests.Changes;

public class RedactionTests
{
    [Theory]
    [InlineData("password", true)]
    [InlineData("masterUserPassword", true)]
    [InlineData("client_secret", true)]
    [InlineData("private_key_pem", true)]
    [InlineData("instanceClass", false)]
    [InlineData("allocated_storage", false)]
    [InlineData("api_token", true)]
    [InlineData("http_tokens", false)]
    public void IsSecretLookingName_CommonNames_Classified(string name, bool expected) =>
        Assert.Equal(expected, Redaction.IsSecretLookingName(name));

    [Fact]
    public void RedactSecretLookingNames_NestedPassword_ReplacedByMarker()
    {
        var node = JsonNode.Parse("""{"engine":"postgres","nested":[{"db_password":"foobarbaz"}]}""");

        Redaction.RedactSecretLookingNames(node);

        Assert.DoesNotContain("foobarbaz", node!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(Redaction.SecretMarker, (string?)node["nested"]![0]!["db_password"]);
        Assert.Equal("postgres", (string?)node["engine"]);
    }
}
