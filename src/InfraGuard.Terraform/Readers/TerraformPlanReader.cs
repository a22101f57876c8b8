using System.Globalization;
using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Readers;

/// <summary>
/// Reads <c>terraform show -json PLAN</c> / <c>tofu show -json PLAN</c> output into a <see cref="ChangeSet"/>.
/// </summary>
/// <remarks>
/// <para>Accepts <c>format_version</c> 0.x and 1.x and rejects any other major version. Input may be UTF-8 (with or
/// without BOM), UTF-16 or UTF-32 with BOM. The plan is streamed: <c>prior_state</c>, <c>planned_values</c>,
/// <c>configuration</c>, <c>variables</c> and other bulk sections are skipped (read, so validated, but not kept), no-op
/// elements of <c>resource_changes</c> are only scanned, and the other elements wait to be mapped in a few bounded
/// chunks (<see cref="MappingWorker"/>: on a second thread for large plans, so scan and mapping overlap).</para>
/// <para>Values are redacted before they enter the model: paths marked in <c>before_sensitive</c> or
/// <c>after_sensitive</c> (on either side) and values under secret-looking names become
/// <see cref="Redaction.SecretMarker"/>; values marked in <c>after_unknown</c> become <see cref="Redaction.UnknownMarker"/>.
/// <c>resource_drift</c> goes to <see cref="ChangeSet.Drift"/> and never into <see cref="ChangeSet.Changes"/> or
/// <see cref="ChangeSet.Counts"/>.</para>
/// <para>Mapping: <c>actions</c> as in <see cref="TerraformActions"/> (unknown lists are <see cref="ChangeOp.Unknown"/>);
/// <c>["no-op"]</c> with <c>importing</c> is <see cref="ChangeOp.Import"/>; a <c>deposed</c> object's address is
/// <c>ADDRESS (deposed object KEY)</c>; <c>action_reason</c> becomes <see cref="ResourceChange.Reason"/>;
/// <c>replace_paths</c> become <see cref="ResourceChange.ReplaceReasons"/> and mark matching property changes
/// <see cref="PropertyChange.ForcesReplace"/>. <see cref="ChangeSet.Counts"/> has an entry for every op (zero when absent).
/// <c>errored: true</c>, <c>complete: false</c>, or <c>applyable: false</c> on a plan with changes make the set incomplete.</para>
/// </remarks>
public static class TerraformPlanReader
{
    private const string HowToProduce = "Give the output of `terraform show -json PLANFILE` (or `tofu show -json PLANFILE`)";

    /// <summary>Reads the whole stream. Throws <see cref="PlanReadException"/> for malformed input.</summary>
    /// <param name="stream">The plan JSON; read to its end, not disposed.</param>
    /// <param name="sourceName">Label used in error messages (usually the path the user gave).</param>
    public static ChangeSet Read(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);

        var (utf8, encoding) = Utf8Input.Open(stream);
        using (utf8)
        {
            var cursor = new PlanJsonCursor(utf8);
            using var parser = new PlanParser(sourceName);
            try
            {
                return parser.Parse(ref cursor);
            }
            catch (JsonException e)
            {
                // An element handed over before the bad JSON comes first in the plan: its error, if any, wins.
                parser.CompleteMapping();

                // The reader stops at (or one byte before) the end of the data when the JSON is cut off.
                var end = cursor.AtFinalBlock ? cursor.EndPosition() : default;
                var atEnd = cursor.AtFinalBlock && e.LineNumber + 1 == end.Line && e.BytePositionInLine >= end.Column - 1;
                throw Malformed(sourceName, encoding, atEnd, e);
            }
            catch (PlanReadException)
            {
                parser.CompleteMapping();
                throw;
            }
            finally
            {
                cursor.Dispose();
            }
        }
    }

    private static PlanReadException Malformed(string source, string encoding, bool atEnd, JsonException e)
    {
        long? line = e.LineNumber is { } l ? l + 1 : null;
        var detail = e.Message;
        var cut = detail.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0)
        {
            detail = detail[..cut];
        }

        detail = detail.TrimEnd().TrimEnd('.');

        if (encoding != "UTF-8")
        {
            detail += $" (input read as {encoding})";
        }

        return atEnd
            ? new PlanReadException(source, line, e.BytePositionInLine, $"unexpected end of data: the JSON is cut off ({detail})",
                "The file looks truncated. Write the plan again with `terraform show -json PLANFILE > plan.json` and make sure the command finished", e)
            : new PlanReadException(source, line, e.BytePositionInLine, $"malformed JSON: {detail}", HowToProduce + ", unmodified", e);
    }

    /// <summary>
    /// The state of one read; a class so the ref-struct cursor is the only thing passed by ref. The scan runs on the
    /// calling thread; changed elements are mapped by a <see cref="MappingWorker"/>, which alone touches the mapper, the
    /// change lists and the op counts until <see cref="CompleteMapping"/> returns.
    /// </summary>
    private sealed class PlanParser : IDisposable
    {
        private readonly string _source;
        private readonly MappingWorker _worker;
        private readonly ResourceChangeMapper _mapper = new();
        private readonly List<ResourceChange> _changes = [];
        private readonly List<ResourceChange> _drift = [];
        private readonly Dictionary<ChangeOp, int> _counts = ChangeOps.All.ToDictionary(op => op, _ => 0);
        private readonly HashSet<string> _foreignKeys = new(StringComparer.Ordinal);
        private string? _formatVersion;
        private bool? _errored;
        private bool? _complete;
        private bool? _applyable;
        private int _noOps;

        public PlanParser(string source)
        {
            _source = source;
            _worker = new MappingWorker(MapElement, overlap: Environment.ProcessorCount > 1);
        }

        public void Dispose() => _worker.Dispose();

        /// <summary>Maps every element handed over so far; throws the first error found in them.</summary>
        public void CompleteMapping() => _worker.Complete();

        public ChangeSet Parse(ref PlanJsonCursor cursor)
        {
            CheckLooksLikeJson(cursor.Head);
            if (cursor.IsBlank)
            {
                throw cursor.IsEmpty
                    ? new PlanReadException(_source, null, null, "the input is empty (0 bytes)", HowToProduce)
                    : new PlanReadException(_source, null, null, "the input holds only whitespace", HowToProduce);
            }

            cursor.Read();

            if (cursor.TokenType != JsonTokenType.StartObject)
            {
                var (line, column) = cursor.TokenPosition();
                throw new PlanReadException(_source, line, column, $"not a Terraform plan: the JSON document is {Describe(cursor.TokenType)}, not an object", HowToProduce);
            }

            while (cursor.Read() && cursor.TokenType == JsonTokenType.PropertyName)
            {
                ReadTopLevelProperty(ref cursor);
            }

            CheckIsPlan();
            CheckNothingFollows(ref cursor);
            CompleteMapping();
            _counts[ChangeOp.Same] += _noOps;
            _mapper.Flush();

            return BuildChangeSet();
        }

        // Gives binary input a clearer message than the JSON reader's "invalid start of a value".
        private void CheckLooksLikeJson(ReadOnlySpan<byte> head)
        {
            if (head.StartsWith("PK\u0003\u0004"u8))
            {
                throw new PlanReadException(_source, null, 0, "this is a binary plan file (a zip archive), not plan JSON",
                    "Convert it first: `terraform show -json PLANFILE > plan.json` (or `tofu show -json PLANFILE`)");
            }

            var first = head.TrimStart(" \t\r\n"u8);
            if (first.StartsWith("[command"u8))
            {
                throw new PlanReadException(_source, 1, head.Length - first.Length,
                    "this is output captured through the hashicorp/setup-terraform wrapper (it starts with its `[command]` line), not plan JSON",
                    "Set `terraform_wrapper: false` on the setup-terraform step (or `tofu_wrapper: false` on setup-opentofu), then run `terraform show -json PLANFILE > plan.json` again");
            }

            if (first.Length > 0 && first[0] is not ((byte)'{' or (byte)'[' or (byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n'))
            {
                throw new PlanReadException(_source, 1, head.Length - first.Length,
                    string.Create(CultureInfo.InvariantCulture, $"not JSON text: the input starts with byte 0x{first[0]:X2}"), HowToProduce);
            }
        }

        private void CheckNothingFollows(ref PlanJsonCursor cursor)
        {
            try
            {
                if (!cursor.Read())
                {
                    return;
                }
            }
            catch (JsonException e)
            {
                throw new PlanReadException(_source, e.LineNumber + 1, e.BytePositionInLine, "unexpected data after the end of the plan object",
                    HowToProduce + ": exactly one JSON object", e);
            }
        }

        private void ReadTopLevelProperty(ref PlanJsonCursor cursor)
        {
            if (cursor.ValueTextEquals("format_version"u8))
            {
                cursor.Read();
                var (line, column) = cursor.TokenPosition();
                if (cursor.TokenType != JsonTokenType.String)
                {
                    throw new PlanReadException(_source, line, column, $"format_version is {Describe(cursor.TokenType)}, not a string", "A Terraform plan has \"format_version\": \"1.2\" or similar");
                }

                _formatVersion = cursor.GetString()!;
                CheckFormatVersion(_formatVersion, line, column);
            }
            else if (cursor.ValueTextEquals("resource_changes"u8))
            {
                ReadChanges(ref cursor, "resource_changes", count: true);
            }
            else if (cursor.ValueTextEquals("resource_drift"u8))
            {
                ReadChanges(ref cursor, "resource_drift", count: false);
            }
            else if (cursor.ValueTextEquals("errored"u8))
            {
                _errored = ReadFlag(ref cursor);
            }
            else if (cursor.ValueTextEquals("complete"u8))
            {
                _complete = ReadFlag(ref cursor);
            }
            else if (cursor.ValueTextEquals("applyable"u8))
            {
                _applyable = ReadFlag(ref cursor);
            }
            else
            {
                NoteForeignKey(ref cursor);
                cursor.Skip();
            }
        }

        private static bool? ReadFlag(ref PlanJsonCursor cursor)
        {
            cursor.Read();
            return cursor.TokenType switch
            {
                JsonTokenType.True => true,
                JsonTokenType.False => false,
                _ => SkipAndForget(ref cursor),
            };
        }

        private static bool? SkipAndForget(ref PlanJsonCursor cursor)
        {
            cursor.Skip();
            return null;
        }

        // Remembers top-level keys that betray another tool's output, for a better "not a plan" message.
        private void NoteForeignKey(ref PlanJsonCursor cursor)
        {
            foreach (var key in (ReadOnlySpan<string>)["sequence", "timestamp", "steps", "changeSummary", "diagnostics", "cancelEvent", "preludeEvent", "resourcePreEvent", "summaryEvent"])
            {
                if (cursor.ValueTextEquals(key))
                {
                    _foreignKeys.Add(key);
                }
            }
        }

        private void ReadChanges(ref PlanJsonCursor cursor, string section, bool count)
        {
            cursor.Read();
            if (cursor.TokenType == JsonTokenType.Null)
            {
                return;
            }

            if (cursor.TokenType != JsonTokenType.StartArray)
            {
                var (line, column) = cursor.TokenPosition();
                throw new PlanReadException(_source, line, column, $"\"{section}\" is {Describe(cursor.TokenType)}, not an array", "A Terraform plan lists resource changes in an array");
            }

            var index = 0;
            ArrayElement kind;
            while ((kind = cursor.ReadElement(out var element, out var start)) != ArrayElement.End)
            {
                if (kind == ArrayElement.NoOp)
                {
                    _noOps += count ? 1 : 0;
                }
                else
                {
                    var (line, column) = cursor.PositionAt(start);
                    _worker.Add(element.Span, new QueuedElement(new ElementPosition(section, index), line, column));
                }

                index++;
            }
        }

        // On the worker: maps one element of resource_changes (counted) or resource_drift (kept apart, not counted).
        private void MapElement(ReadOnlyMemory<byte> utf8, QueuedElement where)
        {
            var drift = where.Position.Section == "resource_drift";
            try
            {
                ReadChange(utf8, where.Position, drift ? _drift : _changes, count: !drift);
            }
            catch (TerraformShapeException e)
            {
                throw new PlanReadException(_source, where.Line, where.Column, e.Problem, e.Expected, e);
            }
        }

        // The element's bytes are the cursor's buffer: the document over them lives only for this call, and the
        // change built from it holds copies (strings, and redacted values in a document shared with its batch).
        private void ReadChange(ReadOnlyMemory<byte> utf8, ElementPosition position, List<ResourceChange> into, bool count)
        {
            using var document = JsonDocument.Parse(utf8);
            var element = document.RootElement;
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new TerraformShapeException($"{position} is {element.ValueKind.ToString().ToLowerInvariant()}, not an object", "Each resource change is a JSON object with \"address\", \"type\" and \"change\"");
            }

            // Nodes read values lazily, so invalid UTF-8 must be caught here, not when someone reads a value.
            if (Utf8Text.FirstInvalid(utf8.Span) >= 0)
            {
                throw new TerraformShapeException($"{position} holds {Utf8Text.Invalid}", HowToProduce + ", in UTF-8 or UTF-16 with a byte order mark");
            }

            var parts = ChangeParts.Of(element);
            var actions = _mapper.ReadActions(parts);
            if (count)
            {
                _counts[actions.Op]++;
            }

            if (actions.Op != ChangeOp.Same)
            {
                _mapper.Add(parts, actions, position, into);
            }
        }

        private void CheckFormatVersion(string version, long line, long column)
        {
            var dot = version.IndexOf('.', StringComparison.Ordinal);
            var majorText = dot < 0 ? version : version[..dot];
            if (!int.TryParse(majorText, NumberStyles.None, CultureInfo.InvariantCulture, out var major))
            {
                throw new PlanReadException(_source, line, column, $"format_version \"{version}\" is not a version number", "InfraGuard reads Terraform/OpenTofu plan JSON format versions 0.1 to 1.x");
            }

            if (major > 1)
            {
                throw new PlanReadException(_source, line, column, $"unsupported plan format_version \"{version}\" (major version {major})",
                    "InfraGuard reads Terraform/OpenTofu plan JSON format versions 0.1 to 1.x (major 0 or 1); a new major version may change meaning, so it is refused. Use a Terraform/OpenTofu release that writes format 1.x, or upgrade InfraGuard");
            }
        }

        private void CheckIsPlan()
        {
            if (_formatVersion is not null)
            {
                return;
            }

            var hint = _foreignKeys.Contains("sequence") || _foreignKeys.Overlaps(["cancelEvent", "preludeEvent", "resourcePreEvent", "summaryEvent"])
                ? " It looks like a Pulumi engine event log: read it with --event-log."
                : _foreignKeys.Contains("steps") || _foreignKeys.Contains("changeSummary")
                    ? " It looks like `pulumi preview --json` output: read it with --preview-json."
                    : string.Empty;
            throw new PlanReadException(_source, null, null, "not a Terraform plan: the JSON object has no \"format_version\"", HowToProduce + "." + hint);
        }

        private ChangeSet BuildChangeSet()
        {
            var reasons = new List<string>();
            if (_errored == true)
            {
                reasons.Add("Terraform reported \"errored\": true: planning failed and the plan cannot be applied");
            }

            if (_complete == false)
            {
                reasons.Add("Terraform reported \"complete\": false: the plan does not cover every change (deferred changes or -target); another plan/apply round would be needed");
            }

            // A plan with no changes is legitimately not applyable; one with changes that is not applyable is suspect.
            var hasChanges = _changes.Any(c => c.Op is not (ChangeOp.Read or ChangeOp.Same));
            if (_applyable == false && _errored != true && hasChanges)
            {
                reasons.Add("Terraform reported \"applyable\": false for a plan that has changes");
            }

            return new ChangeSet
            {
                Engine = EngineKind.Terraform,
                FormatVersion = _formatVersion,
                Changes = _changes,
                Counts = _counts,
                Drift = _drift,
                Complete = reasons.Count == 0,
                IncompleteReason = reasons.Count == 0 ? null : string.Join("; ", reasons),
            };
        }

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };
    }
}
