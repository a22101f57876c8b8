using System.Text.Json.Nodes;

namespace InfraGuard.Core.Requests;

/// <summary>
/// An action as stored with its request and shown on every channel: kind, target, and the command line or tool call
/// with secrets redacted. The approved hash is the request's plan hash, computed from the exact action.
/// </summary>
/// <param name="Kind">The action kind.</param>
/// <param name="Target">What it acts on, if named.</param>
/// <param name="Program">The program's file name or the tool's name.</param>
/// <param name="Argv">The redacted command line, or null for a tool call.</param>
/// <param name="Tool">The tool's name, or null for a command line.</param>
/// <param name="Arguments">The redacted tool arguments, or null for a command line.</param>
public sealed record ActionRecord(string Kind, string? Target, string Program, IReadOnlyList<string>? Argv, string? Tool, JsonObject? Arguments)
{
    /// <summary>The kind's verb phrase from the pack that scored it (<c>export data from</c>), for the request's sentence.</summary>
    public string? Phrase { get; init; }

    /// <summary>The data class the pack put the action in, if any.</summary>
    public string? DataClass { get; init; }

    /// <summary>The command line as one shell-like line (arguments with spaces quoted), or <c>tool {arguments}</c>.</summary>
    public string Display()
    {
        if (Argv is { } argv)
        {
            return string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'') ? "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : a));
        }

        return $"{Tool} {Arguments?.ToJsonString() ?? "{}"}";
    }
}
