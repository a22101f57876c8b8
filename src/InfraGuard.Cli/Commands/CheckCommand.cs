using System.CommandLine;
using System.Text.Json;
using InfraGuard.Cli.Rendering;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard check</c>: read a plan, assess it against the policy pack, print the verdict.</summary>
internal static class CheckCommand
{
    public static Command Build(CliContext context)
    {
        var eventLog = new Option<string>("--event-log") { Description = "Pulumi engine event log (pulumi preview --event-log F)", HelpName = "FILE" };
        var previewJson = new Option<string>("--preview-json") { Description = "Output of pulumi preview --json", HelpName = "FILE" };
        var planJson = new Option<string>("--plan-json") { Description = "Output of terraform/tofu show -json PLAN", HelpName = "FILE" };
        var stack = new Option<string>("--stack", "-s") { Description = "Stack (or workspace) name; defaults to the stack named in a Pulumi log", HelpName = "NAME" };
        var policy = Options.Policy();
        var actor = Options.ActorKind();
        var jobType = new Option<string>("--job-type") { Description = "Job label rules can match (e.g. deploy, cost-optimisation)", HelpName = "TYPE" };
        var server = Options.Servers("Let the approval server at URL assess the event log with its own policy pack (credential as for up --server)");
        var format = new Option<string>("--format", "-f") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "markdown");

        var command = new Command("check", "Assess a plan against the policy pack and print allow, review or block (exit 0, 2 or 3).")
        {
            eventLog, previewJson, planJson, stack, policy, actor, jobType, server, format,
        };
        command.SetAction(parse =>
        {
            var inputs = new (Option<string> Option, PlanFormat Format)[]
            {
                (eventLog, PlanFormat.PulumiEventLog), (previewJson, PlanFormat.PulumiPreviewJson), (planJson, PlanFormat.TerraformPlanJson),
            }.Where(i => parse.GetValue(i.Option) is not null).ToList();
            if (inputs.Count != 1)
            {
                throw new UsageException("give exactly one of --event-log, --preview-json or --plan-json.");
            }

            var (option, planFormat) = inputs[0];
            var serverUri = Remote.ServerUrls.Parse(parse.GetValue(server));
            if (serverUri is not null && (planFormat != PlanFormat.PulumiEventLog || parse.GetValue(policy) is not null))
            {
                throw new UsageException("--server assesses a Pulumi event log (--event-log) with the server's own policy pack; drop --policy, and for other formats check locally without --server.");
            }

            return Handle(
                context,
                planFormat,
                parse.GetValue(option)!,
                parse.GetValue(stack),
                parse.GetValue(policy),
                Options.ParseActorKind(parse.GetValue(actor)!),
                parse.GetValue(jobType),
                parse.GetValue(format)!,
                serverUri);
        });
        return command;
    }

    private static int Handle(CliContext context, PlanFormat planFormat, string path, string? stack, string? policyDir, ActorKind actor, string? jobType, string format, Remote.ServerUrls? server)
    {
        try
        {
            var changes = Inputs.ReadPlan(context, planFormat, path);
            var stackName = stack ?? changes.Stack
                ?? throw new UsageException($"{path} does not name a stack: pass --stack NAME so the tier can be chosen.");
            var assessment = server is null
                ? RiskEngine.Assess(changes, Inputs.ReadPolicy(context, policyDir), new AssessmentContext(stackName, actor, jobType))
                : AssessOnServer(context, server, File.ReadAllBytes(context.Resolve(path)), stackName, changes.Project, actor, jobType);
            var report = CheckReport.From(changes, assessment, stackName, assessment.PolicyHash ?? string.Empty);

            switch (format)
            {
                case "json":
                    context.Out.WriteLine(JsonSerializer.Serialize(report, CheckReportJsonContext.Default.CheckReport));
                    break;
                case "markdown":
                    context.Out.Write(CheckMarkdown.Render(report));
                    break;
                default:
                    CheckText.Write(Consoles.Create(context.Out, context.OutIsTerminal, context.OutColor), report);
                    break;
            }

            AppendStepSummary(context, report);
            return assessment.Decision switch
            {
                Decision.Allow => ExitCodes.Ok,
                Decision.Review => ExitCodes.ReviewRequired,
                _ => ExitCodes.Blocked,
            };
        }
        catch (Exception e) when (e is BadInputException or Core.Runs.SubmissionRefusedException)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
        }
    }

    private static Assessment AssessOnServer(CliContext context, Remote.ServerUrls server, byte[] eventLog, string stack, string? project, ActorKind actor, string? jobType)
    {
        using var remote = Remote.RemoteConnection.Open(context, server);
        var evidence = new Core.Runs.RunEvidence(Core.Changes.EngineKind.Pulumi, stack, project ?? "unknown", eventLog, [], string.Empty, actor, jobType);
        return remote.Store.AssessAsync(evidence, CancellationToken.None).GetAwaiter().GetResult();
    }

    // GitHub Actions shows this file on the run's summary page.
    private static void AppendStepSummary(CliContext context, CheckReport report)
    {
        if (context.GetEnvironment("GITHUB_STEP_SUMMARY") is { Length: > 0 } file)
        {
            File.AppendAllText(file, CheckMarkdown.Render(report) + "\n");
        }
    }
}
