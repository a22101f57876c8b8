namespace InfraGuard.Engines;

/// <summary>Finds an executable the way a shell does: a path is used as given, a bare name is searched on PATH.</summary>
public static class ExecutableLookup
{
    public static string? Find(string executable, string? pathVariable)
    {
        if (executable.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || executable.Contains(Path.AltDirectorySeparatorChar, StringComparison.Ordinal))
        {
            return IsExecutable(executable) ? Path.GetFullPath(executable) : null;
        }

        string[] suffixes = OperatingSystem.IsWindows() ? [".exe", ".cmd", ""] : [""];
        foreach (var directory in (pathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var suffix in suffixes)
            {
                var candidate = Path.Combine(directory, executable + suffix);
                if (IsExecutable(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }

        return null;
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        return OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
