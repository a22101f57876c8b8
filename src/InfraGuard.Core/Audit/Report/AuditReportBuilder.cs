using System.Globalization;
using System.Text.Json;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Audit.Report;

/// <summary>
/// Accumulates one period's report from audit entries fed in log order, one at a time, so a period of any size is read
/// once with memory bounded by the number of changes in it (not entries). Entries outside the period are ignored;
/// a change belongs to the period when it was submitted in it, and its later events count up to the period's end.
/// Pure: the caller reads the store, verifies, and adds the request records' findings.
/// </summary>
public sealed class AuditReportBuilder
{
    /// <summary>Written by break-glass applies (issue 18); fields read when present: <c>stack</c>, <c>tier</c>, <c>actor</c>, <c>incident</c>, <c>reason</c>, <c>review_due_at</c>.</summary>
    public const string BreakGlassUsed = "breakglass.used";

    /// <summary>An approval given in the last tenth of the request's window counts as near expiry.</summary>
    public const int NearExpiryPercent = 10;

    private const int MaxFindingsShown = 3;

    private static readonly (string Label, long UpToSeconds)[] DecisionBuckets =
    [
        ("< 5 min", 300),
        ("5–15 min", 900),
        ("15–60 min", 3600),
        ("1–4 h", 4 * 3600),
        ("4–24 h", 24 * 3600),
        ("> 24 h", long.MaxValue),
    ];

    private readonly ReportPeriod _period;
    private readonly string? _tier;
    private readonly List<Row> _rows = [];
    private readonly Dictionary<string, Row> _byRequest = new(StringComparer.Ordinal);
    private readonly List<ReportException> _exceptions = [];
    private readonly List<RefusalRow> _refusals = [];
    private readonly List<BreakGlass> _breakGlass = [];
    private long? _firstSeq;
    private long? _lastSeq;
    private long _entries;

    /// <summary>A builder for <paramref name="period"/>, limited to <paramref name="tier"/> when given.</summary>
    public AuditReportBuilder(ReportPeriod period, string? tier = null)
    {
        _period = period ?? throw new ArgumentNullException(nameof(period));
        _tier = string.IsNullOrWhiteSpace(tier) ? null : tier.Trim();
    }

    /// <summary>The period.</summary>
    public ReportPeriod Period => _period;

    /// <summary>First seq whose signed time lies in the period.</summary>
    public long? FirstSeq => _firstSeq;

    /// <summary>Last seq whose signed time lies in the period.</summary>
    public long? LastSeq => _lastSeq;

    /// <summary>The requests whose findings <see cref="AddRequestRecord"/> can fill in.</summary>
    public IReadOnlyCollection<string> RequestIds => _byRequest.Keys;

    /// <summary>Takes the next entry in log order. Its signed payload decides where it belongs; unreadable payloads are left to the verifier.</summary>
    public void Add(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(entry.Payload);
        }
        catch (JsonException)
        {
            return; // not canonical JSON: the verification reports it
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Text(root, "at") is not { } atText || !TryTime(atText, out var at) || !_period.Contains(at))
            {
                return;
            }

            _firstSeq ??= entry.Seq;
            _lastSeq = entry.Seq;
            _entries++;
            var type = Text(root, "type");
            var request = Text(root, "request");
            switch (type)
            {
                case AuditEventTypes.PlanSubmitted:
                    Submitted(entry.Seq, atText, at, request, root);
                    break;
                case AuditEventTypes.RiskScored:
                    Scored(entry.Seq, atText, root);
                    break;
                case AuditEventTypes.ApprovalGranted or AuditEventTypes.ApprovalDenied:
                    Decided(entry.Seq, atText, at, request, type, root);
                    break;
                case AuditEventTypes.ApprovalRefused:
                    Refused(entry.Seq, atText, request, root);
                    break;
                case AuditEventTypes.RequestStateChanged or AuditEventTypes.DeployStarted:
                    if (Tracked(request) is { } moved && Text(root, "to_state") is { } to)
                    {
                        moved.Outcome = to;
                    }

                    break;
                case AuditEventTypes.DeployCompleted:
                    Completed(entry.Seq, atText, request, root);
                    break;
                case BreakGlassUsed:
                    UsedBreakGlass(entry.Seq, atText, request, root);
                    break;
            }
        }
    }

    /// <summary>
    /// Fills in the findings of a tracked request from its stored record (not part of the signed log). They are shown
    /// only when the record's plan hash equals the signed <c>plan.submitted</c>'s; otherwise the row says so.
    /// </summary>
    public void AddRequestRecord(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_byRequest.TryGetValue(request.Id, out var row))
        {
            return;
        }

        if (!string.Equals(request.PlanHash, row.PlanHash, StringComparison.Ordinal))
        {
            row.FindingsSource = "plan-hash-mismatch";
            return;
        }

        row.FindingsSource = "request-record";
        row.Rules = [.. request.Assessment.Findings.Select(f => f.RuleId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        row.Findings = [.. request.Assessment.Findings
            .OrderByDescending(f => f.Points).ThenBy(f => f.Address, StringComparer.Ordinal).ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .Take(MaxFindingsShown)
            .Select(f => new ReportFinding(f.RuleId, f.Address, f.Points))];
    }

    /// <summary>The report, given the verification done over the same entries.</summary>
    public AuditReport Build(string origin, DateTimeOffset generatedAt, ReportVerification verification)
    {
        ArgumentNullException.ThrowIfNull(verification);
        var exceptions = new List<ReportException>(_exceptions);
        foreach (var b in _breakGlass)
        {
            if (b.ReviewDue is { } due && due < Min(_period.End, generatedAt) && !(Tracked(b.Request) is { } row && row.Decisions.Any(d => d.Verdict == "approve" && TryTime(d.At, out var t) && t <= due)))
            {
                exceptions.Add(new("review-overdue", b.Seq, CanonicalJson.FormatTimestamp(due), b.Request,
                    $"The retrospective review of the break-glass change was due at {CanonicalJson.FormatTimestamp(due)} and no approving review was recorded by then."));
            }
        }

        var times = _rows.Where(r => r.TimeToDecision is not null).Select(r => r.TimeToDecision!.Value).Order().ToList();
        var summary = new ReportSummary
        {
            Changes = _rows.Count,
            Applied = _rows.Count(r => r.Outcome == "applied"),
            Reviewed = _rows.Count(r => r.Decision == "review"),
            Approved = _rows.Count(r => r.Decisions.Any(d => d.Verdict == "approve") && r.Outcome is "approved" or "applying" or "applied" or "failed"),
            Rejected = _rows.Count(r => r.Outcome == "rejected"),
            Blocked = _rows.Count(r => r.Outcome == "blocked"),
            Expired = _rows.Count(r => r.Outcome == "expired"),
            Failed = _rows.Count(r => r.Outcome == "failed"),
            BreakGlass = _breakGlass.Count,
            Open = _rows.Count(r => r.Outcome is "pending" or "approved" or "applying"),
            Withdrawn = _rows.Count(r => r.Outcome is "superseded" or "cancelled"),
            ByTier = Counts(_rows.Select(r => r.Tier)),
            ByActorKind = Counts(_rows.Select(r => r.ActorKind)),
        };
        return new AuditReport
        {
            Origin = origin,
            Period = new ReportPeriodView(
                _period.From.ToString(ReportPeriod.DateFormat, CultureInfo.InvariantCulture),
                _period.To.ToString(ReportPeriod.DateFormat, CultureInfo.InvariantCulture),
                CanonicalJson.FormatTimestamp(_period.Start),
                CanonicalJson.FormatTimestamp(_period.End)),
            Tier = _tier,
            GeneratedAt = CanonicalJson.FormatTimestamp(generatedAt),
            Summary = summary,
            Weeks = Weeks(),
            TimeToDecision = new DecisionTimes(
                times.Count,
                times.Count == 0 ? null : NearestRank(times, 50),
                times.Count == 0 ? null : NearestRank(times, 90),
                [.. DecisionBuckets.Select((b, i) => new NamedCount(b.Label, times.Count(t => t < b.UpToSeconds && (i == 0 || t >= DecisionBuckets[i - 1].UpToSeconds))))]),
            TopRules = [.. Counts(_rows.SelectMany(r => r.Rules)).Take(10)],
            Changes = [.. _rows.Select(r => r.ToView())],
            Exceptions = [.. exceptions.OrderBy(e => e.Seq)],
            Refusals = new RefusalSummary(_refusals.Count, Counts(_refusals.Select(r => r.Rule)), _refusals),
            Verification = verification with
            {
                PeriodFirstSeq = _firstSeq,
                PeriodLastSeq = _lastSeq,
                PeriodEntries = _entries,
                Findings = [.. verification.Findings.Select(f => f with { InPeriod = f.Seq is { } s && _firstSeq is { } first && s >= first && s <= _lastSeq })],
            },
        };
    }

    // ----- events ---------------------------------------------------------------------------------------------

    private void Submitted(long seq, string atText, DateTimeOffset at, string? request, JsonElement root)
    {
        var tier = Text(root, "tier") ?? "unknown";
        if (request is null || !InTier(tier))
        {
            return;
        }

        var decision = Text(root, "decision") ?? "unknown";
        var row = new Row
        {
            Request = request,
            Seq = seq,
            SubmittedAt = atText,
            Submitted = at,
            Stack = Text(root, "stack") ?? "",
            Project = Text(root, "project"),
            Tier = tier,
            ActorKind = Text(root, "actor_kind") ?? "unknown",
            Requester = Person(root, "requester"),
            OnBehalfOf = Text(root, "on_behalf_of"),
            SubmittedBy = Text(root, "submitted_by"),
            Attested = root.TryGetProperty("attested", out var attested) && attested.ValueKind == JsonValueKind.True,
            Score = Number(root, "score"),
            Decision = decision,
            PlanHash = Text(root, "plan_hash") ?? "",
            ExpiresAt = Text(root, "expires_at"),
            Outcome = decision == "block" ? "blocked" : "pending",
            FindingsSource = "missing",
        };
        _rows.Add(row);
        _byRequest[request] = row;
    }

    private void Scored(long seq, string atText, JsonElement root)
    {
        var tier = Text(root, "tier") ?? "unknown";
        if (!InTier(tier))
        {
            return;
        }

        _rows.Add(new Row
        {
            Seq = seq,
            SubmittedAt = atText,
            Stack = Text(root, "stack") ?? "",
            Project = Text(root, "project"),
            Tier = tier,
            ActorKind = Text(root, "actor_kind") ?? "unknown",
            Requester = Text(root, "requester") is { } who ? new ReportPerson(who, who) : null,
            SubmittedBy = Text(root, "submitted_by"),
            Attested = root.TryGetProperty("attested", out var attested) && attested.ValueKind == JsonValueKind.True,
            Score = Number(root, "score"),
            Decision = Text(root, "decision") ?? "block",
            PlanHash = Text(root, "plan_hash") ?? "",
            Outcome = "blocked",
            Rules = root.TryGetProperty("rules", out var rules) && rules.ValueKind == JsonValueKind.Array
                ? [.. rules.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!)]
                : [],
            FindingsSource = "log",
        });
    }

    private void Decided(long seq, string atText, DateTimeOffset at, string? request, string type, JsonElement root)
    {
        if (Tracked(request) is not { } row)
        {
            return;
        }

        var verdict = type == AuditEventTypes.ApprovalGranted ? "approve" : "reject";
        row.Decisions.Add(new ReportDecision(seq, atText, verdict, Person(root, "approver") ?? new ReportPerson("", ""), Text(root, "channel") ?? "", Text(root, "reason") ?? ""));
        if (Text(root, "to_state") is not { } to)
        {
            return;
        }

        row.Outcome = to;
        if (row.TimeToDecision is null && row.Submitted is { } submitted)
        {
            row.DecidedAt = atText;
            row.TimeToDecision = Math.Max(0, (long)(at - submitted).TotalSeconds);
        }

        if (verdict == "approve" && row.ExpiresAt is { } expiresText && TryTime(expiresText, out var expires) && row.Submitted is { } start)
        {
            var window = expires - start;
            if (window > TimeSpan.Zero && expires - at <= window * NearExpiryPercent / 100)
            {
                _exceptions.Add(new("approved-near-expiry", seq, atText, row.Request,
                    $"Approved {Duration((long)(expires - at).TotalSeconds)} before the request expired (window {Duration((long)window.TotalSeconds)})."));
            }
        }
    }

    private void Refused(long seq, string atText, string? request, JsonElement root)
    {
        // With a tier filter, only refusals on that tier's requests count; the event names its tier.
        if (_tier is not null && !string.Equals(Text(root, "tier"), _tier, StringComparison.Ordinal))
        {
            return;
        }

        _refusals.Add(new RefusalRow(seq, atText, request, Person(root, "approver") ?? new ReportPerson("", ""), Text(root, "rule") ?? "other", Text(root, "refusal") ?? ""));
    }

    private void Completed(long seq, string atText, string? request, JsonElement root)
    {
        if (Tracked(request) is not { } row)
        {
            return;
        }

        var succeeded = root.TryGetProperty("succeeded", out var s) && s.ValueKind == JsonValueKind.True;
        row.Outcome = succeeded ? "applied" : "failed";
        row.CompletedAt = atText;
        if (!succeeded)
        {
            _exceptions.Add(new("apply-failed", seq, atText, request, string.Create(CultureInfo.InvariantCulture, $"The apply of plan {Short(row.PlanHash)} on {row.Stack} failed (engine exit {Number(root, "exit_code")}).")));
        }
    }

    private void UsedBreakGlass(long seq, string atText, string? request, JsonElement root)
    {
        if (_tier is not null && Text(root, "tier") is { } tier && !string.Equals(tier, _tier, StringComparison.Ordinal))
        {
            return;
        }

        DateTimeOffset? due = Text(root, "review_due_at") is { } dueText && TryTime(dueText, out var d) ? d : null;
        _breakGlass.Add(new BreakGlass(seq, request, due));
        var who = Person(root, "actor") is { } actor ? actor.Identity : Text(root, "actor") ?? "someone";
        var incident = Text(root, "incident") is { } id ? $" for incident {id}" : "";
        _exceptions.Add(new("break-glass", seq, atText, request, $"Break-glass by {who}{incident}: {Text(root, "reason") ?? "no reason recorded"}"));
    }

    // ----- helpers --------------------------------------------------------------------------------------------

    private bool InTier(string tier) => _tier is null || string.Equals(tier, _tier, StringComparison.Ordinal);

    private Row? Tracked(string? request) => request is not null && _byRequest.TryGetValue(request, out var row) ? row : null;

    private List<WeekCount> Weeks()
    {
        var weeks = new List<WeekCount>();
        var monday = _period.From.AddDays(-(((int)_period.From.DayOfWeek + 6) % 7));
        var byWeek = _rows.GroupBy(r => TryTime(r.SubmittedAt, out var t) ? (DateOnly.FromDateTime(t.UtcDateTime).DayNumber - monday.DayNumber) / 7 : 0).ToDictionary(g => g.Key, g => g.ToList());
        for (var (i, start) = (0, monday); start <= _period.To; i++, start = start.AddDays(7))
        {
            var rows = byWeek.GetValueOrDefault(i) ?? [];
            var applied = rows.Count(r => r.Outcome == "applied");
            var rejected = rows.Count(r => r.Outcome == "rejected");
            var blocked = rows.Count(r => r.Outcome == "blocked");
            var expired = rows.Count(r => r.Outcome == "expired");
            weeks.Add(new WeekCount(start.ToString(ReportPeriod.DateFormat, CultureInfo.InvariantCulture), applied, rejected, blocked, expired, rows.Count - applied - rejected - blocked - expired));
        }

        return weeks;
    }

    private static List<NamedCount> Counts(IEnumerable<string> names) =>
        [.. names.GroupBy(n => n, StringComparer.Ordinal).Select(g => new NamedCount(g.Key, g.Count())).OrderByDescending(c => c.Count).ThenBy(c => c.Name, StringComparer.Ordinal)];

    private static long NearestRank(List<long> sorted, int percentile) =>
        sorted[Math.Max(0, (int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1)];

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static string Duration(long seconds) => seconds switch
    {
        < 60 => string.Create(CultureInfo.InvariantCulture, $"{seconds}s"),
        < 3600 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m{(seconds % 60 is var s and > 0 ? $" {s}s" : "")}"),
        < 86400 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h{(seconds % 3600 / 60 is var m and > 0 ? $" {m}m" : "")}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400}d{(seconds % 86400 / 3600 is var h and > 0 ? $" {h}h" : "")}"),
    };

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Number(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static ReportPerson? Person(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object && Text(v, "person") is { } person
            ? new ReportPerson(person, Text(v, "identity") ?? person)
            : null;

    private static bool TryTime(string text, out DateTimeOffset at) =>
        DateTimeOffset.TryParseExact(text, CanonicalJson.TimestampFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out at);

    private sealed record BreakGlass(long Seq, string? Request, DateTimeOffset? ReviewDue);

    private sealed class Row
    {
        public string? Request { get; init; }

        public long Seq { get; init; }

        public required string SubmittedAt { get; init; }

        public DateTimeOffset? Submitted { get; init; }

        public required string Stack { get; init; }

        public string? Project { get; init; }

        public required string Tier { get; init; }

        public required string ActorKind { get; init; }

        public ReportPerson? Requester { get; init; }

        public string? OnBehalfOf { get; init; }

        public string? SubmittedBy { get; init; }

        public bool Attested { get; init; }

        public long Score { get; init; }

        public required string Decision { get; init; }

        public required string PlanHash { get; init; }

        public string? ExpiresAt { get; init; }

        public required string Outcome { get; set; }

        public required string FindingsSource { get; set; }

        public IReadOnlyList<ReportFinding> Findings { get; set; } = [];

        public IReadOnlyList<string> Rules { get; set; } = [];

        public List<ReportDecision> Decisions { get; } = [];

        public string? DecidedAt { get; set; }

        public long? TimeToDecision { get; set; }

        public string? CompletedAt { get; set; }

        public ChangeRow ToView() => new()
        {
            Request = Request,
            Seq = Seq,
            SubmittedAt = SubmittedAt,
            Stack = Stack,
            Project = Project,
            Tier = Tier,
            ActorKind = ActorKind,
            Requester = Requester,
            OnBehalfOf = OnBehalfOf,
            SubmittedBy = SubmittedBy,
            Attested = Attested,
            Score = Score,
            Decision = Decision,
            PlanHash = PlanHash,
            Findings = Findings,
            Rules = Rules,
            FindingsSource = FindingsSource,
            Decisions = Decisions,
            Outcome = Outcome,
            DecidedAt = DecidedAt,
            TimeToDecisionSeconds = TimeToDecision,
            ExpiresAt = ExpiresAt,
            CompletedAt = CompletedAt,
        };
    }
}
