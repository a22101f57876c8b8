using System.Text.Json;
using InfraGuard.Core.Readers;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Reads a step object: an event's <c>StepEventMetadata</c> or a digest's <c>PreviewStep</c>. Both spellings of the
/// renamed fields are accepted (<c>old</c>/<c>oldState</c>, <c>keys</c>/<c>replaceReasons</c>,
/// <c>diffs</c>/<c>diffReasons</c>, <c>diffKind</c>/<c>kind</c>). For <c>same</c> steps everything after the op is
/// skipped without allocating, unless the caller needs the URN.
/// </summary>
internal static class StepJson
{
    /// <summary>Reads the object the reader is on (its start token was just read).</summary>
    /// <param name="reader">Reader positioned on the object's start token.</param>
    /// <param name="data">The bytes the reader reads; old/new states are copied out raw and parsed only if used.</param>
    /// <param name="urnForSame">Whether a <c>same</c> step's URN is needed.</param>
    /// <param name="scope">The read's string pool and state arena.</param>
    /// <param name="started">
    /// For an outputs or failure event: the steps started so far. A state equal, byte for byte, to the one its
    /// pre-event carried is shared rather than copied again.
    /// </param>
    /// <param name="step">The step, when the whole object was in the buffer.</param>
    public static bool TryRead(
        ref Utf8JsonReader reader, ReadOnlySpan<byte> data, bool urnForSame, ReadScope scope, ChangeFolder? started, out PulumiStep? step)
    {
        step = null;
        string? op = null;
        string? urn = null;
        string? type = null;
        string? provider = null;
        RawState? oldState = null;
        RawState? newState = null;
        List<string>? keys = null;
        List<string>? diffs = null;
        List<DetailedDiffEntry>? detailedDiff = null;
        PulumiStep? earlier = null;
        var strings = scope.Strings;

        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var skipDetails = op == PulumiOps.Same;
            bool ok;
            if (reader.ValueTextEquals("op"u8))
            {
                ok = reader.Read();
                if (ok)
                {
                    op = reader.TokenType == JsonTokenType.String ? PulumiOps.ReadOp(ref reader) : null;
                    ok = JsonTokens.SkipContainer(ref reader);
                }
            }
            else if (reader.ValueTextEquals("urn"u8) && !(skipDetails && !urnForSame))
            {
                ok = JsonTokens.TryReadString(ref reader, strings, out urn);
            }
            else if (skipDetails)
            {
                ok = JsonTokens.SkipValue(ref reader);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                ok = JsonTokens.TryReadString(ref reader, strings, out type);
            }
            else if (reader.ValueTextEquals("provider"u8))
            {
                ok = JsonTokens.TryReadString(ref reader, strings, out provider);
            }
            else if (reader.ValueTextEquals("old"u8) || reader.ValueTextEquals("oldState"u8))
            {
                earlier ??= op is null || urn is null ? null : started?.Started(urn, op);
                ok = RawState.TryRead(ref reader, data, scope.States, earlier?.Old, out oldState);
            }
            else if (reader.ValueTextEquals("new"u8) || reader.ValueTextEquals("newState"u8))
            {
                earlier ??= op is null || urn is null ? null : started?.Started(urn, op);
                ok = RawState.TryRead(ref reader, data, scope.States, earlier?.New, out newState);
            }
            else if (reader.ValueTextEquals("keys"u8) || reader.ValueTextEquals("replaceReasons"u8))
            {
                ok = JsonTokens.TryReadStrings(ref reader, strings, out keys);
            }
            else if (reader.ValueTextEquals("diffs"u8) || reader.ValueTextEquals("diffReasons"u8))
            {
                ok = JsonTokens.TryReadStrings(ref reader, strings, out diffs);
            }
            else if (reader.ValueTextEquals("detailedDiff"u8))
            {
                ok = TryReadDetailedDiff(ref reader, strings, out detailedDiff);
            }
            else
            {
                ok = JsonTokens.SkipValue(ref reader);
            }

            if (!ok)
            {
                return false;
            }
        }

        // Most steps are `same`, read only to be counted: they share one instance. (A `same` step is only ever
        // folded, and so filled in, when its URN was asked for.)
        if (op == PulumiOps.Same && !urnForSame && urn is null && type is null && provider is null && oldState is null
            && newState is null && keys is null && diffs is null && detailedDiff is null)
        {
            step = PulumiStep.SameWithoutUrn;
            return true;
        }

        step = new PulumiStep
        {
            Op = op ?? string.Empty,
            Urn = urn ?? string.Empty,
            Type = type,
            Provider = string.IsNullOrEmpty(provider) ? null : provider,
            Old = oldState,
            New = newState,
            Keys = keys,
            Diffs = diffs,
            DetailedDiff = detailedDiff,
        };
        return true;
    }

    private static bool TryReadDetailedDiff(ref Utf8JsonReader reader, StringPool strings, out List<DetailedDiffEntry>? entries)
    {
        entries = null;
        var entered = JsonTokens.TryEnterObject(ref reader, out var isObject);
        if (!isObject)
        {
            return entered;
        }

        var list = new List<DetailedDiffEntry>();
        while (true)
        {
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType == JsonTokenType.EndObject)
            {
                entries = list;
                return true;
            }

            var path = strings.Get(ref reader);
            if (!reader.Read())
            {
                return false;
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                if (!JsonTokens.SkipContainer(ref reader))
                {
                    return false;
                }

                continue;
            }

            string? kind = null;
            var inputDiff = false;
            while (true)
            {
                if (!reader.Read())
                {
                    return false;
                }

                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                var ok = reader.ValueTextEquals("diffKind"u8) || reader.ValueTextEquals("kind"u8)
                    ? JsonTokens.TryReadString(ref reader, strings, out kind)
                    : reader.ValueTextEquals("inputDiff"u8)
                        ? JsonTokens.TryReadBool(ref reader, out inputDiff)
                        : JsonTokens.SkipValue(ref reader);
                if (!ok)
                {
                    return false;
                }
            }

            list.Add(new DetailedDiffEntry(path, kind ?? "update", inputDiff));
        }
    }
}
