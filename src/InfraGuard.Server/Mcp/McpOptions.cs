using System.ComponentModel.DataAnnotations;
using InfraGuard.Core.Policy;
using InfraGuard.Mcp;

namespace InfraGuard.Server.Mcp;

/// <summary>
/// The <c>/mcp</c> endpoint (section <c>Server:Mcp</c>): optional; on when <see cref="Upstreams"/> names an upstreams
/// file. The file is read and checked when the server starts: a mistake stops it with every problem and its line.
/// </summary>
public sealed class McpOptions : IValidatableObject
{
    public const string Section = "Server:Mcp";

    /// <summary>The upstreams file (the same format as <c>infraguard mcp --upstreams</c>); null: no <c>/mcp</c> endpoint.</summary>
    public string? Upstreams { get; set; }

    /// <summary>How long a call waits for a decision at most, in seconds (0: answer "pending, ask again" at once); null: until the request expires.</summary>
    [Range(0, 86_400, ErrorMessage = "Server:Mcp:WaitSeconds must be between 0 and 86400 (or left out: wait until the request expires).")]
    public int? WaitSeconds { get; set; }

    /// <summary>How often a waiting call reports progress to the agent (and, at the latest, reads its request again).</summary>
    [Range(1, 300, ErrorMessage = "Server:Mcp:ProgressSeconds must be between 1 and 300.")]
    public int ProgressSeconds { get; set; } = 5;

    /// <summary>The header an agent's client may send naming the person it acts for (when its credential does not already name one).</summary>
    [Required]
    public string OnBehalfOfHeader { get; set; } = "X-InfraGuard-On-Behalf-Of";

    /// <summary>True when the endpoint is on.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Upstreams);

    /// <summary>Reads and checks the upstreams file.</summary>
    /// <exception cref="PolicyException">It has mistakes (each with its line).</exception>
    /// <exception cref="IOException">It cannot be read.</exception>
    public IReadOnlyList<Upstream> Load() => UpstreamsFile.Parse(File.ReadAllText(Upstreams!), Upstreams!);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled)
        {
            yield break;
        }

        if (!File.Exists(Upstreams))
        {
            yield return new ValidationResult($"Server:Mcp:Upstreams {Upstreams} does not exist; point it at an upstreams file (see docs/mcp.md) or leave it out to turn /mcp off.", [nameof(Upstreams)]);
            yield break;
        }

        string? problems = null;
        try
        {
            Load();
        }
        catch (PolicyException e)
        {
            problems = string.Join("; ", e.Errors.Select(x => x.ToString()));
        }

        if (problems is not null)
        {
            yield return new ValidationResult($"Server:Mcp:Upstreams has mistakes: {problems}", [nameof(Upstreams)]);
        }
    }
}
