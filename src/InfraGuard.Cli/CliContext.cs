namespace InfraGuard.Cli;

/// <summary>
/// Everything a command may touch outside itself: the two streams, the environment, the working directory and the
/// clock. Tests build one in memory; <see cref="FromProcess"/> binds the real process.
/// </summary>
internal sealed record CliContext(
    TextWriter Out,
    TextWriter Error,
    bool OutIsTerminal,
    bool ErrorIsTerminal,
    Func<string, string?> GetEnvironment,
    string WorkingDirectory,
    TimeProvider Time)
{
    /// <summary>Colour on stdout only on a terminal, and never with NO_COLOR.</summary>
    public bool OutColor => OutIsTerminal && string.IsNullOrEmpty(GetEnvironment("NO_COLOR"));

    /// <summary>Colour on stderr only on a terminal, and never with NO_COLOR.</summary>
    public bool ErrorColor => ErrorIsTerminal && string.IsNullOrEmpty(GetEnvironment("NO_COLOR"));

    public static CliContext FromProcess() => new(
        Console.Out,
        Console.Error,
        !Console.IsOutputRedirected,
        !Console.IsErrorRedirected,
        Environment.GetEnvironmentVariable,
        Environment.CurrentDirectory,
        TimeProvider.System);

    /// <summary>Resolves a user-given path against the working directory.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, WorkingDirectory);
}
