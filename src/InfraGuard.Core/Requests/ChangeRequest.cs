using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Risk;

namespace InfraGuard.Core.Requests;

/// <summary>A person as resolved by identity mapping, plus the raw identity that was seen (CI login, email, Slack id).</summary>
public sealed record PersonRef(string PersonId, string RawIdentity)
{
    /// <summary>The identity InfraGuard records for transitions it makes itself (policy allow, expiry, supersession).</summary>
    public static PersonRef System { get; } = new("infraguard", "system:infraguard");
}

/// <summary>
/// Which channel a decision came through: the CLI, the REST API and the web page are built in; a chat channel names
/// itself (<c>Slack</c>, <c>Teams</c>). Stored and serialised as its name.
/// </summary>
[JsonConverter(typeof(DecisionChannelJsonConverter))]
public sealed record DecisionChannel
{
    private DecisionChannel(string name) => Name = name;

    /// <summary>The <c>infraguard approve|reject</c> command.</summary>
    public static DecisionChannel Cli { get; } = new("Cli");

    /// <summary>The REST API.</summary>
    public static DecisionChannel Api { get; } = new("Api");

    /// <summary>The web page.</summary>
    public static DecisionChannel Web { get; } = new("Web");

    /// <summary>The channel's name as stored (<c>Cli</c>, <c>Api</c>, <c>Web</c>, <c>Slack</c>, <c>Teams</c>).</summary>
    public string Name { get; }

    /// <summary>The channel called <paramref name="name"/>: letters and digits, up to 32.</summary>
    public static DecisionChannel Of(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return name.Length <= 32 && name.All(char.IsAsciiLetterOrDigit)
            ? new(name)
            : throw new ArgumentException($"A channel name is letters and digits, up to 32: '{name}'.", nameof(name));
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Reads and writes a <see cref="DecisionChannel"/> as its name.</summary>
public sealed class DecisionChannelJsonConverter : JsonConverter<DecisionChannel>
{
    /// <inheritdoc/>
    public override DecisionChannel? Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        DecisionChannel.Of(reader.GetString() ?? throw new System.Text.Json.JsonException("A decision channel is a string."));

    /// <inheritdoc/>
    public override void Write(System.Text.Json.Utf8JsonWriter writer, DecisionChannel value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Name);
    }
}

/// <summary>Approve or reject.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>Approve the exact plan.</summary>
    Approve,

    /// <summary>Reject it.</summary>
    Reject,
}

/// <summary>Which stored plan artifact.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ArtifactKind>))]
public enum ArtifactKind
{
    /// <summary>The engine's preview output (event log or plan JSON).</summary>
    EngineOutput,

    /// <summary>The saved plan file that apply is constrained to.</summary>
    SavedPlan,
}

/// <summary>A plan artifact's bytes (stored gzip-compressed) and their lower-case hex SHA-256.</summary>
public sealed record PlanArtifact(ArtifactKind Kind, byte[] Content, string Sha256);

/// <summary>
/// What a request asks for and who asks: written once for the request to store (<see cref="NewChangeRequest"/>) and the
/// stored request (<see cref="ChangeRequest"/>), which copies them unchanged.
/// </summary>
public abstract record RequestFields
{
    /// <summary>Stack name (Pulumi), workspace label (Terraform), or an action's target.</summary>
    public required string Stack { get; init; }

    /// <summary>Project name or directory label; an action's program.</summary>
    public required string Project { get; init; }

    /// <summary>Who asked.</summary>
    public required PersonRef Requester { get; init; }

    /// <summary>Human, pipeline or agent.</summary>
    public required ActorKind ActorKind { get; init; }

    /// <summary>The principal an agent acts for, if any.</summary>
    public string? OnBehalfOf { get; init; }

    /// <summary>Authors of the commits in the change.</summary>
    public IReadOnlyList<string> CommitAuthors { get; init; } = [];

    /// <summary>CI run id; with stack and plan hash it makes creation idempotent.</summary>
    public string? CiRunId { get; init; }

    /// <summary>Link to the CI run.</summary>
    public string? CiRunUrl { get; init; }

    /// <summary>Lower-case hex SHA-256 of the saved plan (of the exact action, for an action request).</summary>
    public required string PlanHash { get; init; }

    /// <summary>Lower-case hex SHA-256 of the stack state when previewed.</summary>
    public required string StateFingerprint { get; init; }

    /// <summary>Hash of the policy pack that scored the plan.</summary>
    public required string PolicyPackHash { get; init; }

    /// <summary>The assessment (its tier, score, decision and approval requirement are copied onto the stored request).</summary>
    public required Assessment Assessment { get; init; }

    /// <summary>True when the requester was proven by a CI workload-identity token; false for static tokens and local runs.</summary>
    public bool Attested { get; init; }

    /// <summary>The commit a verified CI token names, when attested.</summary>
    public string? Commit { get; init; }

    /// <summary>What is asked for: <c>infra.apply</c> (a guarded <c>up</c>) or an action kind such as <c>data.export</c>.</summary>
    public string Kind { get; init; } = RequestKinds.InfraApply;

    /// <summary>For an action request: the action, secrets redacted (its exact SHA-256 is <see cref="PlanHash"/>); null for infrastructure.</summary>
    public ActionRecord? Action { get; init; }
}

/// <summary>A request to store: everything known when review became necessary.</summary>
public sealed record NewChangeRequest : RequestFields
{
    /// <summary>Artifacts to store with the request (engine output, saved plan).</summary>
    public IReadOnlyList<(ArtifactKind Kind, byte[] Content)> Artifacts { get; init; } = [];

    /// <summary>The authenticated credential that submitted it; null means the requester itself (local mode).</summary>
    public string? SubmittedBy { get; init; }

    /// <summary>
    /// Policy allows it: stored approved by InfraGuard itself, audited with this reason, in the transaction that stores
    /// it (an open request found for it instead is approved the same way). Null: stored pending.
    /// </summary>
    public string? AllowedBecause { get; init; }

    /// <summary>
    /// With <see cref="AllowedBecause"/>: the runner that starts it at once. A request this call creates moves on to
    /// applying in the same transaction (an allowed action run now: nothing to wait for, nothing to fetch between), so
    /// its approval and start are one atomic, audited step. <see cref="CreateRequestResult.Started"/> says it happened.
    /// </summary>
    public PersonRef? StartedBy { get; init; }
}

/// <summary>A stored change request: the fields it was asked with, and what the store gave it.</summary>
public sealed record ChangeRequest : RequestFields
{
    /// <summary>An empty request, filled by an initializer.</summary>
    public ChangeRequest()
    {
    }

    /// <summary>A request with the fields it was asked with; the store's initializer sets the rest (id, tier, state, times).</summary>
#pragma warning disable CS8618 // Id, Tier and RequiredApprovals are set by the one caller's initializer (ChangeStore.CreateAsync).
    [SetsRequiredMembers]
    public ChangeRequest(RequestFields asked)
        : base(asked)
    {
    }
#pragma warning restore CS8618

    /// <summary>Short readable id, <c>cr_</c> + 12 base32 characters.</summary>
    public required string Id { get; init; }

    /// <summary>Policy tier.</summary>
    public required string Tier { get; init; }

    /// <summary>Risk score.</summary>
    public required int Score { get; init; }

    /// <summary>The assessment's decision.</summary>
    public required Decision Decision { get; init; }

    /// <summary>Who must approve (count, from, expiry).</summary>
    public required ApprovalRequirement RequiredApprovals { get; init; }

    /// <summary>When it was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When a pending request expires.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Current state.</summary>
    public required RequestState State { get; init; }

    /// <summary>When the state last changed.</summary>
    public required DateTimeOffset StateChangedAt { get; init; }

    /// <summary>The authenticated credential that submitted it (a runner token's or CI trust rule's identity).</summary>
    public string SubmittedBy { get; init; } = "";
}

/// <summary>A decision as given by an approver (time is taken by the store).</summary>
public sealed record DecisionInput(PersonRef Approver, DecisionChannel Channel, Verdict Verdict, string Reason);

/// <summary>A recorded decision.</summary>
public sealed record RequestDecision(string RequestId, PersonRef Approver, DecisionChannel Channel, Verdict Verdict, string Reason, DateTimeOffset At);

/// <summary>What the decision rule says about a new decision, evaluated inside the store's write lock.</summary>
/// <param name="Accepted">Record the decision.</param>
/// <param name="TransitionTo">The state to move to (quorum reached, or rejected), or null to just record it.</param>
/// <param name="RefusalReason">Why it was refused, when not accepted.</param>
/// <param name="RefusalRule">Which rule refused it (<c>self-approval</c>, <c>ineligible-approver</c>, …), when not accepted.</param>
public sealed record DecisionRuling(bool Accepted, RequestState? TransitionTo, string? RefusalReason, string? RefusalRule = null)
{
    /// <summary>Record and optionally transition.</summary>
    public static DecisionRuling Accept(RequestState? transitionTo) => new(true, transitionTo, null);

    /// <summary>Refuse with a reason shown to the person who clicked.</summary>
    public static DecisionRuling Refuse(string reason, string rule = "other") => new(false, null, reason, rule);
}

/// <summary>
/// Decides what a new decision does, given the request and the decisions already recorded. Runs inside the
/// store's write transaction, so concurrent decisions see each other and exactly one transition happens.
/// Must be pure and quick. Eligibility and independence rules live in Core/Approvals.
/// </summary>
public delegate DecisionRuling DecisionRule(ChangeRequest request, IReadOnlyList<RequestDecision> existing, RequestDecision incoming);

/// <summary>Simple rules for tests and single-approver setups.</summary>
public static class DecisionRules
{
    /// <summary>Reject → rejected; approve → approved once <see cref="ApprovalRequirement.Count"/> distinct approvals exist.</summary>
    public static DecisionRuling Quorum(ChangeRequest request, IReadOnlyList<RequestDecision> existing, RequestDecision incoming)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(existing);
        ArgumentNullException.ThrowIfNull(incoming);
        if (incoming.Verdict == Verdict.Reject)
        {
            return DecisionRuling.Accept(RequestState.Rejected);
        }

        var approvals = existing.Count(d => d.Verdict == Verdict.Approve) + 1;
        return DecisionRuling.Accept(approvals >= Math.Max(1, request.RequiredApprovals.Count) ? RequestState.Approved : null);
    }
}

/// <summary>What an apply did.</summary>
/// <param name="Succeeded">True when the engine applied the plan.</param>
/// <param name="ExitCode">The engine's exit code.</param>
/// <param name="Counts">Resources per op.</param>
/// <param name="Diagnostics">Redacted error text (stored with the request, never in the audit log).</param>
public sealed record ApplyOutcome(bool Succeeded, int ExitCode, IReadOnlyDictionary<ChangeOp, int> Counts, string Diagnostics);

/// <summary>Filters for listing requests; null means any.</summary>
public sealed record RequestQuery(string? Stack = null, RequestState? State = null, int Limit = 100);

/// <summary>The result of creating a request: the request, and whether it was new or found again by its idempotency key.</summary>
/// <param name="Request">The stored request as it is now.</param>
/// <param name="Created">True when this call stored it; false when an earlier one was found.</param>
/// <param name="Started">True when this call also moved it to applying (<see cref="NewChangeRequest.StartedBy"/>): the caller runs it now.</param>
public sealed record CreateRequestResult(ChangeRequest Request, bool Created, bool Started = false);
