using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace InfraGuard.Core.Audit.Report;

/// <summary><c>report.json</c>: the report's data, camelCase, indented, nulls left out; serializers generated at build time.</summary>
public static class ReportJson
{
    // A file, never embedded in a page: characters such as ' & … stay readable instead of \u escapes.
    private static readonly JsonSerializerOptions Options = new(ReportJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly System.Text.Json.Serialization.Metadata.JsonTypeInfo<AuditReport> TypeInfo =
        (System.Text.Json.Serialization.Metadata.JsonTypeInfo<AuditReport>)Options.GetTypeInfo(typeof(AuditReport));

    /// <summary>The UTF-8 JSON of <paramref name="report"/>, ending with a newline.</summary>
    public static byte[] Serialize(AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        JsonSerializer.Serialize(buffer, report, TypeInfo);
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Writes the UTF-8 JSON of <paramref name="report"/> and a newline to <paramref name="output"/> (no copy in memory).</summary>
    public static async Task WriteAsync(AuditReport report, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        await JsonSerializer.SerializeAsync(output, report, TypeInfo, cancellationToken).ConfigureAwait(false);
        output.WriteByte((byte)'\n');
    }

    /// <summary>Reads a report back (for tools and tests).</summary>
    public static AuditReport? Deserialize(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize(json, TypeInfo);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AuditReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
