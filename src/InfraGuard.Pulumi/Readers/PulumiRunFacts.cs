using System.Globalization;
using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Everything a Pulumi input says besides the steps: stack and project, diagnostics, policy violations and how the
/// run ended. Shared by the event-log and digest readers, which also share the final assembly.
/// </summary>
internal sealed class PulumiRunFacts
{
    private readonly HashSet<string> _errorUrns = new(StringComparer.Ordinal);
    
    public ChangeFolder Folder { get; } = new();

    public string? Stack { get; private set; }

    public string? Project { get; private set; }

    public List<EngineDiagnostic> Diagnostics { get; } = [];

    public List<EngineViolation> Violations { get; } = [];

    public string? FirstError { get; private set; }

    public void NoteUrn(string? urn)
    {
        if (Stack is null && PulumiUrn.TryParse(urn, out var parsed))
        {
            Stack = parsed.Stack;
            Project = parsed.Project;
        }
    }

    /// <summary>Keeps warnings and errors; debug, info and stderr chatter are dropped.</summary>
    public void AddDiagnostic(string? severity, string? message, string? urn)
    {
        var level = severity switch
        {
            "warning" => DiagnosticSeverity.Warning,
            "error" => DiagnosticSeverity.Error,
            _ => (DiagnosticSeverity?)null,
        };
        if (level is null)
        {
            return;
        }

        var text = ColourMarkup.Strip(message ?? string.Empty);
        var address = string.IsNullOrEmpty(urn) ? null : urn;
        NoteUrn(address);
        Diagnostics.Add(new EngineDiagnostic(level.Value, text, address));
        if (level == DiagnosticSeverity.Error)
        {
            FirstError ??= text;
            if (address is not null)
            {
                _errorUrns.Add(address);
            }
        }
    }

    public void AddViolation(EngineViolation violation)
    {
        NoteUrn(violation.Address);
        Violations.Add(violation);
    }

    /// <summary>Builds the change set. <paramref name="sameCount"/> overrides the counted <c>same</c> steps.</summary>
    public ChangeSet Build(string? incompleteReason, int? sameCount = null)
    {
        Folder.FlushPendingRefreshes();
        var changes = new List<ResourceChange>(Folder.Drafts.Count);
        var counts = ChangeOps.All.ToDictionary(op => op, _ => 0);
        counts[ChangeOp.Same] = sameCount ?? Folder.SameCount;
        var failed = 0;
        var unfinished = 0;
        var maps = new RedactedMaps(new StateRedactor(new SecretNames()));
        maps.Reserve(Folder.Drafts.Sum(ChangeMaker.MapBytes) + (2L * Folder.Drafts.Count));
        var maker = new ChangeMaker(maps);
        var prepared = new List<PreparedChange>(Folder.Drafts.Count);
        foreach (var draft in Folder.Drafts)
        {
            prepared.Add(maker.Prepare(draft));
        }

        maps.Parse();
        foreach (var ready in prepared)
        {
            var draft = ready.Draft;
            var change = maker.Make(ready, _errorUrns.Contains(draft.Urn));
            NoteUrn(draft.Urn);
            changes.Add(change);
            counts[change.Op]++;
            failed += change.Failed ? 1 : 0;
            unfinished += draft.Unfinished > 0 && !change.Failed ? 1 : 0;
        }

        incompleteReason ??= FirstError is not null ? "the engine reported an error: " + FirstError
            : Violations.FirstOrDefault(v => v.EnforcementLevel == "mandatory") is { } mandatory
                ? $"mandatory policy violation: {mandatory.PolicyPack}/{mandatory.Policy}"
            : failed > 0 ? string.Create(CultureInfo.InvariantCulture, $"{failed} step(s) failed")
            : unfinished > 0 ? string.Create(CultureInfo.InvariantCulture, $"{unfinished} step(s) started but never finished")
            : null;

        return new ChangeSet
        {
            Engine = EngineKind.Pulumi,
            Stack = Stack,
            Project = Project,
            Changes = changes,
            Counts = counts,
            Violations = Violations,
            Diagnostics = Diagnostics,
            Complete = incompleteReason is null,
            IncompleteReason = incompleteReason,
        };
    }
}
