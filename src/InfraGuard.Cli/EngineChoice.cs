using InfraGuard.Core.Engine;
using InfraGuard.Pulumi;
using InfraGuard.Terraform;

namespace InfraGuard.Cli;

/// <summary>What <c>up</c> asked of the engine, before one is chosen.</summary>
/// <param name="Name"><c>--engine</c>: pulumi, terraform or tofu; null to detect it from the project folder.</param>
/// <param name="Directory">The project folder.</param>
/// <param name="Stack">The stack (Pulumi) or the name InfraGuard records and tiers a Terraform run by.</param>
/// <param name="Timeout">Limit for any one engine command.</param>
/// <param name="PolicyPacks">Pulumi CrossGuard packs (Pulumi only).</param>
/// <param name="PolicyPackConfig">Config for the one CrossGuard pack (Pulumi only).</param>
/// <param name="Workspace">Terraform/OpenTofu workspace (Terraform only).</param>
/// <param name="Init">Run <c>init</c> first (Terraform only).</param>
internal sealed record EngineRequest(string? Name, string Directory, string Stack, TimeSpan? Timeout, IReadOnlyList<string> PolicyPacks, string? PolicyPackConfig, string? Workspace, bool Init);

/// <summary>The chosen engine, and what the CLI knows of the project through it.</summary>
/// <param name="Engine">The driver.</param>
/// <param name="Project">Project label for the request.</param>
/// <param name="ForcedTier">A tier the project's own config asks for (Pulumi stack config <c>infraguard:tier</c>), or null.</param>
/// <param name="Grants">Hand the engine approval tokens (Pulumi with CrossGuard packs).</param>
internal sealed record EngineChoice(IEngine Engine, string Project, string? ForcedTier, bool Grants)
{
    /// <summary>The names <c>--engine</c> accepts.</summary>
    public static readonly string[] Names = ["pulumi", "terraform", "tofu"];

    /// <summary>The one place an engine is chosen: <c>--engine</c>, else detected from the folder (<c>Pulumi.yaml</c> vs <c>*.tf</c>).</summary>
    public static EngineChoice Open(EngineRequest request, Func<string, string?> environment, TimeProvider time)
    {
        var name = request.Name ?? Detect(request.Directory);
        if (name != "pulumi" && (request.PolicyPacks.Count > 0 || request.PolicyPackConfig is not null))
        {
            throw new UsageException($"--policy-pack and --policy-pack-config are Pulumi CrossGuard options; the {name} engine has no policy packs. Drop them.");
        }

        if (name == "pulumi" && (request.Workspace is not null || request.Init))
        {
            throw new UsageException("--workspace and --init are Terraform/OpenTofu options; for Pulumi choose the stack with --stack.");
        }

        if (name == "pulumi")
        {
            var project = PulumiProject.Read(request.Directory);
            var engine = new PulumiEngine(new PulumiEngineOptions { Timeout = request.Timeout, PolicyPacks = request.PolicyPacks, PolicyPackConfig = request.PolicyPackConfig }, time);
            return new EngineChoice(engine, project.Name, project.ForcedTier(request.Directory, request.Stack), request.PolicyPacks.Count > 0);
        }

        var terraform = new TerraformEngine(
            new TerraformEngineOptions { Executable = name, Timeout = request.Timeout, Workspace = request.Workspace, Init = request.Init },
            time);
        return new EngineChoice(terraform, Path.GetFileName(Path.TrimEndingDirectorySeparator(request.Directory)), null, false);
    }

    /// <summary><c>pulumi</c> for a folder with <c>Pulumi.yaml</c>, <c>tofu</c> for <c>*.tofu</c> files, <c>terraform</c> for <c>*.tf</c>.</summary>
    public static string Detect(string directory)
    {
        var pulumi = File.Exists(Path.Combine(directory, "Pulumi.yaml")) || File.Exists(Path.Combine(directory, "Pulumi.yml"));
        var tofu = Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.tofu").Any();
        var terraform = Directory.Exists(directory) && (Directory.EnumerateFiles(directory, "*.tf").Any() || Directory.EnumerateFiles(directory, "*.tf.json").Any());
        return (pulumi, tofu || terraform) switch
        {
            (true, true) => throw new UsageException($"{directory} holds both a Pulumi project (Pulumi.yaml) and Terraform files; choose one with --engine pulumi|terraform|tofu."),
            (true, false) => "pulumi",
            (false, true) => tofu ? "tofu" : "terraform",
            _ => throw new UsageException($"{directory} holds neither Pulumi.yaml nor *.tf files, so the engine cannot be told; run in the project folder, pass --cwd DIR, or choose with --engine pulumi|terraform|tofu."),
        };
    }
}
