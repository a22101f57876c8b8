using System.CommandLine;
using InfraGuard.Core.Context;
using InfraGuard.Core.Policy;
using InfraGuard.Mcp;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Server;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// <c>infraguard mcp --upstreams FILE --server URL</c>: an MCP server on stdin/stdout for an agent, in front of the
/// upstream MCP servers the file names. Every tool call is scored by the approval server (<c>POST /api/v1/actions</c>),
/// risky ones wait for an independent decision, and only then reach the upstream, once, with the approved arguments.
/// stdout is the MCP channel: every human line goes to stderr.
/// </summary>
internal static class McpCommand
{
    /// <summary>How often a waiting call reports progress; between reports it long-polls the server, so a decision is seen at once.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    public static Command Build(CliContext context)
    {
        var upstreams = new Option<string>("--upstreams") { Description = "The upstreams file: each upstream MCP server (command or url), its namespace, and the action kind of each tool", HelpName = "FILE", Required = true };
        var server = new Option<string>("--server") { Description = $"The approval server that scores every call (credential: the CI's OIDC token, else ${Remote.RemoteConnection.TokenVariable})", HelpName = "URL", Required = true };
        var wait = new Option<string>("--wait") { Description = "How long a call waits for a decision at most (e.g. 30m; 0: answer 'pending' at once, ask infraguard.request_status, re-issue once approved); default: until its request expires", HelpName = "DURATION" };
        var onBehalfOf = new Option<string>("--on-behalf-of") { Description = "The person the agent acts for (they cannot approve its calls)", HelpName = "ID" };
        var jobType = new Option<string>("--job-type") { Description = "Job label rules can match", HelpName = "TYPE" };
        var command = new Command("mcp", "Serve MCP on stdio in front of the upstream MCP servers an agent uses: harmless tool calls pass through, risky ones wait for an independent approval, blocked ones are refused.")
        {
            upstreams, server, wait, onBehalfOf, jobType,
        };
        command.SetAction((parse, ct) => RunAsync(
            context,
            parse.GetValue(upstreams)!,
            Options.ServerUri(parse.GetValue(server))!,
            parse.GetValue(wait) is { } w ? ParseDuration(w) : null,
            parse.GetValue(onBehalfOf),
            parse.GetValue(jobType),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string file, Uri server, TimeSpan? wait, string? onBehalfOf, string? jobType, CancellationToken cancellationToken)
    {
        IReadOnlyList<Upstream> upstreams;
        var path = context.Resolve(file);
        try
        {
            upstreams = UpstreamsFile.Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), Path.GetRelativePath(context.WorkingDirectory, path));
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"--upstreams {file}: no such file. Write one that names each upstream MCP server (see 'infraguard mcp --help' and docs).");
        }
        catch (PolicyException e)
        {
            await context.Error.WriteLineAsync(string.Join('\n', e.Errors.Select(x => x.ToString()))).ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        var run = RunContextDetector.Detect(context.GetEnvironment, new RunContextOverrides(null, Core.Policy.ActorKind.Agent, onBehalfOf));
        using var loggers = LoggerFactory.Create(b => b
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace) // stdout is the MCP channel
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("ModelContextProtocol", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Information));
        using var remote = Remote.RemoteConnection.Open(context, server);
        try
        {
            await using var gateway = await McpGateway.ConnectAsync(
                upstreams,
                context.GetEnvironment,
                remote.Store,
                remote.Store,
                context.Time,
                new GatewayOptions(run.OnBehalfOf, jobType, wait, ProgressInterval, ProgressInterval),
                loggers,
                cancellationToken).ConfigureAwait(false);
            await context.Error.WriteLineAsync($"InfraGuard MCP gateway: {gateway.ToolNames.Count} tools from {upstreams.Count} upstreams, every call scored by {server}. Serving MCP on stdio.").ConfigureAwait(false);
            var options = gateway.ServerOptions();
            await using var transport = new StdioServerTransport(options, loggers);
            await using var mcp = McpServer.Create(transport, options, loggers);
            await mcp.RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (UpstreamException e)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Unavailable;
        }
    }

    private static TimeSpan ParseDuration(string text) =>
        text is "0" or "0s" ? TimeSpan.Zero
        : Duration.TryParse(text, out var value) && value > TimeSpan.Zero
            ? value
            : throw new UsageException($"--wait '{text}' is not a duration; use a number with s, m, h or d, e.g. 30m, or 0 to answer 'pending' at once.");
}
