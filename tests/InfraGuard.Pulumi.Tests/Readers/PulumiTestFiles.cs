using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using InfraGuard.Core.Changes;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests.Readers;

/// <summary>Fixture and test-data access plus helpers shared by the Pulumi reader tests.</summary>
internal static class PulumiTestFiles
{
    private static readonly JsonSerializerOptions CompareOptions = new()
    {
        Converters = { new JsonStringEnumConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string EventLogDirectory => Repo.Fixture("pulumi", "event-logs");

    public static string EventLog(string name) => Path.Combine(EventLogDirectory, name);

    public static string TestData(string name) =>
        Repo.File("tests", "InfraGuard.Pulumi.Tests", "Readers", "TestData", name);

    public static TheoryData<string> AllEventLogs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(EventLogDirectory).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    public static ChangeSet ReadLog(string path)
    {
        using var stream = File.OpenRead(path);
        return PulumiEventLogReader.Read(stream, Path.GetFileName(path));
    }

    public static ChangeSet ReadLogText(string text, string name = "test.json", int? bufferSize = null)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return bufferSize is { } size ? PulumiEventLogReader.Read(stream, name, size) : PulumiEventLogReader.Read(stream, name);
    }

    public static ChangeSet ReadDigest(string path)
    {
        using var stream = File.OpenRead(path);
        return PulumiPreviewJsonReader.Read(stream, Path.GetFileName(path));
    }

    /// <summary>Every event of a log, via JsonDocument (tests only): works for JSON Lines and pretty-printed files.</summary>
    public static List<JsonNode> Events(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        var events = new List<JsonNode>();
        while (reader.Read())
        {
            events.Add(JsonNode.Parse(ref reader)!);
        }

        return events;
    }

    /// <summary>A stable text form of a change set, to compare two reads.</summary>
    public static string Canonical(ChangeSet set) => JsonSerializer.Serialize(set, CompareOptions);

    public static ResourceChange Single(ChangeSet set, string name) => Assert.Single(set.Changes, c => c.Name == name);
}
