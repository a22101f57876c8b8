using InfraGuard.Core.Facts;


namespace InfraGuard.Core.Policy;

/// <summary>
/// A risk tier (production, staging, development …): which stacks fall in it, the score thresholds, who approves,
/// and how much each kind of actor's changes weigh.
/// </summary>
public sealed record TierPolicy
{
    /// <summary>Weight applied when a tier names none for an actor kind or job.</summary>
    public const decimal NeutralWeight = 1.0m;

    /// <summary>Tier name (<c>production</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Stack name patterns, tried in order; the first tier in file order with a match wins.</summary>
    public required IReadOnlyList<Glob> Stacks { get; init; }

    /// <summary>Action target patterns, tried in file order like <see cref="Stacks"/>: an action whose target matches falls in this tier.</summary>
    public IReadOnlyList<Glob> Targets { get; init; } = [];

    /// <summary>This tier takes stacks no other tier matches.</summary>
    public bool IsDefault { get; init; }

    /// <summary>Total score at or above which approval is required.</summary>
    public required int ReviewAt { get; init; }

    /// <summary>Total score at or above which the change is blocked; <see cref="int.MaxValue"/> when the tier never blocks on score.</summary>
    public required int BlockAt { get; init; }

    /// <summary>Who must approve a change in review.</summary>
    public required ApprovalRequirement Approvals { get; init; }

    /// <summary>Multipliers per actor kind; missing kinds weigh <see cref="NeutralWeight"/>.</summary>
    public required IReadOnlyDictionary<ActorKind, decimal> ActorWeights { get; init; }

    /// <summary>Multipliers per job type (case-insensitive); missing jobs weigh <see cref="NeutralWeight"/>.</summary>
    public required IReadOnlyDictionary<string, decimal> JobWeights { get; init; }

    /// <summary>
    /// Changes in this tier go through an approval server (<c>infraguard up --server</c>); a local run, whose store and
    /// keys sit on the runner's own machine, is refused before anything runs.
    /// </summary>
    public bool RequireServer { get; init; }

    /// <summary>
    /// The requester must be proven by a CI workload-identity token (GitHub/GitLab OIDC); a static runner token's
    /// word is not enough, and such a submission is blocked.
    /// </summary>
    public bool RequireAttestedRequester { get; init; }

    /// <summary>A pending request is brought to its approvers' attention again after this long (and every such interval after); null: no reminders.</summary>
    public TimeSpan? RemindAfter { get; init; }

    /// <summary>After this long pending, <see cref="EscalateTo"/> is told and may decide too; null: no escalation.</summary>
    public TimeSpan? EscalateAfter { get; init; }

    /// <summary>Principals (<c>group:NAME</c> / <c>person:ID</c>) who become eligible approvers once a request escalates; empty without escalation.</summary>
    public IReadOnlyList<string> EscalateTo { get; init; } = [];

    /// <summary>Who may apply without waiting in an emergency, and how soon the retrospective review is due; null: no break-glass in this tier.</summary>
    public BreakGlassPolicy? BreakGlass { get; init; }

    /// <summary>True when this tier asks more of a change than <paramref name="other"/>: a lower review threshold, then a lower block threshold.</summary>
    public bool IsStricterThan(TierPolicy other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return ReviewAt != other.ReviewAt ? ReviewAt < other.ReviewAt : BlockAt < other.BlockAt;
    }

    /// <summary>The combined multiplier for an actor kind and optional job type.</summary>
    public decimal WeightFor(ActorKind actor, string? jobType)
    {
        var weight = ActorWeights.TryGetValue(actor, out var a) ? a : NeutralWeight;
        if (jobType is not null)
        {
            foreach (var (job, w) in JobWeights)
            {
                if (string.Equals(job, jobType, StringComparison.OrdinalIgnoreCase))
                {
                    weight *= w;
                    break;
                }
            }
        }

        return weight;
    }
}

/// <summary>A tier's break-glass: the group whose members may apply without waiting, and the window for the retrospective review.</summary>
/// <param name="Group">The principal (<c>group:NAME</c>) whose members may break the glass.</param>
/// <param name="ReviewWithin">How long after the break-glass the tier's count of independent reviewers must have reviewed it.</param>
public sealed record BreakGlassPolicy(string Group, TimeSpan ReviewWithin)
{
    /// <summary>The review window when a pack names none.</summary>
    public static readonly TimeSpan DefaultReviewWithin = TimeSpan.FromHours(24);
}

/// <summary>
/// Properties that must hold for every resource of a tier. InfraGuard's CrossGuard pack reads these from the same
/// <c>invariants:</c> section and enforces them at preview time.
/// </summary>
/// <param name="DeletionProtection">Stateful resources keep <c>deletionProtection</c> / <c>protect</c>.</param>
/// <param name="MinBackupRetentionDays">Minimum backup retention for databases, or null for no minimum.</param>
/// <param name="PrivateDataClasses">Data classes whose buckets must stay private.</param>
/// <param name="ClassificationTag">The tag key that carries the data class.</param>
public sealed record TierInvariants(
    bool DeletionProtection,
    int? MinBackupRetentionDays,
    IReadOnlyList<string> PrivateDataClasses,
    string ClassificationTag)
{
    /// <summary>The tag key used when a tier names none.</summary>
    public const string DefaultClassificationTag = "data-classification";
}

/// <summary>Who must approve a change that needs review.</summary>
/// <param name="Count">How many distinct eligible approvers.</param>
/// <param name="From">Eligible principals: <c>group:NAME</c> or <c>person:ID</c>; empty means any independent person.</param>
/// <param name="ExpiresAfter">How long a request may wait, and how long an approval stays valid.</param>
public sealed record ApprovalRequirement(int Count, IReadOnlyList<string> From, TimeSpan ExpiresAfter);
