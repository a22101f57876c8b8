using InfraGuard.Core.Engine;

namespace InfraGuard.Pulumi;

/// <summary>The exact argv InfraGuard gives <c>pulumi</c>. Pass-through arguments always come last.</summary>
internal static class PulumiCommandLine
{
    /// <summary><c>pulumi preview --non-interactive --stack S --color=never --event-log F --save-plan P [--policy-pack DIR [--policy-pack-config FILE]]... [extra]</c>.</summary>
    public static IReadOnlyList<string> Preview(EngineTarget target, PulumiEngineOptions options, string eventLog, string planFile) =>
    [
        "preview", "--non-interactive", "--stack", target.Stack, "--color=never", "--event-log", eventLog, "--save-plan", planFile,
        .. PolicyPacks(options), .. Extra(target),
    ];

    /// <summary>
    /// <c>pulumi up --non-interactive --yes --stack S --color=never --plan P --json [policy packs] [extra]</c>. No
    /// <c>--skip-preview</c>: up's own preview checks the plan first, so a violation aborts before any change.
    /// </summary>
    public static IReadOnlyList<string> Up(EngineTarget target, PulumiEngineOptions options, string planFile) =>
    [
        "up", "--non-interactive", "--yes", "--stack", target.Stack, "--color=never", "--plan", planFile, "--json",
        .. PolicyPacks(options), .. Extra(target),
    ];

    private static IEnumerable<string> PolicyPacks(PulumiEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PolicyPackConfig is not null && options.PolicyPacks.Count != 1)
        {
            throw new ArgumentException(
                $"A policy pack config needs exactly one policy pack (got {options.PolicyPacks.Count}): Pulumi pairs --policy-pack-config with --policy-pack one to one.",
                nameof(options));
        }

        foreach (var pack in options.PolicyPacks)
        {
            yield return "--policy-pack";
            yield return pack;
            if (options.PolicyPackConfig is { } config)
            {
                yield return "--policy-pack-config";
                yield return config;
            }
        }
    }

    // Checked again here, not only by the CLI: nothing may reach the engine that defeats the guard.
    private static IReadOnlyList<string> Extra(EngineTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var check = PulumiArguments.Check(target.ExtraArgs);
        return check.IsAllowed ? target.ExtraArgs : throw new EngineException(check.Reason!);
    }
}
