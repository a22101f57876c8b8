namespace InfraGuard.Cli.Tests.Commands;

public sealed class McpCommandTests
{
    [Fact]
    public async Task Mcp_InvalidUpstreamsFile_Exit65NamingFileLineAndNothingOnStdout()
    {
        var dir = Directory.CreateTempSubdirectory("ig-mcp-cli-").FullName;
        try
        {
            var file = Path.Combine(dir, "upstreams.yaml");
            await File.WriteAllTextAsync(file, "upstreams:\n  db:\n    command: node\n    tools: { query: Read }\n", TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["mcp", "--upstreams", file, "--server", "http://127.0.0.1:9"]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains("upstreams.yaml:4:21: tool 'query' of upstream 'db' must be an action kind", result.Error, StringComparison.Ordinal);
            Assert.Equal(string.Empty, result.Out);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Mcp_NoServer_UsageError()
    {
        var result = await Cli.RunAsync(["mcp", "--upstreams", "u.yaml"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--server", result.Error, StringComparison.Ordinal);
    }
}
