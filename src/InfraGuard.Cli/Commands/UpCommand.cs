using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Context;
using InfraGuard.Core.Engine;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Runs;
using InfraGuard.Pulumi;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard up</c>: the guarded <c>pulumi up</c>.</summary>
internal static class UpCommand
{
    private static readonly TimeSpan PreviewTokenLifetime = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan ApplyTokenLifetime = TimeSpan.FromMinutes(30);

    public static Command Build(CliContext context)
    {
        var stack = new Option<string>("--stack", "-s") { Description = "Stack to update (default: $PULUMI_STACK)", HelpName = "NAME" };
        var cwd = new Option<string>("--cwd", "-C") { Description = "Pulumi project folder (default: the current folder)", HelpName = "DIR" };
        var policy = Options.Policy();
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var wait = new Option<string>("--wait") { Description = "Stop waiting for a decision after this long (e.g. 30m, 2h); default: until the request expires", HelpName = "DURATION" };
        var actor = new Option<string>("--actor-kind") { Description = "Who asks: human, pipeline or agent (default: $INFRAGUARD_ACTOR_KIND, else pipeline in CI, human otherwise)" };
        actor.AcceptOnlyFromAmong("human", "pipeline", "agent");
        var requester = new Option<string>("--requester") { Description = "Requester identity, e.g. github:alice (default: $INFRAGUARD_REQUESTER, else from CI variables)", HelpName = "ID" };
        var onBehalfOf = new Option<string>("--on-behalf-of") { Description = "For agents: the person the agent acts for (they cannot approve)", HelpName = "ID" };
        var jobType = new Option<string>("--job-type") { Description = "Job label rules can match (e.g. deploy, cost-optimisation)", HelpName = "TYPE" };
        var policyPacks = new Option<string[]>("--policy-pack") { Description = "CrossGuard policy pack folder to run in preview and apply (repeatable)", HelpName = "DIR", AllowMultipleArgumentsPerToken = false };
        var policyPackConfig = new Option<string>("--policy-pack-config") { Description = "JSON config for the CrossGuard pack", HelpName = "FILE" };
        var timeout = new Option<string>("--timeout") { Description = "Stop any single engine command after this long (e.g. 1h)", HelpName = "DURATION" };
        var server = new Option<string>("--server") { Description = $"Use the approval server at URL instead of a local store (runner token in ${Remote.RemoteConnection.TokenVariable})", HelpName = "URL" };
        var format = new Option<string>("--format") { Description = "Result format on stdout", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var engineArgs = new Argument<string[]>("ENGINE-ARGS") { Description = "Extra pulumi arguments after --; flags that would bypass the guard are refused", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("up", "Preview, assess, wait for an independent approval when policy requires it, then apply exactly that plan.")
        {
            stack, cwd, policy, db, key, server, wait, actor, requester, onBehalfOf, jobType, policyPacks, policyPackConfig, timeout, format, engineArgs,
        };
        command.SetAction((parse, ct) => RunAsync(context, new UpArguments(
            parse.GetValue(stack) ?? context.GetEnvironment("PULUMI_STACK") ?? throw new UsageException("--stack is required (or set PULUMI_STACK)."),
            context.Resolve(parse.GetValue(cwd) ?? "."),
            parse.GetValue(policy),
            parse.GetValue(db),
            parse.GetValue(key),
            ParseDuration("--wait", parse.GetValue(wait)),
            parse.GetValue(actor) is { } a ? RunContextDetector.ParseActorKind(a) : null,
            parse.GetValue(requester),
            parse.GetValue(onBehalfOf),
            parse.GetValue(jobType),
            parse.GetValue(policyPacks) ?? [],
            parse.GetValue(policyPackConfig),
            ParseDuration("--timeout", parse.GetValue(timeout)),
            parse.GetValue(format) == "json",
            parse.GetValue(engineArgs) ?? [],
            ServerUri(parse.GetValue(server))), ct));
        return command;
    }

    private sealed record UpArguments(
        string Stack, string Directory, string? Policy, string? Db, string? Key, TimeSpan? Wait, Core.Risk.ActorKind? ActorKind,
        string? Requester, string? OnBehalfOf, string? JobType, string[] PolicyPacks, string? PolicyPackConfig, TimeSpan? Timeout, bool Json,
        string[] EngineArgs, Uri? Server);

    private static async Task<int> RunAsync(CliContext context, UpArguments args, CancellationToken cancellationToken)
    {
        var check = EngineArguments.Check(args.EngineArgs);
        if (!check.IsAllowed)
        {
            throw new UsageException(check.Reason!);
        }

        try
        {
            // Start the engine check (child processes) first and do InfraGuard's own start-up work meanwhile:
            // the guard's overhead hides behind the engine's.
            var engine = new PulumiEngine(new PulumiEngineOptions { Timeout = args.Timeout }, context.Time);
            var engineCheck = engine.CheckAsync(cancellationToken);
            var authorsTask = Git.AuthorsAsync(args.Directory, cancellationToken);
            var tokens = args.PolicyPacks.Length > 0;
            var localTask = args.Server is null ? Task.Run(() => StoreAccess.Open(context, args.Db, args.Key), cancellationToken) : Task.FromResult<Store.ChangeStore>(null!);
            var pack = Inputs.ReadPolicy(context, args.Policy);
            var project = PulumiProject.Read(args.Directory);
            var run = RunContextDetector.Detect(context.GetEnvironment, new RunContextOverrides(args.Requester, args.ActorKind, args.OnBehalfOf));
            using var remote = args.Server is null ? null : new Remote.RemoteConnection(args.Server, RunnerToken(context), context.Time, line => context.Error.WriteLine(line));
            using var local = await localTask.ConfigureAwait(false);
            using var signer = remote is null || tokens ? StoreAccess.Signer(context, args.Key) : null;
            Core.Requests.IChangeStore store = remote is null ? local : remote.Store;
            Core.Audit.IAuditLog audit = remote is null ? local : remote.Store;
            var authors = await authorsTask.ConfigureAwait(false);
            await engineCheck.ConfigureAwait(false);

            using var interrupt = new CancellationTokenSource();
            using var kill = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interrupt.Token);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Interrupt(c, context, interrupt, kill));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Interrupt(c, context, interrupt, kill));

            var request = new GuardedRunRequest(
                new EngineTarget(args.Stack, args.Directory, args.EngineArgs),
                new EngineRunOptions(args.PolicyPacks.Select(context.Resolve).ToList(), args.PolicyPackConfig is null ? null : context.Resolve(args.PolicyPackConfig), new Dictionary<string, string>()) { Kill = kill.Token },
                pack,
                new Core.Risk.AssessmentContext(args.Stack, run.ActorKind, args.JobType, project.ForcedTier(args.Directory, args.Stack)),
                project.Name,
                ApprovalDesk.Resolve(pack.Identities, run.Requester),
                run.OnBehalfOf is null ? null : ApprovalDesk.Resolve(pack.Identities, run.OnBehalfOf).PersonId,
                authors.Select(a => ApprovalDesk.Resolve(pack.Identities, a).PersonId).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                run.CiRunId,
                run.RunUrl,
                args.Wait,
                PollInterval: TimeSpan.FromSeconds(1),
                HeartbeatInterval: context.ErrorIsTerminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30),
                PreviewEnvironment: tokens ? fingerprint => Token(context, signer!, args.Stack, "preview", fingerprint, ApprovalPurpose.Preview, PreviewTokenLifetime) : null,
                ApplyEnvironment: tokens ? r => Token(context, signer!, args.Stack, r.Id, r.PlanHash, ApprovalPurpose.Apply, ApplyTokenLifetime) : null);

            var result = await new GuardedRun(engine, store, audit, new ConsoleNotifier(context), context.Time)
                .RunAsync(request, linked.Token).ConfigureAwait(false);
            return Report(context, result, args.Json);
        }
        catch (BadInputException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (EngineException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.EngineFailed;
        }
        catch (Remote.RemoteServerException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return e.Status is 401 or 403 ? ExitCodes.Usage : ExitCodes.Internal;
        }
        catch (HttpRequestException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.Internal;
        }
    }

    private static Uri? ServerUri(string? text) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new UsageException($"--server '{text}' is not an http(s) URL; use e.g. https://infraguard.example.com.");

    private static string RunnerToken(CliContext context) =>
        context.GetEnvironment(Remote.RemoteConnection.TokenVariable) is { Length: > 0 } token ? token
        : throw new UsageException($"--server needs a runner token in {Remote.RemoteConnection.TokenVariable}; create one with 'infraguard tokens create --identity ci:NAME --scope runner'.");

    // First Ctrl-C / SIGTERM: ask the engine to stop gracefully (it unlocks the stack). Second: kill it.
    private static void Interrupt(PosixSignalContext signal, CliContext context, CancellationTokenSource interrupt, CancellationTokenSource kill)
    {
        signal.Cancel = true;
        if (!interrupt.IsCancellationRequested)
        {
            context.Error.WriteLine("Interrupting: asking the engine to stop and unlock the stack (press Ctrl-C again to kill it) …");
            interrupt.Cancel();
        }
        else
        {
            kill.Cancel();
        }
    }

    private static Dictionary<string, string> Token(CliContext context, Core.Audit.Ed25519AuditSigner signer, string stack, string requestId, string planHash, ApprovalPurpose purpose, TimeSpan lifetime)
    {
        var now = context.Time.GetUtcNow();
        var token = ApprovalToken.Mint(signer.ExportSeed(), new ApprovalTokenRequest(stack, requestId, planHash, purpose), now, now + lifetime);
        return new() { [ApprovalToken.EnvironmentVariable] = token };
    }

    private static int Report(CliContext context, GuardedRunResult result, bool json)
    {
        if (!string.IsNullOrEmpty(result.Diagnostics))
        {
            context.Error.WriteLine(result.Diagnostics.TrimEnd());
        }

        context.Error.WriteLine(result.Message);
        var outcome = result.Outcome.ToString().ToLowerInvariant();
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(new UpResult(
                outcome, result.Request?.Id, result.Request?.State.ToString().ToLowerInvariant(),
                result.Assessment is { } a ? Rendering.CheckReport.DecisionName(a.Decision) : null,
                result.Assessment?.Score, result.Assessment?.Tier, result.Message), UpResultJsonContext.Default.UpResult));
        }
        else
        {
            context.Out.WriteLine(result.Request is { } r ? $"{outcome} {r.Id}" : outcome);
        }

        return result.Outcome switch
        {
            RunOutcome.Applied or RunOutcome.NoChanges => ExitCodes.Ok,
            RunOutcome.Blocked => ExitCodes.Blocked,
            RunOutcome.Rejected => ExitCodes.Rejected,
            RunOutcome.Expired => ExitCodes.Expired,
            RunOutcome.PlanChanged => ExitCodes.PlanChanged,
            RunOutcome.EngineFailed => ExitCodes.EngineFailed,
            _ => ExitCodes.Interrupted,
        };
    }

    private static TimeSpan? ParseDuration(string option, string? text) =>
        text is null ? null
        : Duration.TryParse(text, out var value) && value > TimeSpan.Zero ? value
        : throw new UsageException($"{option} '{text}' is not a duration; use a number with s, m, h or d, e.g. 30m.");
}

/// <summary>The machine result of <c>infraguard up --format json</c>.</summary>
internal sealed record UpResult(
    [property: System.Text.Json.Serialization.JsonPropertyName("outcome")] string Outcome,
    [property: System.Text.Json.Serialization.JsonPropertyName("request")] string? Request,
    [property: System.Text.Json.Serialization.JsonPropertyName("state")] string? State,
    [property: System.Text.Json.Serialization.JsonPropertyName("decision")] string? Decision,
    [property: System.Text.Json.Serialization.JsonPropertyName("score")] int? Score,
    [property: System.Text.Json.Serialization.JsonPropertyName("tier")] string? Tier,
    [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message);

[System.Text.Json.Serialization.JsonSerializable(typeof(UpResult))]
internal sealed partial class UpResultJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
