namespace InfraGuard.Pulumi;

/// <summary>How <see cref="PulumiEngine"/> finds and runs the <c>pulumi</c> CLI.</summary>
public sealed record PulumiEngineOptions
{
    /// <summary>
    /// The CLI: a bare name looked up on <c>PATH</c> (default <c>pulumi</c>) or a path to the executable.
    /// </summary>
    public string Executable { get; init; } = "pulumi";

    /// <summary>
    /// Environment overrides for every <c>pulumi</c> process (a null value removes the variable). A <c>PATH</c> entry
    /// here is also where <see cref="Executable"/> is looked up. Tests put the stand-in first on <c>PATH</c> this way.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// Overall time limit for one <c>pulumi</c> command, or null for none. When it passes, the engine is interrupted
    /// (like Ctrl-C) and the result says <c>TimedOut</c>.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>After an interrupt (cancellation or timeout), how long Pulumi may take to cancel and unlock the stack before its process is killed.</summary>
    public TimeSpan KillAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many trailing stderr lines are kept for <c>Diagnostics</c>.</summary>
    public int StderrTailLines { get; init; } = 30;

    /// <summary>CrossGuard pack directories to pass with <c>--policy-pack</c> to preview and up.</summary>
    public IReadOnlyList<string> PolicyPacks { get; init; } = [];

    /// <summary>JSON config file for the pack, or null. Only allowed with exactly one pack (Pulumi pairs them one to one).</summary>
    public string? PolicyPackConfig { get; init; }

    /// <summary>Parent folder for the private per-run temp folders (event log, plan); null for the system temp folder.</summary>
    public string? TempRoot { get; init; }
}
