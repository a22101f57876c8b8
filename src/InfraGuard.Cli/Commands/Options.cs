using System.CommandLine;
using InfraGuard.Core.Policy;

namespace InfraGuard.Cli.Commands;

/// <summary>Options shared by several commands, defined once.</summary>
internal static class Options
{
    public static Option<string> Policy() =>
        new("--policy") { Description = "Policy pack folder (holding policy.yaml); default: $INFRAGUARD_POLICY, else the embedded pack", HelpName = "DIR" };

    public static Option<string> ActorKind()
    {
        var option = new Option<string>("--actor-kind") { Description = "Who asks for the change", DefaultValueFactory = _ => "human" };
        option.AcceptOnlyFromAmong("human", "pipeline", "agent");
        return option;
    }

    public static ActorKind ParseActorKind(string value) => value switch
    {
        "pipeline" => Core.Policy.ActorKind.Pipeline,
        "agent" => Core.Policy.ActorKind.Agent,
        _ => Core.Policy.ActorKind.Human,
    };

    /// <summary>The <c>--server</c> option of commands that talk to the approval server: one URL, several comma-separated, or repeated.</summary>
    public static Option<string[]> Servers(string description) =>
        new("--server") { Description = description + "; several replicas: URL,URL or --server repeated (failing over in that order)", HelpName = "URL", AllowMultipleArgumentsPerToken = false };

    /// <summary>The <c>--server</c> URL, or null; anything but an absolute http(s) URL is a usage error.</summary>
    public static Uri? ServerUri(string? text) =>
        text is null ? null
        : Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri
        : throw new UsageException($"--server '{text}' is not an http(s) URL; use e.g. https://infraguard.example.com.");
}
