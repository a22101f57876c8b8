namespace InfraGuard.Terraform;

/// <summary>How <see cref="TerraformEngine"/> finds and runs <c>terraform</c> or <c>tofu</c>.</summary>
public sealed record TerraformEngineOptions
{
    /// <summary>The CLI: a bare name looked up on <c>PATH</c> (<c>terraform</c> or <c>tofu</c>) or a path to the executable.</summary>
    public string Executable { get; init; } = "terraform";

    /// <summary>Environment overrides for every process (a null value removes the variable); a <c>PATH</c> entry is also where <see cref="Executable"/> is looked up.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Run <c>init -input=false</c> before the plan (off by default: the pipeline usually runs it).</summary>
    public bool Init { get; init; }

    /// <summary>The workspace to use (<c>TF_WORKSPACE</c>), or null for the CLI's current one.</summary>
    public string? Workspace { get; init; }

    /// <summary>How long plan and apply wait for the state lock (<c>-lock-timeout</c>).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Overall time limit for one command, or null for none; when it passes the engine is interrupted.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>After an interrupt, how long the CLI may take to stop and release the state lock before it is killed.</summary>
    public TimeSpan KillAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How many trailing stderr lines are kept for diagnostics.</summary>
    public int StderrTailLines { get; init; } = 30;

    /// <summary>Parent folder for the private per-run temp folders (the plan file); null for the system temp folder.</summary>
    public string? TempRoot { get; init; }
}
