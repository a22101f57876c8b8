namespace InfraGuard.Pulumi.Tests;

public class PulumiVersionTests
{
    [Theory]
    [InlineData("v3.259.0\n", 3, 259, 0)]
    [InlineData("3.120.0", 3, 120, 0)]
    [InlineData("v3.260.1-dev.0", 3, 260, 1)]
    [InlineData("v3.237.0+dirty", 3, 237, 0)]
    public void TryParse_CliOutput_Parsed(string text, int major, int minor, int patch)
    {
        Assert.True(PulumiVersion.TryParse(text, out var version));
        Assert.Equal(new PulumiVersion(major, minor, patch), version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("pulumi")]
    [InlineData("v3.259")]
    [InlineData("warning: A new version of Pulumi is available")]
    public void TryParse_NotAVersion_False(string text) =>
        Assert.False(PulumiVersion.TryParse(text, out _));

    [Theory]
    [InlineData("v3.236.99", true)]
    [InlineData("v2.99.0", true)]
    [InlineData("v3.237.0", false)]
    [InlineData("v3.237.1", false)]
    [InlineData("v4.0.0", false)]
    public void IsOlderThan_Minimum_ComparesNumerically(string text, bool older)
    {
        Assert.True(PulumiVersion.TryParse(text, out var version));

        Assert.Equal(older, version!.IsOlderThan(PulumiVersion.Minimum));
    }
}
