using System.Text.Json.Serialization;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// A change-management report for one period, as data (<c>report.json</c>, format <see cref="FormatName"/>). Every
/// figure is drawn from the signed audit log, except the findings of each change, which come from the stored request
/// record and are shown only when its plan hash equals the signed one. Times are UTC in the canonical timestamp
/// format; durations are whole seconds.
/// </summary>
public sealed record AuditReport
{
    /// <summary>The value of <see cref="Format"/>.</summary>
    public const string FormatName = "infraguard-audit-report-v1";

    /// <summary>Format name and version of this document.</summary>
    public string Format { get; init; } = FormatName;

    /// <summary>The log's origin (the checkpoints' <c>origin</c> line).</summary>
    public required string Origin { get; init; }

    /// <summary>The period covered.</summary>
    public required ReportPeriodView Period { get; init; }

    /// <summary>The tier the report is limited to, or null for every tier.</summary>
    public string? Tier { get; init; }

    /// <summary>When the report was generated (and the log verified).</summary>
    public required string GeneratedAt { get; init; }

    /// <summary>The headline figures.</summary>
    public required ReportSummary Summary { get; init; }

    /// <summary>Changes per week (weeks start on Monday, UTC), by outcome.</summary>
    public required IReadOnlyList<WeekCount> Weeks { get; init; }

    /// <summary>Time from submission to the human decision that settled a reviewed change.</summary>
    public required DecisionTimes TimeToDecision { get; init; }

    /// <summary>The rules that fired most, counted once per change.</summary>
    public required IReadOnlyList<NamedCount> TopRules { get; init; }

    /// <summary>Every change in the period, in log order (blocked plans included; they have no request).</summary>
    public required IReadOnlyList<ChangeRow> Changes { get; init; }

    /// <summary>Break-glass uses, overdue retrospective reviews, approvals near expiry, failed applies.</summary>
    public required IReadOnlyList<ReportException> Exceptions { get; init; }

    /// <summary>Decisions the approval rules refused (self-approval attempts, ineligible approvers, …).</summary>
    public required RefusalSummary Refusals { get; init; }

    /// <summary>What was verified at generation time, and how to verify it again offline.</summary>
    public required ReportVerification Verification { get; init; }
}

/// <summary>The period: its days and the exact instants.</summary>
/// <param name="From">First day, <c>YYYY-MM-DD</c>.</param>
/// <param name="To">Last day, inclusive.</param>
/// <param name="Start">First instant (inclusive).</param>
/// <param name="End">Instant after the last day (exclusive).</param>
/// <param name="TimeZone">Always <c>UTC</c>.</param>
public sealed record ReportPeriodView(string From, string To, string Start, string End, string TimeZone = "UTC");

/// <summary>Headline figures: each counts changes (requests, plus blocked plans, which have none).</summary>
public sealed record ReportSummary
{
    /// <summary>Plans submitted in the period (requests plus blocked plans).</summary>
    public int Changes { get; init; }

    /// <summary>Applied successfully.</summary>
    public int Applied { get; init; }

    /// <summary>Needed a human review (decision <c>review</c>).</summary>
    public int Reviewed { get; init; }

    /// <summary>Approved by reviewers.</summary>
    public int Approved { get; init; }

    /// <summary>Rejected by a reviewer.</summary>
    public int Rejected { get; init; }

    /// <summary>Blocked by policy.</summary>
    public int Blocked { get; init; }

    /// <summary>Expired with no decision, or with an approval that lapsed before apply.</summary>
    public int Expired { get; init; }

    /// <summary>Applies that failed.</summary>
    public int Failed { get; init; }

    /// <summary>Break-glass uses.</summary>
    public int BreakGlass { get; init; }

    /// <summary>Still open (pending, approved or applying) at the period's end.</summary>
    public int Open { get; init; }

    /// <summary>Superseded or cancelled.</summary>
    public int Withdrawn { get; init; }

    /// <summary>Changes per tier.</summary>
    public IReadOnlyList<NamedCount> ByTier { get; init; } = [];

    /// <summary>Changes per actor kind (human, pipeline, agent).</summary>
    public IReadOnlyList<NamedCount> ByActorKind { get; init; } = [];
}

/// <summary>A name and how many.</summary>
public sealed record NamedCount(string Name, int Count);

/// <summary>One week's changes by outcome.</summary>
/// <param name="WeekStart">The Monday, <c>YYYY-MM-DD</c> (may fall before the period's first day).</param>
/// <param name="Applied">Applied.</param>
/// <param name="Rejected">Rejected by a reviewer.</param>
/// <param name="Blocked">Blocked by policy.</param>
/// <param name="Expired">Expired.</param>
/// <param name="Other">Open, failed, superseded or cancelled.</param>
public sealed record WeekCount(string WeekStart, int Applied, int Rejected, int Blocked, int Expired, int Other)
{
    /// <summary>All changes of the week.</summary>
    [JsonIgnore]
    public int Total => Applied + Rejected + Blocked + Expired + Other;
}

/// <summary>Time to decision over the reviewed changes that were decided.</summary>
/// <param name="Decided">How many reviewed changes were decided by a person.</param>
/// <param name="MedianSeconds">Median (nearest rank), or null when none.</param>
/// <param name="P90Seconds">90th percentile (nearest rank), or null when none.</param>
/// <param name="Buckets">How many fell in each range.</param>
public sealed record DecisionTimes(int Decided, long? MedianSeconds, long? P90Seconds, IReadOnlyList<NamedCount> Buckets);

/// <summary>A person as the log records them.</summary>
/// <param name="Person">Resolved person id.</param>
/// <param name="Identity">The raw identity seen (CI login, Slack id, e-mail).</param>
public sealed record ReportPerson(string Person, string Identity);

/// <summary>One decision on a change.</summary>
public sealed record ReportDecision(long Seq, string At, string Verdict, ReportPerson Approver, string Channel, string Reason);

/// <summary>A finding as the report shows it: rule, resource and points (never property values).</summary>
public sealed record ReportFinding(string Rule, string Address, int Points);

/// <summary>One change: who asked, who decided and why, what it scored, what happened.</summary>
public sealed record ChangeRow
{
    /// <summary>The change request, or null for a blocked plan (no request is made for it).</summary>
    public string? Request { get; init; }

    /// <summary>Seq of the <c>plan.submitted</c> (or <c>risk.scored</c>) entry.</summary>
    public long Seq { get; init; }

    /// <summary>When it was submitted.</summary>
    public required string SubmittedAt { get; init; }

    /// <summary>Stack.</summary>
    public required string Stack { get; init; }

    /// <summary>Project.</summary>
    public string? Project { get; init; }

    /// <summary>Tier.</summary>
    public required string Tier { get; init; }

    /// <summary>human, pipeline or agent.</summary>
    public required string ActorKind { get; init; }

    /// <summary>Who asked.</summary>
    public ReportPerson? Requester { get; init; }

    /// <summary>The person an agent acted for.</summary>
    public string? OnBehalfOf { get; init; }

    /// <summary>The credential that submitted it.</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>True when the requester was proven by a CI workload-identity token.</summary>
    public bool Attested { get; init; }

    /// <summary>Risk score.</summary>
    public long Score { get; init; }

    /// <summary>allow, review or block.</summary>
    public required string Decision { get; init; }

    /// <summary>SHA-256 of the saved plan.</summary>
    public required string PlanHash { get; init; }

    /// <summary>The top findings (at most three), highest points first.</summary>
    public IReadOnlyList<ReportFinding> Findings { get; init; } = [];

    /// <summary>The rule ids that fired (all of them).</summary>
    public IReadOnlyList<string> Rules { get; init; } = [];

    /// <summary>Where the findings came from: <c>log</c> (blocked plans), <c>request-record</c>, <c>missing</c> or <c>plan-hash-mismatch</c>.</summary>
    public required string FindingsSource { get; init; }

    /// <summary>Every decision, in order.</summary>
    public IReadOnlyList<ReportDecision> Decisions { get; init; } = [];

    /// <summary>Outcome at the period's end: applied, failed, rejected, blocked, expired, superseded, cancelled, pending, approved, applying.</summary>
    public required string Outcome { get; init; }

    /// <summary>When a person's decision settled it (reviewed changes).</summary>
    public string? DecidedAt { get; init; }

    /// <summary>Seconds from submission to that decision.</summary>
    public long? TimeToDecisionSeconds { get; init; }

    /// <summary>When the request expires (or expired).</summary>
    public string? ExpiresAt { get; init; }

    /// <summary>When the apply finished.</summary>
    public string? CompletedAt { get; init; }
}

/// <summary>Something an auditor looks at first.</summary>
/// <param name="Kind"><c>break-glass</c>, <c>review-overdue</c>, <c>approved-near-expiry</c> or <c>apply-failed</c>.</param>
/// <param name="Seq">The entry that shows it.</param>
/// <param name="At">When.</param>
/// <param name="Request">The change request.</param>
/// <param name="Detail">One sentence.</param>
public sealed record ReportException(string Kind, long Seq, string At, string? Request, string Detail);

/// <summary>Refused decisions, by rule.</summary>
public sealed record RefusalSummary(int Total, IReadOnlyList<NamedCount> ByRule, IReadOnlyList<RefusalRow> Items);

/// <summary>One refused decision.</summary>
public sealed record RefusalRow(long Seq, string At, string? Request, ReportPerson Approver, string Rule, string Reason);

/// <summary>A checkpoint as the report cites it.</summary>
/// <param name="Number">Checkpoint number (file <c>checkpoints/cp-NNNNNN.txt</c> in the export bundle).</param>
/// <param name="Size">How many entries it vouches for.</param>
/// <param name="Head">The entry hash at that size.</param>
/// <param name="Time">When it was signed.</param>
/// <param name="KeyId">The signing key.</param>
public sealed record ReportCheckpoint(long Number, long Size, string Head, string Time, string KeyId);

/// <summary>A signing key: id and full SHA-256 fingerprint of the raw public key.</summary>
public sealed record ReportKey(string KeyId, string Fingerprint, string PublicKeyPem);

/// <summary>A verification finding, and whether it lies inside the period's entries.</summary>
public sealed record ReportFindingOfTamper(string Kind, long? Seq, string Detail, bool InPeriod);

/// <summary>What was verified when the report was generated.</summary>
public sealed record ReportVerification
{
    /// <summary><c>valid</c>, <c>tampered</c> or <c>unable</c>.</summary>
    public required string Status { get; init; }

    /// <summary>0 valid, 1 tamper evidence, 2 unable to verify.</summary>
    public int ExitCode { get; init; }

    /// <summary>Why verification could not run, if it could not.</summary>
    public string? UnableReason { get; init; }

    /// <summary>Where the trusted keys came from: <c>database</c> or <c>given</c> (out of band).</summary>
    public required string TrustedKeys { get; init; }

    /// <summary>Entries verified (the whole log, from seq 1: a checkpoint's head can only be recomputed from genesis).</summary>
    public long EntriesVerified { get; init; }

    /// <summary>
    /// Entries (from seq 1) whose own signature was not checked because a validly signed checkpoint vouches for them
    /// through the hash chain; every later entry's signature was checked.
    /// </summary>
    public long EntriesVouchedByCheckpoint { get; init; }

    /// <summary>Checkpoints verified.</summary>
    public long CheckpointsVerified { get; init; }

    /// <summary>First seq in the period, or null when the period has no entries.</summary>
    public long? PeriodFirstSeq { get; init; }

    /// <summary>Last seq in the period.</summary>
    public long? PeriodLastSeq { get; init; }

    /// <summary>Entries in the period.</summary>
    public long PeriodEntries { get; init; }

    /// <summary>The newest checkpoint from before the period (vouches for the log up to the period's start).</summary>
    public ReportCheckpoint? CheckpointBefore { get; init; }

    /// <summary>The first checkpoint whose size reaches the period's last entry: it vouches for every entry of the period.</summary>
    public ReportCheckpoint? CheckpointCovering { get; init; }

    /// <summary>True when <see cref="CheckpointCovering"/> exists (or the period is empty).</summary>
    public bool PeriodCoveredByCheckpoint { get; init; }

    /// <summary>Every finding; <see cref="ReportFindingOfTamper.InPeriod"/> marks those inside the period.</summary>
    public IReadOnlyList<ReportFindingOfTamper> Findings { get; init; } = [];

    /// <summary>The entries no checkpoint vouches for yet, as one sentence.</summary>
    public string? Tail { get; init; }

    /// <summary>The keys that signed the period's entries and checkpoints.</summary>
    public IReadOnlyList<ReportKey> Keys { get; init; } = [];

    /// <summary>Commands that verify the period again offline.</summary>
    public IReadOnlyList<string> ReverifyCommands { get; init; } = [];
}
