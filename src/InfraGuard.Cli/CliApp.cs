using System.CommandLine;
using System.Reflection;
using InfraGuard.Cli.Commands;

namespace InfraGuard.Cli;

/// <summary>Builds the command tree and maps every outcome to an exit code.</summary>
internal static class CliApp
{
    public static string Version { get; } =
        typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Command BuildRoot(CliContext context)
    {
        // A named root (not RootCommand, which takes the host executable's name) so help reads "infraguard"
        // whether it runs as the apphost, via `dotnet infraguard.dll`, or in-process in tests.
        var root = new Command("infraguard", "InfraGuard: a human approval gate for risky infrastructure changes.")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };
        root.Add(CheckCommand.Build(context));
        root.Add(UpCommand.Build(context));
        root.Add(ExecCommand.Build(context));
        root.Add(McpCommand.Build(context));
        root.Add(DecideCommand.Build(context, Core.Requests.Verdict.Approve));
        root.Add(DecideCommand.Build(context, Core.Requests.Verdict.Reject));
        root.Add(RequestsCommand.Build(context));
        root.Add(FlowCommands.Delegate(context));
        root.Add(FlowCommands.Reviews(context));
        root.Add(AuditCommand.Build(context));
        root.Add(KeysCommand.Build(context));
        root.Add(PolicyCommand.Build(context));
        root.Add(ServeCommand.Build(context));
        root.Add(TokensCommand.Build(context));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await context.Error.WriteLineAsync($"Error: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync($"Run 'infraguard {CommandPath(parse)} --help' for usage.".Replace("  ", " ", StringComparison.Ordinal)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        catch (Store.StoreUnavailableException e)
        {
            await context.Error.WriteLineAsync($"Error: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Unavailable;
        }
        catch (OperationCanceledException)
        {
            await context.Error.WriteLineAsync("Cancelled.").ConfigureAwait(false);
            return ExitCodes.Internal;
        }
#pragma warning disable CA1031 // The last line of defence: any bug becomes exit 70 with a message, never a stack trace on stdout.
        catch (Exception e)
#pragma warning restore CA1031
        {
            await context.Error.WriteLineAsync($"Internal error: {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
            await context.Error.WriteLineAsync("This is a bug in InfraGuard; please report it with the command you ran.").ConfigureAwait(false);
            return ExitCodes.Internal;
        }
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            if (r.Parent is not null)
            {
                names.Insert(0, r.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}

/// <summary>A usage error found after parsing (e.g. two mutually exclusive options). Exit 64.</summary>
internal sealed class UsageException(string message) : Exception(message);
