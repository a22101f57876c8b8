using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Cli;

/// <summary>The kinds of plan input the CLI reads.</summary>
internal enum PlanFormat
{
    PulumiEventLog,
    PulumiPreviewJson,
    TerraformPlanJson,
}

/// <summary>Reads the user's files into Core types; bad data becomes <see cref="BadInputException"/> (exit 65).</summary>
internal static class Inputs
{
    public const string PolicyFileName = "policy.yaml";

    public static ChangeSet ReadPlan(CliContext context, PlanFormat format, string path)
    {
        var full = context.Resolve(path);
        if (!File.Exists(full))
        {
            throw new BadInputException($"{path}: file not found. Check the path; it is resolved against {context.WorkingDirectory}.");
        }

        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return format switch
            {
                PlanFormat.PulumiEventLog => PulumiEventLogReader.Read(stream, path),
                PlanFormat.PulumiPreviewJson => PulumiPreviewJsonReader.Read(stream, path),
                _ => TerraformPlanReader.Read(stream, path),
            };
        }
        catch (PlanReadException e)
        {
            throw new BadInputException(e.Message);
        }
    }

    /// <summary>The environment variable naming the policy pack folder when <c>--policy</c> is not given.</summary>
    public const string PolicyVariable = "INFRAGUARD_POLICY";

    /// <summary>The pack in DIR (its policy.yaml; default <c>$INFRAGUARD_POLICY</c>), or the embedded default pack when neither names one.</summary>
    public static PolicyPack ReadPolicy(CliContext context, string? directory)
    {
        directory ??= context.GetEnvironment(PolicyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (directory is null)
        {
            return PolicyPackLoader.LoadDefault();
        }

        var full = context.Resolve(directory);
        var file = Directory.Exists(full) ? Path.Combine(full, PolicyFileName) : full;
        if (!File.Exists(file))
        {
            throw new BadInputException($"{directory}: no {PolicyFileName} found. Pass a policy pack folder (e.g. policy-packs/infraguard) or its policy.yaml.");
        }

        var display = Path.GetRelativePath(context.WorkingDirectory, file);
        try
        {
            return PolicyPackLoader.Load(File.ReadAllText(file), display);
        }
        catch (PolicyException e)
        {
            throw new BadInputException(string.Join('\n', e.Errors.Select(x => x.ToString())));
        }
    }
}

/// <summary>Bad input data: the message already says what, where and what to do. Exit 65.</summary>
internal sealed class BadInputException(string message) : Exception(message);
