using System.CommandLine;
using InfraGuard.Core.Policy.Detectors;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard policy validate|explain</c>.</summary>
internal static class PolicyCommand
{
    public static Command Build(CliContext context)
    {
        var dir = new Argument<string>("DIR") { Description = "Policy pack folder (default: the embedded pack)", Arity = ArgumentArity.ZeroOrOne };
        var validate = new Command("validate", "Check a policy pack and report every error with file:line:column.") { dir };
        validate.SetAction(parse => Validate(context, parse.GetValue(dir)));

        var rule = new Argument<string>("RULE") { Description = "Rule, detector or action kind, e.g. stateful-delete or data.export" };
        var policy = Options.Policy();
        var explain = new Command("explain", "Explain what a rule or action kind matches and how it scores per tier.") { rule, policy };
        explain.SetAction(parse => Explain(context, parse.GetValue(rule)!, parse.GetValue(policy)));

        return new Command("policy", "Validate and explain policy packs.") { validate, explain };
    }

    private static int Validate(CliContext context, string? directory)
    {
        try
        {
            var pack = Inputs.ReadPolicy(context, directory);
            var actions = pack.Actions.Kinds.Count == 0 ? string.Empty : $", {pack.Actions.Kinds.Count} action kinds, {pack.Actions.Rules.Count} action rules";
            context.Out.WriteLine($"valid: {pack.Tiers.Count} tiers, {pack.Rules.Count} rules{actions}, hash {pack.Hash}");
            return ExitCodes.Ok;
        }
        catch (BadInputException e)
        {
            context.Error.WriteLine(e.Message);
            context.Error.WriteLine("Fix the errors above and run 'infraguard policy validate' again.");
            return ExitCodes.BadInput;
        }
    }

    private static int Explain(CliContext context, string ruleId, string? directory)
    {
        try
        {
            var pack = Inputs.ReadPolicy(context, directory);
            if (pack.Explain(ruleId) is not { } text)
            {
                var known = pack.Rules.Select(r => r.Id).Concat(BuiltInDetectors.All.Select(d => d.Id)).Distinct(StringComparer.Ordinal);
                var actions = pack.Actions.Kinds.Select(k => k.Name).Concat(pack.Actions.Rules.Select(r => r.Id)).ToList();
                context.Error.WriteLine($"Error: no rule, detector or action kind '{ruleId}'. Known rules: {string.Join(", ", known)}."
                    + (actions.Count == 0 ? string.Empty : $" Action kinds and rules: {string.Join(", ", actions)}."));
                return ExitCodes.Usage;
            }

            context.Out.WriteLine(text.TrimEnd());
            return ExitCodes.Ok;
        }
        catch (BadInputException e)
        {
            context.Error.WriteLine(e.Message);
            return ExitCodes.BadInput;
        }
    }
}
