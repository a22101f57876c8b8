using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using InfraGuard.Core.Context;
using InfraGuard.Core.Engine;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Runs;
using InfraGuard.Pulumi;
using InfraGuard.Terraform;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard up</c>: the guarded <c>pulumi up</c> / <c>terraform apply</c> / <c>tofu apply</c>.</summary>
internal static class UpCommand
{
    public static Command Build(CliContext context)
    {
        var engineName = new Option<string>("--engine") { Description = "Engine: pulumi, terraform or tofu (default: detected from the project folder, Pulumi.yaml or *.tf)" };
        engineName.AcceptOnlyFromAmong(EngineChoice.Names);
        var stack = new Option<string>("--stack", "-s") { Description = "Stack to update; for Terraform/OpenTofu the name the policy's tiers match (default: $PULUMI_STACK, or the workspace)", HelpName = "NAME" };
        var cwd = new Option<string>("--cwd", "-C") { Description = "Project folder (default: the current folder)", HelpName = "DIR" };
        var workspace = new Option<string>("--workspace") { Description = "Terraform/OpenTofu workspace (default: $TF_WORKSPACE, else the current one)", HelpName = "NAME" };
        var init = new Option<bool>("--init") { Description = "Terraform/OpenTofu: run init -input=false before the plan" };
        var refreshOnly = new Option<bool>("--refresh-only") { Description = "Terraform/OpenTofu: a refresh-only run (plan -refresh-only), scored on the drift it accepts into state; a resource deleted outside the engine counts as a deletion from state" };
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
        var server = Options.Servers($"Submit to the approval server at URL, which scores the change and holds every key (credential: the CI's OIDC token, else ${Remote.RemoteConnection.TokenVariable})");
        var format = new Option<string>("--format") { Description = "Result format on stdout", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var (breakGlass, incident, breakGlassReason) = Options.BreakGlass();
        var engineArgs = new Argument<string[]>("ENGINE-ARGS") { Description = "Extra engine arguments after -- (pulumi preview/up; terraform plan); flags that would bypass the guard are refused", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("up", "Preview, assess, wait for an independent approval when policy requires it, then apply exactly that plan.")
        {
            engineName, stack, cwd, workspace, init, refreshOnly, policy, db, key, server, wait, actor, requester, onBehalfOf, jobType, policyPacks, policyPackConfig, timeout, format, breakGlass, incident, breakGlassReason, engineArgs,
        };
        command.SetAction((parse, ct) => RunAsync(context, new UpArguments(
            parse.GetValue(engineName),
            parse.GetValue(stack) ?? context.GetEnvironment("PULUMI_STACK") ?? parse.GetValue(workspace) ?? context.GetEnvironment("TF_WORKSPACE")
                ?? throw new UsageException("--stack is required (or set PULUMI_STACK; for Terraform/OpenTofu --workspace or TF_WORKSPACE)."),
            context.Resolve(parse.GetValue(cwd) ?? "."),
            parse.GetValue(workspace),
            parse.GetValue(init),
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
            Remote.ServerUrls.Parse(parse.GetValue(server)))
        {
            BreakGlass = Options.BreakGlassAsk(parse.GetValue(breakGlass), parse.GetValue(incident), parse.GetValue(breakGlassReason)),
            Run = parse.GetValue(refreshOnly) ? Core.Changes.RunKind.RefreshOnly : Core.Changes.RunKind.Update,
        }, ct));
        return command;
    }

    private sealed record UpArguments(
        string? Engine, string Stack, string Directory, string? Workspace, bool Init, string? Policy, string? Db, string? Key, TimeSpan? Wait, Core.Policy.ActorKind? ActorKind,
        string? Requester, string? OnBehalfOf, string? JobType, string[] PolicyPacks, string? PolicyPackConfig, TimeSpan? Timeout, bool Json,
        string[] EngineArgs, Remote.ServerUrls? Server)
    {
        public Core.Approvals.BreakGlassAsk? BreakGlass { get; init; }

        public Core.Changes.RunKind Run { get; init; }
    }

    private static async Task<int> RunAsync(CliContext context, UpArguments args, CancellationToken cancellationToken)
    {
        var chosen = EngineChoice.Open(
            new EngineRequest(args.Engine, args.Directory, args.Stack, args.Timeout, [.. args.PolicyPacks.Select(context.Resolve)], args.PolicyPackConfig is null ? null : context.Resolve(args.PolicyPackConfig), args.Workspace, args.Init),
            context.GetEnvironment,
            context.Time);
        if (args.Run == Core.Changes.RunKind.RefreshOnly && chosen.Engine.Kind != Core.Changes.EngineKind.Terraform)
        {
            throw new UsageException(PulumiEngine.PulumiRefreshOnly);
        }

        var check = chosen.Engine.CheckArguments(args.EngineArgs);
        if (!check.IsAllowed)
        {
            throw new UsageException(check.Reason!);
        }

        if (args.Server is not null && (args.Policy ?? args.Db ?? args.Key) is not null)
        {
            throw new UsageException("--policy, --db and --key have no effect with --server: the server scores every change with its own policy pack and holds the store and every key. Drop them, or try a pack locally with 'infraguard check --policy DIR'.");
        }

        try
        {
            // Start the engine check (child processes) first and do InfraGuard's own start-up work meanwhile:
            // the guard's overhead hides behind the engine's.
            var target = new EngineTarget(args.Stack, args.Directory, args.EngineArgs, args.Run);
            var engine = new EarlyStateRead(chosen.Engine, target, cancellationToken);
            var engineCheck = engine.CheckAsync(cancellationToken);
            var authorsTask = Git.AuthorsAsync(args.Directory, cancellationToken);
            var forcedTier = chosen.ForcedTier;
            var run = RunContextDetector.Detect(context.GetEnvironment, new RunContextOverrides(args.Requester, args.ActorKind, args.OnBehalfOf));
            var grants = chosen.Grants;
            using var clouds = Remote.CloudCredentials.FromEnvironment(context.GetEnvironment);
            if (clouds is not null && args.Server is null)
            {
                throw new UsageException($"{Remote.CloudCredentials.CloudsVariable} asks for cloud credentials, which only an approval server issues: add --server URL.");
            }

            // Server mode: the server holds the policy and every key; this process reads none of them.
            // Local mode: this machine is the authority, which the policy allows only for tiers that do not require a server.
            using var remote = args.Server is null ? null : Remote.RemoteConnection.Open(context, args.Server);
            var warmUp = remote?.Store.WarmUpAsync(cancellationToken) ?? Task.CompletedTask;
            using var local = remote is null ? await Task.Run(() => OpenLocal(context, args, forcedTier), cancellationToken).ConfigureAwait(false) : null;
            using var tokenKey = local is not null && grants ? StoreAccess.TokenSigner(context, args.Key) : null;
            Core.Requests.IChangeStore store = remote is null ? local!.Store : remote.Store;
            IRunAuthority authority = remote is null
                ? new ChangeAuthority(local!.Pack, local.Store, local.Store, [new PulumiEvidence(), new TerraformEvidence()], context.Time, tokenKey, new Submitter(run.Requester, run.Requester, Attested: false, ActorKind: run.ActorKind))
                : remote.Store;
            var authors = await authorsTask.ConfigureAwait(false);
            await engineCheck.ConfigureAwait(false);

            using var interrupt = new CancellationTokenSource();
            using var kill = new CancellationTokenSource();
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interrupt.Token);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Interrupt(c, context, interrupt, kill));
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Interrupt(c, context, interrupt, kill));

            var request = new GuardedRunRequest(
                target,
                new EngineRunOptions(new Dictionary<string, string>()) { Kill = kill.Token },
                chosen.Project,
                run.ActorKind,
                args.JobType,
                forcedTier,
                run.OnBehalfOf,
                authors,
                run.CiRunId,
                run.RunUrl,
                args.Wait,
                PollInterval: TimeSpan.FromSeconds(1),
                HeartbeatInterval: context.ErrorIsTerminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30),
                EngineGrants: grants,
                ApplyCredentials: clouds is null ? null : (r, ct) => clouds.IssueAsync(remote!.Store, r, ct))
            {
                BreakGlass = args.BreakGlass,
            };

            var result = await new GuardedRun(engine, authority, store, new ConsoleNotifier(context), context.Time)
                .RunAsync(request, linked.Token).ConfigureAwait(false);
            await warmUp.ConfigureAwait(false);
            return Report(context, result, args.Json);
        }
        catch (SubmissionRefusedException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return Options.IsBreakGlassRefusal(e.Code) ? ExitCodes.Refused : ExitCodes.BadInput;
        }
        catch (Exception e) when (e is BadInputException or EngineProjectException)
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

    /// <summary>The local store and policy, after checking that the stack's tier lets a local run be the authority.</summary>
    private static LocalAuthority OpenLocal(CliContext context, UpArguments args, string? forcedTier)
    {
        var pack = Inputs.ReadPolicy(context, args.Policy);
        var tier = pack.FindTier(pack.ResolveTier(args.Stack, null))!;
        var asked = forcedTier is null ? null : pack.FindTier(pack.ResolveTier(args.Stack, forcedTier));
        foreach (var t in new[] { tier, asked })
        {
            if (t is { RequireServer: true })
            {
                throw new UsageException(
                    $"Stack '{args.Stack}' is in tier '{t.Name}', which requires an approval server: a local store and key on the runner prove nothing to anyone. " +
                    $"Run 'infraguard up --server https://infraguard.example.com' with the CI's OIDC token or a runner token in {Remote.RemoteConnection.TokenVariable} " +
                    "(see README, 'Production: the approval server'), or, for trying InfraGuard out, use a policy whose tier sets 'require-server: false'.");
            }
        }

        return new LocalAuthority(pack, StoreAccess.Open(context, args.Db, args.Key));
    }

    private sealed record LocalAuthority(Core.Policy.PolicyPack Pack, Store.ChangeStore Store) : IDisposable
    {
        public void Dispose() => Store.Dispose();
    }

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
            RunOutcome.Untrusted => ExitCodes.Tampered,
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
