using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Risk;

namespace InfraGuard.Server.Api;

/// <summary>POST /api/v1/requests: the fields of <see cref="NewChangeRequest"/>, the assessment and the saved plan (base64).</summary>
public sealed record CreateRequestBody
{
    public required string Stack { get; init; }
    public required string Project { get; init; }
    public required PersonRef Requester { get; init; }
    public required ActorKind ActorKind { get; init; }
    public string? OnBehalfOf { get; init; }
    public IReadOnlyList<string> CommitAuthors { get; init; } = [];
    public string? CiRunId { get; init; }
    public string? CiRunUrl { get; init; }
    public required string PlanHash { get; init; }
    public required string StateFingerprint { get; init; }
    public required string PolicyPackHash { get; init; }
    public required Assessment Assessment { get; init; }

    /// <summary>The saved plan file's bytes (base64 in JSON). <see cref="PlanHash"/> is the engine's normalised plan fingerprint, not a hash of these bytes; their own SHA-256 travels in <c>X-Content-SHA256</c>.</summary>
    public required byte[] SavedPlan { get; init; }

    /// <summary>Optional engine output (event log) to keep with the request.</summary>
    public byte[]? EngineOutput { get; init; }

    public static CreateRequestBody From(NewChangeRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new()
        {
            Stack = r.Stack,
            Project = r.Project,
            Requester = r.Requester,
            ActorKind = r.ActorKind,
            OnBehalfOf = r.OnBehalfOf,
            CommitAuthors = r.CommitAuthors,
            CiRunId = r.CiRunId,
            CiRunUrl = r.CiRunUrl,
            PlanHash = r.PlanHash,
            StateFingerprint = r.StateFingerprint,
            PolicyPackHash = r.PolicyPackHash,
            Assessment = r.Assessment,
            SavedPlan = r.Artifacts.FirstOrDefault(a => a.Kind == ArtifactKind.SavedPlan).Content ?? [],
            EngineOutput = r.Artifacts.FirstOrDefault(a => a.Kind == ArtifactKind.EngineOutput).Content,
        };
    }

    public NewChangeRequest ToModel()
    {
        var artifacts = new List<(ArtifactKind, byte[])> { (ArtifactKind.SavedPlan, SavedPlan) };
        if (EngineOutput is { Length: > 0 } output)
        {
            artifacts.Add((ArtifactKind.EngineOutput, output));
        }

        return new()
        {
            Stack = Stack,
            Project = Project,
            Requester = Requester,
            ActorKind = ActorKind,
            OnBehalfOf = OnBehalfOf,
            CommitAuthors = CommitAuthors,
            CiRunId = CiRunId,
            CiRunUrl = CiRunUrl,
            PlanHash = PlanHash,
            StateFingerprint = StateFingerprint,
            PolicyPackHash = PolicyPackHash,
            Assessment = Assessment,
            Artifacts = artifacts,
        };
    }
}

/// <summary>The answer to a create: the request, and whether it was new (201) or found again (200).</summary>
public sealed record CreateRequestResponse(ChangeRequest Request, bool Created);

/// <summary>One request with its decisions and apply outcome.</summary>
public sealed record RequestView(ChangeRequest Request, IReadOnlyList<RequestDecision> Decisions, ApplyOutcome? Outcome);

/// <summary>A page of requests, newest first.</summary>
public sealed record RequestList(IReadOnlyList<ChangeRequest> Requests);

/// <summary>POST /api/v1/requests/{id}/decisions. The approver is the token's identity, never a body field.</summary>
public sealed record DecideBody(Verdict Verdict, string Reason, string? PlanHash = null);

/// <summary>POST /api/v1/requests/{id}/transitions: applying, cancelled, expired or superseded.</summary>
public sealed record TransitionBody(RequestState To, string Reason);

/// <summary>POST /api/v1/audit/events: a free-standing event a runner writes (<c>risk.scored</c>, <c>run.cancelled</c>).</summary>
public sealed record AuditEventBody(string Type, string? Request, JsonObject? Fields);

/// <summary>An audit entry; <see cref="Payload"/> is the exact canonical JSON text that was hashed and signed.</summary>
public sealed record AuditEntryView(long Seq, string RecordedAt, string Kind, string? Subject, string Payload, string PrevHash, string EntryHash, string KeyId, string Signature)
{
    public static AuditEntryView From(AuditEntry e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Seq, e.RecordedAt, e.Kind, e.Subject, System.Text.Encoding.UTF8.GetString(e.Payload), e.PrevHash, e.EntryHash, e.KeyId, e.Signature);
    }

    public AuditEntry ToModel() => new(Seq, RecordedAt, Kind, Subject, System.Text.Encoding.UTF8.GetBytes(Payload), PrevHash, EntryHash, KeyId, Signature);
}

/// <summary>A page of audit entries, ascending seq.</summary>
public sealed record AuditEntryList(IReadOnlyList<AuditEntryView> Entries);

/// <summary>POST /api/v1/tokens (admin).</summary>
public sealed record CreateTokenBody(string Identity, IReadOnlyList<string> Scopes, string? Name = null);

/// <summary>A token as listed (never the secret).</summary>
public sealed record TokenView(string Id, string Name, string Identity, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt)
{
    public static TokenView From(InfraGuard.Store.ApiToken t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(t.Id, t.Name, t.Identity, t.Scopes, t.CreatedAt, t.CreatedBy, t.RevokedAt);
    }
}

/// <summary>A new token: <see cref="Token"/> is shown this once.</summary>
public sealed record CreatedTokenView(TokenView Info, string Token);
