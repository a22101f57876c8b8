using CliWrap;
using CliWrap.Buffered;

namespace InfraGuard.Cli;

/// <summary>
/// Authors of the commits being deployed, from git when available: HEAD's author, or for a merge commit every
/// author of the merged branch (HEAD^1..HEAD). They may not approve the change.
/// </summary>
internal static class GitAuthors
{
    public static async Task<IReadOnlyList<string>> ReadAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            var parents = await Git(directory, ["rev-list", "--parents", "-n", "1", "HEAD"], cancellationToken).ConfigureAwait(false);
            if (parents is null)
            {
                return [];
            }

            var range = parents.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 2 ? new[] { "HEAD^1..HEAD" } : ["-n", "1", "HEAD"];
            var emails = await Git(directory, ["log", "--format=%ae", .. range], cancellationToken).ConfigureAwait(false);
            return (emails ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .Select(e => "email:" + e)
                .ToList();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return []; // no git on this machine
        }
    }

    private static async Task<string?> Git(string directory, string[] args, CancellationToken cancellationToken)
    {
        var result = await Cli.Wrap("git").WithArguments(args).WithWorkingDirectory(directory)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }
}
