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

    /// <summary><c>--break-glass</c>, <c>--incident ID</c> and <c>--reason TEXT</c> of <c>up</c> and <c>exec</c>.</summary>
    public static (Option<bool> BreakGlass, Option<string> Incident, Option<string> Reason) BreakGlass() => (
        new("--break-glass") { Description = "Emergency: apply without waiting for approval, if you are in the tier's break-glass group (needs --server; announced on every channel, reviewed afterwards)" },
        new("--incident") { Description = "With --break-glass: the incident id this serves", HelpName = "ID" },
        new("--reason") { Description = "With --break-glass: why it cannot wait (stored in the audit log)", HelpName = "TEXT" });

    /// <summary>The break-glass ask, or null without <c>--break-glass</c>; a usage error when half of it is given.</summary>
    public static Core.Approvals.BreakGlassAsk? BreakGlassAsk(bool breakGlass, string? incident, string? reason) =>
        breakGlass
            ? string.IsNullOrWhiteSpace(incident) || string.IsNullOrWhiteSpace(reason)
                ? throw new UsageException("--break-glass needs --incident ID and --reason TEXT: the audit log and every channel record which incident and why.")
                : new Core.Approvals.BreakGlassAsk(incident.Trim(), reason.Trim())
            : incident is not null || reason is not null
                ? throw new UsageException("--incident and --reason only go with --break-glass.")
                : null;

    /// <summary>True for the server's break-glass refusals (<c>break-glass-…</c>): exit 77, nothing applied.</summary>
    public static bool IsBreakGlassRefusal(string code) => code.StartsWith("break-glass-", StringComparison.Ordinal);
}
