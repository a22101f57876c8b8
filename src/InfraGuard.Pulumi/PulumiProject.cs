using InfraGuard.Core.Engine;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Pulumi;

/// <summary>What the CLI needs from a Pulumi project folder: its name and a stack's forced tier (<c>infraguard:tier</c>).</summary>
public sealed record PulumiProject(string Name, string? StackConfigDir)
{
    public const string TierConfigKey = "infraguard:tier";

    private static readonly string[] ProjectFiles = ["Pulumi.yaml", "Pulumi.yml"];

    public static PulumiProject Read(string directory)
    {
        var file = ProjectFiles.Select(f => Path.Combine(directory, f)).FirstOrDefault(File.Exists);
        if (file is null)
        {
            return new(Path.GetFileName(Path.TrimEndingDirectorySeparator(directory)), null);
        }

        var root = Load(file);
        return new(Scalar(root, "name") ?? Path.GetFileName(directory), Scalar(root, "stackConfigDir"));
    }

    /// <summary>The tier a stack's config file forces, or null.</summary>
    public string? ForcedTier(string directory, string stack)
    {
        var name = stack.Split('/')[^1];
        var folder = StackConfigDir is null ? directory : Path.Combine(directory, StackConfigDir);
        var file = new[] { $"Pulumi.{name}.yaml", $"Pulumi.{name}.yml" }.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        return file is not null && Load(file)?.Children.TryGetValue(new YamlScalarNode("config"), out var config) == true && config is YamlMappingNode map
            ? Scalar(map, TierConfigKey)
            : null;
    }

    private static YamlMappingNode? Load(string file)
    {
        try
        {
            var yaml = new YamlStream();
            using var reader = File.OpenText(file);
            yaml.Load(reader);
            return yaml.Documents.FirstOrDefault()?.RootNode as YamlMappingNode;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new EngineProjectException($"{file}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {e.Message}", e);
        }
    }

    private static string? Scalar(YamlMappingNode? map, string key) =>
        map is not null && map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } v } ? v : null;
}
