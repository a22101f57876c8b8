using Microsoft.Extensions.Options;

namespace InfraGuard.Server.Tests;

/// <summary><c>Server:Mcp:Upstreams</c> is checked when the server starts: a mistake stops it, naming the file and line.</summary>
public sealed class McpServerSettingsTests : IDisposable
{
    private readonly ApiWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Serve_UpstreamsFileWithAMistake_DoesNotStart_NamesTheFileAndLine()
    {
        var file = Path.Combine(_world.Root, "upstreams.yaml");
        await File.WriteAllTextAsync(file, "upstreams:\n  db:\n    command: node\n    tools: { query: NotAKind }\n", TestContext.Current.CancellationToken);
        var port = OidcIssuerTests.FreePort();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ExecEndToEndTests.StartServerAsync(
            _world, port, $"http://127.0.0.1:{port}", new Dictionary<string, string?> { ["Server:Mcp:Upstreams"] = file }));

        Assert.Contains($"Server:Mcp:Upstreams has mistakes: {file}:4:", e.Message, StringComparison.Ordinal);
        Assert.Contains("must be an action kind of the policy pack", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_UpstreamsFileMissing_DoesNotStart_SaysWhatToDo()
    {
        var port = OidcIssuerTests.FreePort();

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ExecEndToEndTests.StartServerAsync(
            _world, port, $"http://127.0.0.1:{port}", new Dictionary<string, string?> { ["Server:Mcp:Upstreams"] = Path.Combine(_world.Root, "nope.yaml") }));

        Assert.Contains("does not exist; point it at an upstreams file", e.Message, StringComparison.Ordinal);
    }
}
