using System.Text.Json.Nodes;
using InfraGuard.Core.Engine;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests;

/// <summary>One test's private stand-in world: a temp folder, the record file, and engine options with the stand-in first on PATH.</summary>
internal sealed class StandInSession : IDisposable
{
    public const string Scenario = "synthetic-rds-scale-down";

    private readonly Dictionary<string, string?> _environment;

    public StandInSession(string scenario = Scenario, params (string Name, string Value)[] environment)
    {
        Folder = Directory.CreateTempSubdirectory("standin-test-").FullName;
        RecordFile = Path.Combine(Folder, "record.jsonl");
        ScenarioFolder = StandInPulumi.Scenario(scenario);
        _environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["STANDIN_SCENARIO"] = ScenarioFolder,
            ["STANDIN_RECORD"] = RecordFile,
        };
        foreach (var (name, value) in environment)
        {
            _environment[name] = value;
        }
    }

    public string Folder { get; }

    public string RecordFile { get; }

    public string ScenarioFolder { get; }

    public EngineTarget Target(params string[] extra) => new("prod", Folder, extra);

    public PulumiEngineOptions Options(TimeSpan? timeout = null) => new()
    {
        Environment = _environment,
        Timeout = timeout,
        TempRoot = Folder,
    };

    /// <summary>Every line the stand-in recorded, in order.</summary>
    public IReadOnlyList<JsonObject> Records() =>
        File.Exists(RecordFile)
            ? File.ReadAllLines(RecordFile).Where(l => l.Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList()
            : [];

    /// <summary>The argv of each invocation, in order.</summary>
    public IReadOnlyList<string[]> Invocations() =>
        Records().Where(r => (string?)r["event"] == "started")
            .Select(r => r["argv"]!.AsArray().Select(a => (string)a!).ToArray())
            .ToList();

    public async Task WaitForRecordAsync(string eventName, CancellationToken cancellationToken)
    {
        while (!Records().Any(r => (string?)r["event"] == eventName))
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
