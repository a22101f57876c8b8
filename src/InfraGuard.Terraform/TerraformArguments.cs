using InfraGuard.Core.Engine;

namespace InfraGuard.Terraform;

/// <summary>
/// Decides which extra arguments (after <c>--</c> on the InfraGuard command line) may be passed through to
/// <c>terraform plan</c> / <c>tofu plan</c>. They reach the plan only: the apply runs the saved plan file, which fixes
/// variables, targets and replacements, so nothing passed here can make the apply differ from the approved plan.
/// Refused: flags InfraGuard sets itself and flags that would defeat the guard. Allowed and scored by the policy like
/// any plan: <c>-var</c>, <c>-var-file</c>, <c>-target</c> and <c>-replace</c> (what they select or force shows in the
/// plan, and the saved plan is what is applied), <c>-destroy</c>, <c>-refresh=false</c>, <c>-parallelism</c>. Flags
/// are written <c>-flag</c> or <c>--flag</c>, with <c>=value</c> or the value as the next argument.
/// </summary>
public static class TerraformArguments
{
    private const string SetByInfraGuard = "InfraGuard sets it itself";

    private static readonly Dictionary<string, string> Refused = new(StringComparer.Ordinal)
    {
        ["auto-approve"] = "InfraGuard applies only the approved plan file, and only after approval",
        ["out"] = SetByInfraGuard + ": the plan is saved where InfraGuard stores and applies it",
        ["input"] = SetByInfraGuard + " (-input=false): a guarded run never prompts",
        ["detailed-exitcode"] = SetByInfraGuard,
        ["lock-timeout"] = SetByInfraGuard + " from the engine options",
        ["no-color"] = SetByInfraGuard,
        ["json"] = "InfraGuard reads the saved plan with `show -json` itself; other output formats would break that",
        ["lock"] = "the state lock keeps other runs from changing state under the approved plan",
        ["refresh-only"] = "a refresh-only run only rewrites state and is its own kind of run, scored on the drift it accepts: use `infraguard up --refresh-only`",
        ["state"] = "it points the run at another state file than the one InfraGuard fingerprints",
        ["state-out"] = "it writes state somewhere InfraGuard does not fingerprint",
        ["backup"] = "it changes where state is written",
        ["chdir"] = SetByInfraGuard + ": use `infraguard up --cwd`",
        ["generate-config-out"] = "it writes configuration files instead of planning the approved changes",
    };

    // Flags whose value may come as the next argument.
    private static readonly HashSet<string> TakesValue = new(StringComparer.Ordinal)
    {
        "var", "var-file", "target", "replace", "exclude", "out", "state", "state-out", "backup", "lock-timeout",
        "parallelism", "chdir", "generate-config-out",
    };

    /// <summary>Checks <paramref name="arguments"/> in order and returns the first refusal, or <see cref="EngineArgumentsCheck.Allowed"/>.</summary>
    public static EngineArgumentsCheck Check(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var previousTakesValue = false;
        foreach (var argument in arguments)
        {
            if (previousTakesValue)
            {
                previousTakesValue = false;
                continue;
            }

            if (argument == "--" || !argument.StartsWith('-') || argument == "-")
            {
                return EngineArgumentsCheck.Refuse(argument, "positional arguments are not passed through (`plan DIR` is gone from Terraform; use `infraguard up --cwd`)");
            }

            var body = argument.TrimStart('-');
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? body : body[..equals];
            if (Refused.TryGetValue(name, out var reason))
            {
                return EngineArgumentsCheck.Refuse(argument, reason);
            }

            previousTakesValue = equals < 0 && TakesValue.Contains(name);
        }

        return EngineArgumentsCheck.Allowed;
    }
}
