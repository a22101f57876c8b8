using InfraGuard.Core.Engine;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests;

public class PulumiEngineCheckTests
{
    [Fact]
    public async Task CheckAsync_CurrentStandIn_ReturnsVersionAndPath()
    {
        using var session = new StandInSession();
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var info = await engine.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new EngineInfo("pulumi", "3.259.0", StandInPulumi.Executable), info);
        // Both run at once, so only the set of commands is fixed, not their order.
        Assert.Equal(["version", "whoami --non-interactive"], session.Invocations().Select(a => string.Join(' ', a)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("v3.236.9")]
    [InlineData("v2.25.2")]
    public async Task CheckAsync_VersionBelowMinimum_ThrowsNamingBothVersions(string version)
    {
        using var session = new StandInSession(environment: ("STANDIN_VERSION", version));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.CheckAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"v{version.TrimStart('v')}", error.Message, StringComparison.Ordinal);
        Assert.Contains("too old", error.Message, StringComparison.Ordinal);
        Assert.Contains("v3.237.0 or newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_MinimumVersionWithSuffix_Accepted()
    {
        using var session = new StandInSession(environment: ("STANDIN_VERSION", "v3.237.0-alpha.1"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var info = await engine.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal("3.237.0", info.Version);
    }

    [Fact]
    public async Task CheckAsync_CliNotOnPath_ThrowsWithInstallHint()
    {
        using var session = new StandInSession();
        var emptyPath = Directory.CreateDirectory(Path.Combine(session.Folder, "empty-bin")).FullName;
        var options = session.Options() with { Environment = new Dictionary<string, string?> { ["PATH"] = emptyPath } };
        var engine = new PulumiEngine(options, TimeProvider.System);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.CheckAsync(TestContext.Current.CancellationToken));

        Assert.Contains("was not found on PATH", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://www.pulumi.com/docs/install/", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckAsync_NotLoggedIn_ThrowsWithLoginHint()
    {
        using var session = new StandInSession(environment: ("STANDIN_FAIL", "whoami"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.CheckAsync(TestContext.Current.CancellationToken));

        Assert.Contains("not logged in", error.Message, StringComparison.Ordinal);
        Assert.Contains("PULUMI_ACCESS_TOKEN must be set", error.Message, StringComparison.Ordinal);
        Assert.Contains("pulumi login", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FingerprintStateAsync_UnknownStack_ThrowsWithStackHint()
    {
        using var session = new StandInSession(environment: ("STANDIN_STACKS", "dev,staging"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.FingerprintStateAsync(session.Target(), TestContext.Current.CancellationToken));

        Assert.Contains("Stack 'prod' was not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("no stack named 'prod' found", error.Message, StringComparison.Ordinal);
        Assert.Contains("pulumi stack ls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreviewAsync_UnknownStack_ThrowsWithStackHint()
    {
        using var session = new StandInSession(environment: ("STANDIN_STACKS", "dev"));
        var engine = new PulumiEngine(session.Options(), TimeProvider.System);

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.PreviewAsync(session.Target(), EngineRunOptions.None, TestContext.Current.CancellationToken));

        Assert.Contains("Stack 'prod' was not found", error.Message, StringComparison.Ordinal);
    }
}
