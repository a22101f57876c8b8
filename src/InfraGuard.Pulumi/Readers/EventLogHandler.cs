using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>Reads engine events (one JSON object each) and feeds them to <see cref="PulumiRunFacts"/>.</summary>
internal sealed class EventLogHandler(JsonStreamDriver driver) : IJsonUnitHandler
{
    public const string Expected =
        "Expected a Pulumi engine event log (JSON events, one per line) as written by "
        + "`pulumi preview --event-log FILE`; regenerate it and try again";

    private readonly PulumiRunFacts _facts = new();
    private readonly ReadScope _scope = new();
    private long _events;
    private bool _lastWasCancel;
    private long _lastEventLine;
    private bool _summarySeen;
    private string? _result;
    private bool _maybeCorrupt;

    private enum Kind
    {
        Other,
        Cancel,
        Started,
        Finished,
        Failed,
        Summary,
    }

    public UnitResult ReadUnit(ref Utf8JsonReader reader, ReadOnlySpan<byte> data, long origin)
    {
        if (!reader.Read())
        {
            return UnitResult.NeedMore;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonShapeException(
                reader.TokenStartIndex, "expected a JSON object for each event, found " + Describe(reader.TokenType), Expected);
        }

        var start = origin + reader.TokenStartIndex;
        var kind = Kind.Other;
        PulumiStep? step = null;
        Action? apply = null;
        while (true)
        {
            if (!reader.Read())
            {
                return UnitResult.NeedMore;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            bool ok;
            if (reader.ValueTextEquals("resourcePreEvent"u8))
            {
                (ok, kind) = (TryReadStepEvent(ref reader, data, urnForSame: _facts.Stack is null, started: null, out step), Kind.Started);
            }
            else if (reader.ValueTextEquals("resOutputsEvent"u8))
            {
                var urnForSame = _facts.Folder.HasPendingRefresh || _facts.Stack is null;
                (ok, kind) = (TryReadStepEvent(ref reader, data, urnForSame, _facts.Folder, out step), Kind.Finished);
            }
            else if (reader.ValueTextEquals("resOpFailedEvent"u8))
            {
                (ok, kind) = (TryReadStepEvent(ref reader, data, urnForSame: true, _facts.Folder, out step), Kind.Failed);
            }
            else if (reader.ValueTextEquals("diagnosticEvent"u8))
            {
                ok = TryReadDiagnostic(ref reader, out apply);
            }
            else if (reader.ValueTextEquals("policyEvent"u8))
            {
                ok = TryReadPolicy(ref reader, out apply);
            }
            else if (reader.ValueTextEquals("summaryEvent"u8))
            {
                (ok, kind) = (TryReadSummary(ref reader, out apply), Kind.Summary);
            }
            else if (reader.ValueTextEquals("cancelEvent"u8))
            {
                (ok, kind) = (JsonTokens.SkipValue(ref reader), Kind.Cancel);
            }
            else
            {
                ok = JsonTokens.SkipValue(ref reader);
            }

            if (!ok)
            {
                return UnitResult.NeedMore;
            }
        }

        Apply(kind, step, apply, start);
        return UnitResult.Done;
    }

    /// <summary>Checks how the log ended and builds the change set.</summary>
    public ChangeSet Finish(string source)
    {
        if (_events == 0)
        {
            throw new PlanReadException(source, 1, 0, "the file is empty", Expected);
        }

        if (!_lastWasCancel)
        {
            throw new PlanReadException(
                source, _lastEventLine, 0, "log ends without cancelEvent: the preview was cut short", Expected);
        }

        string? reason = null;
        if (_result is not null && _result != "succeeded")
        {
            reason = $"the engine reported the run as {_result}"
                + (_facts.FirstError is { } error ? ": " + error : string.Empty);
        }
        else if (!_summarySeen)
        {
            reason = "the log has no summaryEvent: the engine did not finish";
        }
        else if (_maybeCorrupt)
        {
            reason = "the engine reported maybeCorrupt: an operation failed part-way";
        }

        return _facts.Build(reason);
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private void Apply(Kind kind, PulumiStep? step, Action? apply, long start)
    {
        _events++;
        _lastWasCancel = kind == Kind.Cancel;
        _lastEventLine = driver.PositionOf(start).Line;
        apply?.Invoke();
        if (step is null)
        {
            return;
        }

        _facts.NoteUrn(step.Urn);
        switch (kind)
        {
            case Kind.Started:
                _facts.Folder.Started(step);
                break;
            case Kind.Finished when step.Op != PulumiOps.Same || _facts.Folder.HasPendingRefresh:
                _facts.Folder.Finished(step, failed: false);
                break;
            case Kind.Failed:
                _facts.Folder.Finished(step, failed: true);
                break;
        }
    }

    /// <summary>On a payload property whose value is <c>{metadata: StepEventMetadata, …}</c>.</summary>
    private bool TryReadStepEvent(
        ref Utf8JsonReader reader, ReadOnlySpan<byte> data, bool urnForSame, ChangeFolder? started, out PulumiStep? step)
    {
        step = null;
        var entered = JsonTokens.TryEnterObject(ref reader, out var isObject);
        if (!isObject)
        {
            return entered;
        }

        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            if (!reader.ValueTextEquals("metadata"u8))
            {
                if (!JsonTokens.SkipValue(ref reader))
                {
                    return false;
                }

                continue;
            }

            if (!reader.Read())
            {
                return false;
            }

            var ok = reader.TokenType == JsonTokenType.StartObject
                ? StepJson.TryRead(ref reader, data, urnForSame, _scope, started, out step)
                : JsonTokens.SkipContainer(ref reader);
            if (!ok)
            {
                return false;
            }
        }
    }

    private bool TryReadDiagnostic(ref Utf8JsonReader reader, out Action? apply)
    {
        apply = null;
        string? urn = null, message = null, severity = null;
        if (!TryReadFields(ref reader, (ref Utf8JsonReader r) =>
                r.ValueTextEquals("urn"u8) ? JsonTokens.TryReadString(ref r, out urn)
                : r.ValueTextEquals("message"u8) ? JsonTokens.TryReadString(ref r, out message)
                : r.ValueTextEquals("severity"u8) ? JsonTokens.TryReadString(ref r, out severity)
                : JsonTokens.SkipValue(ref r)))
        {
            return false;
        }

        apply = () => _facts.AddDiagnostic(severity, message, urn);
        return true;
    }

    private bool TryReadPolicy(ref Utf8JsonReader reader, out Action? apply)
    {
        apply = null;
        string? urn = null, message = null, policy = null, pack = null, level = null, severity = null;
        if (!TryReadFields(ref reader, (ref Utf8JsonReader r) =>
                r.ValueTextEquals("resourceUrn"u8) ? JsonTokens.TryReadString(ref r, out urn)
                : r.ValueTextEquals("message"u8) ? JsonTokens.TryReadString(ref r, out message)
                : r.ValueTextEquals("policyName"u8) ? JsonTokens.TryReadString(ref r, out policy)
                : r.ValueTextEquals("policyPackName"u8) ? JsonTokens.TryReadString(ref r, out pack)
                : r.ValueTextEquals("enforcementLevel"u8) ? JsonTokens.TryReadString(ref r, out level)
                : r.ValueTextEquals("severity"u8) ? JsonTokens.TryReadString(ref r, out severity)
                : JsonTokens.SkipValue(ref r)))
        {
            return false;
        }

        apply = () => _facts.AddViolation(new EngineViolation(
            pack ?? string.Empty,
            policy ?? string.Empty,
            level ?? string.Empty,
            ColourMarkup.Strip(message ?? string.Empty),
            string.IsNullOrEmpty(urn) ? null : urn,
            string.IsNullOrEmpty(severity) ? null : severity));
        return true;
    }

    private bool TryReadSummary(ref Utf8JsonReader reader, out Action? apply)
    {
        apply = null;
        string? result = null;
        var maybeCorrupt = false;
        if (!TryReadFields(ref reader, (ref Utf8JsonReader r) =>
                r.ValueTextEquals("result"u8) ? JsonTokens.TryReadString(ref r, out result)
                : r.ValueTextEquals("maybeCorrupt"u8) ? JsonTokens.TryReadBool(ref r, out maybeCorrupt)
                : JsonTokens.SkipValue(ref r)))
        {
            return false;
        }

        apply = () =>
        {
            _summarySeen = true;
            _result = result;
            _maybeCorrupt = maybeCorrupt;
        };
        return true;
    }

    private delegate bool FieldReader(ref Utf8JsonReader reader);

    /// <summary>On a payload property whose value is an object: calls <paramref name="field"/> on each of its properties.</summary>
    private static bool TryReadFields(ref Utf8JsonReader reader, FieldReader field)
    {
        var entered = JsonTokens.TryEnterObject(ref reader, out var isObject);
        if (!isObject)
        {
            return entered;
        }

        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return true;
            }

            if (!field(ref reader))
            {
                return false;
            }
        }
    }
}
