using InfraGuard.Core.Approvals;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Runs;

namespace InfraGuard.Server.Api;

/// <summary>
/// POST /api/v1/requests: a runner's evidence, never a verdict. The server reads <see cref="EngineOutput"/> and
/// <see cref="SavedPlan"/> itself, refuses a plan whose operations differ from the output, hashes the plan, and
/// scores it with its own policy pack. The requester is the credential's, never a body field (unknown fields such
/// as <c>requester</c>, <c>assessment</c> or <c>planHash</c> are ignored).
/// </summary>
public sealed record SubmitBody
{
    public required string Engine { get; init; }
    public required string Stack { get; init; }
    public required string Project { get; init; }
    public required string StateFingerprint { get; init; }

    /// <summary>The engine's preview output (base64 in JSON).</summary>
    public required byte[] EngineOutput { get; init; }

    /// <summary>The saved plan file's bytes (base64 in JSON); empty only for a preview that a mandatory policy failed.</summary>
    public byte[] SavedPlan { get; init; } = [];

    public ActorKind ActorKind { get; init; } = ActorKind.Pipeline;
    public string? JobType { get; init; }
    public string? Tier { get; init; }
    public string? OnBehalfOf { get; init; }
    public IReadOnlyList<string> CommitAuthors { get; init; } = [];
    public string? CiRunId { get; init; }
    public string? CiRunUrl { get; init; }

    /// <summary>Break-glass: the incident and why. Never who: the server takes the authenticated person.</summary>
    public BreakGlassAsk? BreakGlass { get; init; }

    /// <summary>The run kind: null or <c>update</c>, or <c>refresh-only</c> (the saved plan is checked to be of that kind).</summary>
    public string? Run { get; init; }

    public static SubmitBody From(RunEvidence e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new()
        {
            Engine = e.Engine.ToString().ToLowerInvariant(),
            Stack = e.Stack,
            Project = e.Project,
            StateFingerprint = e.StateFingerprint,
            EngineOutput = e.EngineOutput,
            SavedPlan = e.SavedPlan,
            ActorKind = e.ActorKind,
            JobType = e.JobType,
            Tier = e.DeclaredTier,
            OnBehalfOf = e.OnBehalfOf,
            CommitAuthors = e.CommitAuthors ?? [],
            CiRunId = e.CiRunId,
            CiRunUrl = e.CiRunUrl,
            BreakGlass = e.BreakGlass,
            Run = e.Run == RunKind.Update ? null : RunKinds.Name(e.Run),
        };
    }

    /// <summary>The evidence, or null when <see cref="Engine"/> names no engine or <see cref="Run"/> no run kind.</summary>
    public RunEvidence? ToEvidence() =>
        Enum.TryParse<EngineKind>(Engine, ignoreCase: true, out var engine) && !int.TryParse(Engine, out _) && (Run is null || RunKinds.TryParse(Run, out _))
            ? new RunEvidence(engine, Stack, Project, EngineOutput ?? [], SavedPlan ?? [], StateFingerprint, ActorKind, JobType, Tier, OnBehalfOf, CommitAuthors, CiRunId, CiRunUrl, BreakGlass, RunKinds.TryParse(Run, out var run) ? run : RunKind.Update)
            : null;
}

/// <summary>
/// POST /api/v1/actions: the exact action (a command line, or a tool call) and the context the caller claims. The
/// server scores it with its own pack, stores only the redacted form plus the SHA-256 of the exact action, and takes
/// the requester from the credential (never from the body).
/// </summary>
public sealed record ActionBody
{
    public required string Kind { get; init; }
    public string? Target { get; init; }
    public IReadOnlyList<string>? Argv { get; init; }
    public string? Tool { get; init; }
    public JsonObject? Arguments { get; init; }
    public ActorKind ActorKind { get; init; } = ActorKind.Pipeline;
    public string? OnBehalfOf { get; init; }
    public string? JobType { get; init; }
    public string? Tier { get; init; }
    public string? CiRunId { get; init; }
    public string? CiRunUrl { get; init; }

    /// <summary>Start an allowed action with its submission, for this credential only (<see cref="InfraGuard.Core.Actions.ActionProposal.StartWhenAllowed"/>).</summary>
    public bool StartWhenAllowed { get; init; }

    /// <summary>Break-glass (<c>exec --break-glass</c>): the incident and why. Never who: the server takes the authenticated person.</summary>
    public BreakGlassAsk? BreakGlass { get; init; }

    public static ActionBody From(InfraGuard.Core.Actions.ActionProposal p, BreakGlassAsk? breakGlass = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new()
        {
            Kind = p.Action.Kind,
            Target = p.Action.Target,
            Argv = p.Action.Argv,
            Tool = p.Action.Tool,
            Arguments = p.Action.Arguments,
            ActorKind = p.ActorKind,
            OnBehalfOf = p.OnBehalfOf,
            JobType = p.JobType,
            Tier = p.DeclaredTier,
            CiRunId = p.CiRunId,
            CiRunUrl = p.CiRunUrl,
            StartWhenAllowed = p.StartWhenAllowed,
            BreakGlass = breakGlass,
        };
    }

    public InfraGuard.Core.Actions.ActionProposal ToProposal() =>
        new(new InfraGuard.Core.Actions.ProposedAction(Kind ?? string.Empty, Target, Argv, Tool, Arguments), ActorKind, OnBehalfOf, JobType, Tier, CiRunId, CiRunUrl, StartWhenAllowed);
}

/// <summary>POST /api/v1/requests/{id}/credentials: which clouds' ID tokens the runner needs (<c>aws</c>, <c>gcp</c>, <c>azure</c>).</summary>
public sealed record CredentialsBody(IReadOnlyList<string> Clouds);

/// <summary>One cloud's ID token for an approved request. <see cref="Token"/> goes only into the approved command's or apply's credential file.</summary>
public sealed record CredentialView(string Cloud, string Audience, string Token, string TokenId, DateTimeOffset ExpiresAt);

/// <summary>The ID tokens issued for an approved request, with the <c>sub</c> and <c>iss</c> every one carries.</summary>
public sealed record CredentialsView(string Issuer, string Subject, IReadOnlyList<CredentialView> Credentials);

/// <summary>POST /api/v1/grants: a preview token for a stack on the state the runner fingerprinted.</summary>
public sealed record PreviewGrantBody(string Stack, string StateFingerprint);

/// <summary>An engine approval token. <see cref="Token"/> goes only into the engine's environment as <see cref="Variable"/>; the audit log names <see cref="TokenId"/>.</summary>
public sealed record GrantView(string TokenId, string Token, string Variable, DateTimeOffset ExpiresAt);

/// <summary>One request with its decisions and apply outcome.</summary>
public sealed record RequestView(ChangeRequest Request, IReadOnlyList<RequestDecision> Decisions, ApplyOutcome? Outcome);

/// <summary>A page of requests, newest first.</summary>
public sealed record RequestList(IReadOnlyList<ChangeRequest> Requests);

/// <summary>POST /api/v1/requests/{id}/decisions. The approver is the token's identity, never a body field.</summary>
public sealed record DecideBody(Verdict Verdict, string Reason, string? PlanHash = null);

/// <summary>POST /api/v1/requests/{id}/transitions: applying, cancelled, expired or superseded.</summary>
public sealed record TransitionBody(RequestState To, string Reason);

/// <summary>POST /api/v1/audit/events: the one free-standing event a runner reports, <c>run.cancelled</c>, with fields <c>stack</c> and <c>phase</c> only.</summary>
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

/// <summary>Headers of the API beyond HTTP's own.</summary>
public static class ServerHeaders
{
    /// <summary>Set (to <c>1</c>) on answers a server gives while shutting down: the client should ask another replica next.</summary>
    public const string Draining = "X-InfraGuard-Draining";
}
