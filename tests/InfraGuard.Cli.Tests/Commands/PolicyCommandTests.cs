namespace InfraGuard.Cli.Tests.Commands;

public class PolicyCommandTests
{
    [Fact]
    public async Task Validate_ShippedPack_IsValid()
    {
        var result = await Cli.RunAsync(["policy", "validate", "policy-packs/infraguard"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.StartsWith("valid: ", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_EmbeddedDefault_EqualsShippedFile()
    {
        var embedded = await Cli.RunAsync(["policy", "validate"]);
        var shipped = await Cli.RunAsync(["policy", "validate", "policy-packs/infraguard"]);

        Assert.Equal(shipped.Out, embedded.Out);
    }

    [Fact]
    public async Task Validate_TypoInTier_ReportsFileLineColumn()
    {
        var dir = Directory.CreateTempSubdirectory("ig-policy-");
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(dir.FullName, "policy.yaml"),
                "apiVersion: infraguard/v1\ntiers:\n  production:\n    stacks: [prod]\n    treshold: 40\nrules: []\n",
                TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["policy", "validate", dir.FullName]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains("policy.yaml:5:5", result.Error, StringComparison.Ordinal);
            Assert.Contains("treshold", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Validate_PathologicalGlob_RefusedWithFileLineColumnAndLimit()
    {
        var dir = Directory.CreateTempSubdirectory("ig-policy-");
        try
        {
            await File.WriteAllTextAsync(
                Path.Combine(dir.FullName, "policy.yaml"),
                "apiVersion: infraguard/v1\ntiers:\n  dev: { default: true, review-at: 10 }\nrules:\n  - id: slow\n    summary: s\n    match: { types: [\"*a*a*a*a*a*a*a*a*a*a*a*ac\"] }\n    score: 1\n",
                TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["policy", "validate", dir.FullName]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains("policy.yaml:7:22: bad glob '*a*a*a*a*a*a*a*a*a*a*a*ac' in 'types' of rule 'slow': the pattern has 12 '*' wildcards; at most 10 are allowed", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Explain_KnownRule_DescribesIt()
    {
        var result = await Cli.RunAsync(["policy", "explain", "stateful-delete"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("stateful-delete", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_UnknownRule_ListsKnownRules()
    {
        var result = await Cli.RunAsync(["policy", "explain", "no-such-rule"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("Known rules:", result.Error, StringComparison.Ordinal);
    }
}
