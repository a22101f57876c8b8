using InfraGuard.Core.Engine;


namespace InfraGuard.Pulumi.Tests;

public class PulumiArgumentsTests
{
    public static TheoryData<string> RefusedLongFlags =>
    [
        "--ignore-protect", "--skip-preview", "--target-replace", "--replace", "--plan", "--save-plan", "--event-log",
        "--yes", "--stack", "--cwd", "--non-interactive", "--color", "--json", "--output", "--policy-pack",
        "--policy-pack-config", "--show-secrets", "--exec-kind", "--client", "--exclude-protected", "--continue-on-error",
        "--refresh", "--strict", "--remote", "--disable-integrity-checking", "--import-file",
    ];

    [Theory]
    [MemberData(nameof(RefusedLongFlags))]
    public void Check_RefusedFlagAlone_RefusedWithReason(string flag)
    {
        var check = PulumiArguments.Check([flag]);

        Assert.False(check.IsAllowed);
        Assert.Equal(flag, check.Argument);
        Assert.StartsWith($"Engine argument '{flag}' is not allowed: ", check.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RefusedLongFlags))]
    public void Check_RefusedFlagEqualsForm_Refused(string flag)
    {
        var check = PulumiArguments.Check(["--parallel", "4", flag + "=value"]);

        Assert.Equal(flag + "=value", check.Argument);
    }

    [Theory]
    [MemberData(nameof(RefusedLongFlags))]
    public void Check_RefusedFlagSeparateValueForm_Refused(string flag)
    {
        var check = PulumiArguments.Check(["--message", "deploy", flag, "value"]);

        Assert.Equal(flag, check.Argument);
    }

    [Theory]
    [InlineData("-f", "--skip-preview")]
    [InlineData("-y", "--yes")]
    [InlineData("-s", "--stack")]
    [InlineData("-j", "--json")]
    [InlineData("-r", "--refresh")]
    [InlineData("-C", "--cwd")]
    [InlineData("-sprod", "--stack")]
    [InlineData("-s=prod", "--stack")]
    [InlineData("-dy", "--yes")]
    [InlineData("-df", "--skip-preview")]
    public void Check_RefusedShortFlag_RefusedNamingLongForm(string argument, string longName)
    {
        var check = PulumiArguments.Check([argument]);

        Assert.Equal(argument, check.Argument);
        Assert.Contains(longName, check.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--target", "urn:pulumi:prod::shop::aws:s3/bucket:Bucket::b")]
    [InlineData("--target=urn:pulumi:prod::shop::aws:s3/bucket:Bucket::b")]
    [InlineData("-t", "urn:x", "--target-dependents")]
    [InlineData("--exclude", "urn:x", "--exclude-dependents")]
    [InlineData("--parallel", "4")]
    [InlineData("-p", "4")]
    [InlineData("--message", "scale the cache")]
    [InlineData("-m", "msg")]
    [InlineData("--diff", "--expect-no-changes", "--show-sames")]
    [InlineData("--config", "aws:region=eu-west-1")]
    [InlineData("-c", "app:replicas=3")]
    [InlineData("--refresh=false")]
    [InlineData("--debug", "-v", "3")]
    [InlineData("--some-future-flag", "value")]
    public void Check_AllowedFlags_Pass(params string[] arguments)
    {
        var check = PulumiArguments.Check(arguments);

        Assert.True(check.IsAllowed, check.Reason);
        Assert.Same(EngineArgumentsCheck.Allowed, check);
    }

    [Fact]
    public void Check_Empty_Allowed() => Assert.True(PulumiArguments.Check([]).IsAllowed);

    [Theory]
    [InlineData("https://github.com/pulumi/templates/aws-typescript")]
    [InlineData("--diff", "template")]
    [InlineData("--")]
    public void Check_PositionalArgument_Refused(params string[] arguments)
    {
        var check = PulumiArguments.Check(arguments);

        Assert.False(check.IsAllowed);
        Assert.Equal(arguments[^1], check.Argument);
    }

    [Fact]
    public void Check_SeveralRefused_ReportsTheFirst()
    {
        var check = PulumiArguments.Check(["--diff", "--yes", "--skip-preview"]);

        Assert.Equal("--yes", check.Argument);
    }
}
