using CliWrap;
using CliWrap.Buffered;

namespace InfraGuard.Cli;

/// <summary>What InfraGuard asks git, when git is there: commit authors of the change and the local user's e-mail.</summary>
internal static class Git
{
    /// <summary>
    /// Authors of the commits being deployed: HEAD's author, or for a merge commit every author of the merged branch
    /// (HEAD^1..HEAD), as <c>email:</c> identities. They may not approve the change.
    /// </summary>
    public static async Task<IReadOnlyList<string>> AuthorsAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            var parents = await RunAsync(directory, ["rev-list", "--parents", "-n", "1", "HEAD"], cancellationToken).ConfigureAwait(false);
            if (parents is null)
            {
                return [];
            }

            var range = parents.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length > 2 ? new[] { "HEAD^1..HEAD" } : ["-n", "1", "HEAD"];
            var emails = await RunAsync(directory, ["log", "--format=%ae", .. range], cancellationToken).ConfigureAwait(false);
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

    /// <summary><c>git config user.email</c>, or null.</summary>
    public static async Task<string?> UserEmailAsync(string directory, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(directory, ["config", "user.email"], cancellationToken).ConfigureAwait(false) is { Length: > 0 } email ? email : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static async Task<string?> RunAsync(string directory, string[] args, CancellationToken cancellationToken)
    {
        var result = await CliWrap.Cli.Wrap("git").WithArguments(args).WithWorkingDirectory(directory)
            .WithValidation(CommandResultValidation.None)
            .ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
    }
}
