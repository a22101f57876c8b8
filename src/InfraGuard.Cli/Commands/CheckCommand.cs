using System.CommandLine;
using System.Text.Json;
using InfraGuard.Cli.Rendering;
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
        var format = new Option<string>("--format", "-f") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json", "markdown");

        var command = new Command("check", "Assess a plan against the policy pack and print allow, review or block (exit 0, 2 or 3).")
        {
            eventLog, previewJson, planJson, stack, policy, actor, jobType, format,
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
            return Handle(
                context,
                planFormat,
                parse.GetValue(option)!,
                parse.GetValue(stack),
                parse.GetValue(policy),
                Options.ParseActorKind(parse.GetValue(actor)!),
                parse.GetValue(jobType),
                parse.GetValue(format)!);
        });
        return command;
    }

    private static int Handle(CliContext context, PlanFormat planFormat, string path, string? stack, string? policyDir, ActorKind actor, string? jobType, string format)
    {
        try
        {
            var pack = Inputs.ReadPolicy(context, policyDir);
            var changes = Inputs.ReadPlan(context, planFormat, path);
            var stackName = stack ?? changes.Stack
                ?? throw new UsageException($"{path} does not name a stack: pass --stack NAME so the tier can be chosen.");
            var assessment = RiskEngine.Assess(changes, pack, new AssessmentContext(stackName, actor, jobType));
            var report = CheckReport.From(changes, assessment, stackName, pack.Hash);

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
        catch (BadInputException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
        }
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
