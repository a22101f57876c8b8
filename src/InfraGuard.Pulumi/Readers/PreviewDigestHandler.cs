using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Reads the PreviewDigest object one unit at a time: each top-level property, and each element of
/// <c>steps</c> and <c>diagnostics</c>, so a digest of any size streams.
/// </summary>
internal sealed class PreviewDigestHandler : IJsonUnitHandler
{
    public const string Expected =
        "Expected the JSON document printed by `pulumi preview --json`; regenerate it and try again";

    private readonly PulumiRunFacts _facts = new();
    private readonly ReadScope _scope = new();
    private Position _position = Position.Start;
    private Dictionary<string, int>? _changeSummary;
    private bool _maybeCorrupt;

    private enum Position
    {
        Start,
        TopLevel,
        Steps,
        Diagnostics,
        Done,
    }

    public UnitResult ReadUnit(ref Utf8JsonReader reader, ReadOnlySpan<byte> data, long origin)
    {
        if (!reader.Read())
        {
            return UnitResult.NeedMore;
        }

        switch (_position)
        {
            case Position.Start when reader.TokenType == JsonTokenType.StartObject:
                _position = Position.TopLevel;
                return UnitResult.Done;
            case Position.Start:
                throw new JsonShapeException(reader.TokenStartIndex, "expected a JSON object at the top level", Expected);
            case Position.TopLevel:
                return ReadTopLevel(ref reader);
            case Position.Steps or Position.Diagnostics when reader.TokenType == JsonTokenType.EndArray:
                _position = Position.TopLevel;
                return UnitResult.Done;
            case Position.Steps when reader.TokenType == JsonTokenType.StartObject:
                if (!StepJson.TryRead(ref reader, data, urnForSame: true, _scope, started: null, out var step))
                {
                    return UnitResult.NeedMore;
                }

                _facts.NoteUrn(step!.Urn);
                _facts.Folder.Planned(step);
                return UnitResult.Done;
            case Position.Diagnostics when reader.TokenType == JsonTokenType.StartObject:
                return ReadDiagnostic(ref reader);
            default:
                return JsonTokens.SkipContainer(ref reader) ? UnitResult.Done : UnitResult.NeedMore;
        }
    }

    public ChangeSet Finish(string source, JsonStreamDriver driver)
    {
        if (driver.SawOnlyWhitespace)
        {
            throw new PlanReadException(source, 1, 0, "the file is empty", Expected);
        }

        if (_position != Position.Done)
        {
            var (line, column) = driver.PositionOfEnd();
            throw new PlanReadException(source, line, column, JsonStreamDriver.Truncated, Expected);
        }

        var reason = _facts.FirstError is { } error ? "the preview reported an error: " + error
            : _maybeCorrupt ? "the digest reports maybeCorrupt: an operation failed part-way"
            : _changeSummary is null ? "the digest has no changeSummary: the preview did not finish"
            : null;
        var same = _changeSummary?.GetValueOrDefault(PulumiOps.Same);
        return _facts.Build(reason, same);
    }

    private UnitResult ReadTopLevel(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            _position = Position.Done;
            return UnitResult.End;
        }

        if (reader.ValueTextEquals("steps"u8) || reader.ValueTextEquals("diagnostics"u8))
        {
            var next = reader.ValueTextEquals("steps"u8) ? Position.Steps : Position.Diagnostics;
            if (!reader.Read())
            {
                return UnitResult.NeedMore;
            }

            if (reader.TokenType == JsonTokenType.StartArray)
            {
                _position = next;
                return UnitResult.Done;
            }

            return JsonTokens.SkipContainer(ref reader) ? UnitResult.Done : UnitResult.NeedMore;
        }

        if (reader.ValueTextEquals("changeSummary"u8))
        {
            if (!JsonTokens.TryReadIntMap(ref reader, out var summary))
            {
                return UnitResult.NeedMore;
            }

            _changeSummary = summary;
            return UnitResult.Done;
        }

        if (reader.ValueTextEquals("maybeCorrupt"u8))
        {
            if (!JsonTokens.TryReadBool(ref reader, out var maybeCorrupt))
            {
                return UnitResult.NeedMore;
            }

            _maybeCorrupt = maybeCorrupt;
            return UnitResult.Done;
        }

        return JsonTokens.SkipValue(ref reader) ? UnitResult.Done : UnitResult.NeedMore;
    }

    private UnitResult ReadDiagnostic(ref Utf8JsonReader reader)
    {
        string? urn = null, message = null, severity = null;
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

            var ok = reader.ValueTextEquals("urn"u8) ? JsonTokens.TryReadString(ref reader, out urn)
                : reader.ValueTextEquals("message"u8) ? JsonTokens.TryReadString(ref reader, out message)
                : reader.ValueTextEquals("severity"u8) ? JsonTokens.TryReadString(ref reader, out severity)
                : JsonTokens.SkipValue(ref reader);
            if (!ok)
            {
                return UnitResult.NeedMore;
            }
        }

        // The digest folds the prefix ("error: ") into the message; drop it so both readers say the same.
        _facts.AddDiagnostic(severity, StripPrefix(message, severity), urn);
        return UnitResult.Done;
    }

    private static string? StripPrefix(string? message, string? severity) =>
        message is not null && severity is not null && message.StartsWith(severity + ": ", StringComparison.Ordinal)
            ? message[(severity.Length + 2)..]
            : message;
}
