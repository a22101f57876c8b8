using System.CommandLine;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Context;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Runs;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard exec --action KIND -- CMD ARGS…</c>: a privileged command, run only as approved.</summary>
internal static class ExecCommand
{
    public static Command Build(CliContext context)
    {
        var action = new Option<string>("--action") { Description = "The action kind, as the policy pack defines it (e.g. data.export, iam.assume-role)", HelpName = "KIND", Required = true };
        var target = new Option<string>("--target") { Description = "What the command acts on (e.g. orders/customers, a role ARN, a namespace); it decides the tier", HelpName = "T" };
        var server = Options.Servers($"Submit to the approval server at URL (credential: the CI's OIDC token, else ${Remote.RemoteConnection.TokenVariable}); cloud credentials need it");
        var wait = new Option<string>("--wait") { Description = "Stop waiting for a decision after this long (e.g. 30m); default: until the request expires", HelpName = "DURATION" };
        var policy = Options.Policy();
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var actor = new Option<string>("--actor-kind") { Description = "Who asks: human, pipeline or agent (default: $INFRAGUARD_ACTOR_KIND, else pipeline in CI, human otherwise)" };
        actor.AcceptOnlyFromAmong("human", "pipeline", "agent");
        var requester = new Option<string>("--requester") { Description = "Requester identity in local mode, e.g. github:alice (default: $INFRAGUARD_REQUESTER, else from CI variables)", HelpName = "ID" };
        var onBehalfOf = new Option<string>("--on-behalf-of") { Description = "For agents: the person the agent acts for (they cannot approve)", HelpName = "ID" };
        var jobType = new Option<string>("--job-type") { Description = "Job label rules can match", HelpName = "TYPE" };
        var (breakGlass, incident, breakGlassReason) = Options.BreakGlass();
        var argv = new Argument<string[]>("CMD") { Description = "The command and its arguments after --; exactly this runs, once, when approved", Arity = ArgumentArity.OneOrMore };

        var command = new Command("exec", "Run a privileged command only as approved: assess it, wait for an independent approval when policy requires it, then run exactly that command once.")
        {
            action, target, server, wait, policy, db, key, actor, requester, onBehalfOf, jobType, breakGlass, incident, breakGlassReason, argv,
        };
        command.SetAction((parse, ct) => RunAsync(context, new ExecArguments(
            parse.GetValue(action)!,
            parse.GetValue(target),
            Remote.ServerUrls.Parse(parse.GetValue(server)),
            ParseDuration(parse.GetValue(wait)),
            parse.GetValue(policy),
            parse.GetValue(db),
            parse.GetValue(key),
            parse.GetValue(actor) is { } a ? RunContextDetector.ParseActorKind(a) : null,
            parse.GetValue(requester),
            parse.GetValue(onBehalfOf),
            parse.GetValue(jobType),
            parse.GetValue(argv) ?? [],
            Options.BreakGlassAsk(parse.GetValue(breakGlass), parse.GetValue(incident), parse.GetValue(breakGlassReason))), ct));
        return command;
    }

    private sealed record ExecArguments(
        string Kind, string? Target, Remote.ServerUrls? Server, TimeSpan? Wait, string? Policy, string? Db, string? Key, Core.Policy.ActorKind? ActorKind,
        string? Requester, string? OnBehalfOf, string? JobType, string[] Argv, Core.Approvals.BreakGlassAsk? BreakGlass = null);

    private static async Task<int> RunAsync(CliContext context, ExecArguments args, CancellationToken cancellationToken)
    {
        if (args.Server is not null && (args.Policy ?? args.Db ?? args.Key) is not null)
        {
            throw new UsageException("--policy, --db and --key have no effect with --server: the server scores every action with its own policy pack and holds the store and every key. Drop them.");
        }

        if (ApprovedCommand.Find(args.Argv[0], context.GetEnvironment) is null)
        {
            throw new UsageException($"{args.Argv[0]}: command not found (looked on PATH); nothing was submitted.");
        }

        var run = RunContextDetector.Detect(context.GetEnvironment, new RunContextOverrides(args.Requester, args.ActorKind, args.OnBehalfOf));
        var proposal = new ActionProposal(ProposedAction.Command(args.Kind, args.Target, args.Argv), run.ActorKind, run.OnBehalfOf, args.JobType, null, run.CiRunId, run.RunUrl);
        using var clouds = Remote.CloudCredentials.FromEnvironment(context.GetEnvironment);
        if (clouds is not null && args.Server is null)
        {
            throw new UsageException($"{Remote.CloudCredentials.CloudsVariable} asks for cloud credentials, which only an approval server issues: add --server URL.");
        }

        try
        {
            using var remote = args.Server is null ? null : Remote.RemoteConnection.Open(context, args.Server);
            using var local = remote is null ? OpenLocal(context, args, proposal) : null;
            Core.Requests.IChangeStore store = remote is null ? local!.Store : remote.Store;
            var submitter = new Submitter(run.Requester, run.Requester, Attested: false, ActorKind: run.ActorKind);
            var localActions = remote is null ? new ActionAuthority(local!.Pack, local.Store, local.Store, context.Time, submitter) : null;
            IActionAuthority authority = localActions ?? (IActionAuthority)remote!.Store;
            if (args.BreakGlass is { } ask)
            {
                // Same rules as `up --break-glass`; a local run has no flow store, so it is refused (needs the server).
                authority = new BreakGlassActions(authority, localActions is null
                    ? (p, ct) => remote!.Store.SubmitActionAsync(p, ask, ct)
                    : (p, ct) => new BreakGlassAction(localActions, local!.Pack, local.Store, local.Store, flow: null, context.Time, submitter).SubmitAsync(p, ask, ct));
            }

            var request = new GuardedActionRequest(
                proposal,
                args.Wait,
                PollInterval: TimeSpan.FromSeconds(1),
                HeartbeatInterval: context.ErrorIsTerminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(30),
                Credentials: clouds is null ? null : (r, ct) => clouds.IssueAsync(remote!.Store, r, ct));
            var result = await new GuardedAction(authority, store, new ConsoleNotifier(context), context.Time)
                .RunAsync(request, (environment, _) => ApprovedCommand.RunAsync(args.Argv, context.WorkingDirectory, environment, Remote.CloudCredentials.RunnerOnlyVariables, context.Error), cancellationToken)
                .ConfigureAwait(false);

            context.Error.WriteLine(result.Run.Message);
            return result.Run.Outcome switch
            {
                RunOutcome.Applied => result.ExitCode ?? ExitCodes.Ok,
                RunOutcome.Blocked => ExitCodes.Blocked,
                RunOutcome.Rejected => ExitCodes.Rejected,
                RunOutcome.Expired => ExitCodes.Expired,
                RunOutcome.PlanChanged => ExitCodes.PlanChanged,
                RunOutcome.Untrusted => ExitCodes.Tampered,
                _ => ExitCodes.Interrupted,
            };
        }
        catch (ActionRefusedException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return Options.IsBreakGlassRefusal(e.Code) ? ExitCodes.Refused : ExitCodes.BadInput;
        }
        catch (BadInputException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
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

    /// <summary>The local store and policy, after checking that the action's tier lets a local run be the authority.</summary>
    private static LocalAuthority OpenLocal(CliContext context, ExecArguments args, ActionProposal proposal)
    {
        var pack = Inputs.ReadPolicy(context, args.Policy);
        if (pack.Actions.FindKind(args.Kind) is null)
        {
            throw new ActionRefusedException("unknown-kind", $"Action kind '{args.Kind}' is not defined in the policy pack ({pack.Source}); defined kinds: {string.Join(", ", pack.Actions.Kinds.Select(k => k.Name))}.");
        }

        var tier = ActionRisk.TierOf(proposal.Action, new ActionContext(proposal.ActorKind), pack);
        if (tier.RequireServer)
        {
            throw new UsageException(
                $"This action falls in tier '{tier.Name}', which requires an approval server: a local store and key on the runner prove nothing to anyone. " +
                $"Run 'infraguard exec --server https://infraguard.example.com …' with the CI's OIDC token or a runner token in {Remote.RemoteConnection.TokenVariable}.");
        }

        return new LocalAuthority(pack, StoreAccess.Open(context, args.Db, args.Key));
    }

    private sealed record LocalAuthority(PolicyPack Pack, Store.ChangeStore Store) : IDisposable
    {
        public void Dispose() => Store.Dispose();
    }

    private static TimeSpan? ParseDuration(string? text) =>
        text is null ? null
        : Duration.TryParse(text, out var value) && value > TimeSpan.Zero ? value
        : throw new UsageException($"--wait '{text}' is not a duration; use a number with s, m, h or d, e.g. 30m.");
}
