using InfraGuard.Core.Engine;

namespace InfraGuard.Pulumi;

/// <summary>
/// Decides which extra engine arguments (after <c>--</c> on the InfraGuard command line) may be passed through to
/// <c>pulumi preview</c> and <c>pulumi up</c>. The same arguments go to both, so an allowed flag cannot make the apply
/// differ from the approved preview. Refused: flags InfraGuard sets itself, and flags that would defeat the guard
/// (skip the plan-checked preview, bypass protection, reveal secrets, force replacements, change state outside the
/// plan). Unknown flags pass (Pulumi rejects flags it does not know); positional arguments are refused because
/// <c>pulumi up [template|url]</c> would create a new project. Both <c>--flag=value</c> and <c>--flag value</c> forms,
/// and clusters of short flags (<c>-fy</c>), are understood.
/// </summary>
/// <remarks>
/// Targeting (<c>--target</c>, <c>--exclude</c>, and their <c>-dependents</c> forms) is allowed: it only narrows the
/// preview, the same flags reach the apply, and <c>up --plan</c> refuses any step outside the saved plan.
/// <c>--refresh</c> is refused unless its value is <c>false</c>: during <c>up</c> it rewrites state after approval.
/// </remarks>
public static class PulumiArguments
{
    private const string SetByInfraGuard = "InfraGuard sets it itself";

    private static readonly Dictionary<string, string> RefusedLong = new(StringComparer.Ordinal)
    {
        ["--ignore-protect"] = "it lets the engine delete or replace protected resources; unprotect them in the program instead",
        ["--skip-preview"] = "the apply must run its own plan-checked preview so a plan violation stops before any change",
        ["--target-replace"] = "it forces replacements; change the program or use `pulumi state` deliberately",
        ["--replace"] = "it forces replacements; change the program or use `pulumi state` deliberately",
        ["--plan"] = SetByInfraGuard + ": the apply always uses the approved plan",
        ["--save-plan"] = SetByInfraGuard,
        ["--event-log"] = SetByInfraGuard,
        ["--yes"] = SetByInfraGuard + " after approval",
        ["--stack"] = SetByInfraGuard + ": use `infraguard up --stack`",
        ["--cwd"] = SetByInfraGuard + ": use `infraguard up --cwd`",
        ["--non-interactive"] = SetByInfraGuard,
        ["--color"] = SetByInfraGuard,
        ["--json"] = SetByInfraGuard,
        ["--output"] = "InfraGuard reads the engine's JSON events; other output formats would break that",
        ["--policy-pack"] = SetByInfraGuard + " from the policy configuration",
        ["--policy-pack-config"] = SetByInfraGuard + " from the policy configuration",
        ["--show-secrets"] = "it writes secrets in plain text into the plan, the event log and the output",
        ["--exec-kind"] = SetByInfraGuard,
        ["--client"] = "it runs a program InfraGuard cannot see",
        ["--exclude-protected"] = "it changes which resources are deleted",
        ["--continue-on-error"] = "an apply must stop at the first error",
        ["--refresh"] = "refreshing during the apply rewrites state after approval; run `pulumi refresh` before `infraguard up`",
        ["--strict"] = "it builds its own plan during the apply instead of using the approved one",
        ["--remote"] = "remote operations run elsewhere, outside the guard",
        ["--disable-integrity-checking"] = "it lets the engine write state that fails its own integrity checks",
        ["--import-file"] = "it generates an import instead of the approved changes",
    };

    private static readonly Dictionary<char, string> RefusedShort = new()
    {
        ['f'] = "--skip-preview",
        ['y'] = "--yes",
        ['s'] = "--stack",
        ['j'] = "--json",
        ['r'] = "--refresh",
        ['C'] = "--cwd",
    };

    // Boolean flags: a following bare word is a positional argument, not their value.
    private static readonly HashSet<string> BooleanLong = new(StringComparer.Ordinal)
    {
        "--diff", "--expect-no-changes", "--show-sames", "--show-reads", "--show-replacement-steps", "--show-config",
        "--show-full-output", "--suppress-outputs", "--suppress-progress", "--suppress-permalink", "--debug",
        "--logtostderr", "--logflow", "--emoji", "--fullscreen", "--target-dependents", "--exclude-dependents",
        "--config-path", "--skip-preview", "--yes", "--json", "--non-interactive", "--refresh", "--show-secrets",
        "--ignore-protect", "--exclude-protected", "--continue-on-error", "--strict", "--remote",
        "--disable-integrity-checking", "--profiling-json",
    };

    private static readonly HashSet<char> BooleanShort = ['d', 'e', 'f', 'y', 'j', 'r'];

    /// <summary>Checks <paramref name="arguments"/> in order and returns the first refusal, or <see cref="EngineArgumentsCheck.Allowed"/>.</summary>
    public static EngineArgumentsCheck Check(IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var previousTakesValue = false;
        foreach (var argument in arguments)
        {
            if (previousTakesValue && !argument.StartsWith('-'))
            {
                previousTakesValue = false;
                continue;
            }

            var refusal = argument switch
            {
                "--" => Refuse(argument, "a second `--` would turn the rest into positional arguments"),
                ['-', '-', ..] => CheckLong(argument, out previousTakesValue),
                ['-', _, ..] => CheckShortCluster(argument, out previousTakesValue),
                _ => Refuse(argument, "positional arguments are not passed through (`pulumi up [template|url]` would create a new project)"),
            };
            if (refusal is not null)
            {
                return refusal;
            }
        }

        return EngineArgumentsCheck.Allowed;
    }

    private static EngineArgumentsCheck? CheckLong(string argument, out bool takesValue)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? argument : argument[..equals];
        var value = equals < 0 ? null : argument[(equals + 1)..];
        takesValue = equals < 0 && !BooleanLong.Contains(name);

        if (name == "--refresh" && string.Equals(value, "false", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return RefusedLong.TryGetValue(name, out var reason) ? Refuse(argument, reason) : null;
    }

    private static EngineArgumentsCheck? CheckShortCluster(string argument, out bool takesValue)
    {
        // Cobra reads "-fy" as -f -y, and "-sdev" / "-s=dev" as -s dev: stop at the first flag that takes a value.
        takesValue = false;
        for (var i = 1; i < argument.Length; i++)
        {
            var flag = argument[i];
            if (flag == '=')
            {
                return null;
            }

            if (RefusedShort.TryGetValue(flag, out var longName))
            {
                return Refuse(argument, $"-{flag} is {longName}: {RefusedLong[longName]}");
            }

            if (!BooleanShort.Contains(flag))
            {
                takesValue = i == argument.Length - 1;
                return null;
            }
        }

        return null;
    }

    private static EngineArgumentsCheck Refuse(string argument, string reason) => EngineArgumentsCheck.Refuse(argument, reason);
}
