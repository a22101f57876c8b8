namespace InfraGuard.Cli.Tests;

public class CliAppTests
{
    [Theory]
    [InlineData("root", new string[] { "--help" })]
    [InlineData("check", new[] { "check", "--help" })]
    [InlineData("policy", new[] { "policy", "--help" })]
    [InlineData("up", new[] { "up", "--help" })]
    [InlineData("approve", new[] { "approve", "--help" })]
    [InlineData("audit", new[] { "audit", "--help" })]
    [InlineData("mcp", new[] { "mcp", "--help" })]
    public async Task Help_Command_MatchesGolden(string name, string[] args)
    {
        var result = await Cli.RunAsync(args);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Golden.Match($"help-{name}", result.Out);
    }

    [Fact]
    public async Task Run_UnknownCommand_IsUsageErrorOnStderr()
    {
        var result = await Cli.RunAsync(["frobnicate"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("frobnicate", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Out);
    }
}
