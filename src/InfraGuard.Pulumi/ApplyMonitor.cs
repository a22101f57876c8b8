using System.Globalization;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi;

/// <summary>
/// Follows <c>pulumi up --json</c> stdout: a plan-constrained preview phase, then the update phase, each ending with a
/// <c>cancelEvent</c>. Turns events into progress lines and keeps the update phase's last summary and the errors.
/// </summary>
internal sealed class ApplyMonitor(IProgress<string> progress)
{
    private readonly List<string> _errors = [];
    private int _phase;
    private JsonObject? _updateSummary;
    private string? _previewResult;

    public IReadOnlyList<string> Errors => _errors;

    /// <summary>The update phase's summary <c>result</c>, or null when the update phase never summarised.</summary>
    public string? UpdateResult => (string?)_updateSummary?["result"];

    public bool UpdateSummarised => _updateSummary is not null;

    public IReadOnlyDictionary<ChangeOp, int> Counts => PulumiOps.Counts(_updateSummary?["resourceChanges"] as JsonObject);

    public void OnLine(string line)
    {
        var e = EngineEvent.Parse(line);
        if (e is null)
        {
            return;
        }

        if (e.ErrorText() is { Length: > 0 } error)
        {
            _errors.Add(error);
            progress.Report("error: " + error);
        }

        switch (e.Kind)
        {
            case "preludeEvent" when _phase == 0:
                progress.Report("Checking the approved plan against a fresh preview…");
                break;
            case "resourcePreEvent" when !e.Planning && IsChange(e):
                progress.Report($"{Op(e)} {Describe(e)}…");
                break;
            case "resOutputsEvent" when !e.Planning && IsChange(e):
                progress.Report($"{Op(e)} {Describe(e)}: done");
                break;
            case "resOpFailedEvent":
                progress.Report($"{Op(e)} {Describe(e)}: failed");
                break;
            case "summaryEvent":
                OnSummary(e.Payload);
                break;
            case "cancelEvent":
                _phase++;
                if (_phase == 1 && _previewResult is not ("failed" or "canceled"))
                {
                    progress.Report("Plan check passed; applying.");
                }

                break;
        }
    }

    private void OnSummary(JsonObject summary)
    {
        var isPreview = (bool?)summary["isPreview"] ?? _phase == 0;
        if (isPreview)
        {
            _previewResult = (string?)summary["result"];
            if (_previewResult == "failed")
            {
                progress.Report("Plan check failed: nothing was changed.");
            }

            return;
        }

        _updateSummary = summary;
        var counts = (summary["resourceChanges"] as JsonObject ?? [])
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{(int?)p.Value ?? 0} {p.Key}"));
        progress.Report($"Update {(string?)summary["result"] ?? "finished"}: {string.Join(", ", counts)}.");
    }

    private static bool IsChange(EngineEvent e) => Op(e) is not ("same" or "refresh" or "");

    private static string Op(EngineEvent e) => (string?)e.Metadata?["op"] ?? "";

    private static string Describe(EngineEvent e)
    {
        var urn = (string?)e.Metadata?["urn"] ?? "";
        var name = urn[(urn.LastIndexOf("::", StringComparison.Ordinal) + 2)..];
        return $"{(string?)e.Metadata?["type"]} {name}";
    }
}

/// <summary>Maps Pulumi's summary op names onto <see cref="ChangeOp"/>.</summary>
internal static class PulumiOps
{
    public static ChangeOp ToChangeOp(string op) => op switch
    {
        "same" => ChangeOp.Same,
        "create" => ChangeOp.Create,
        "update" => ChangeOp.Update,
        "delete" => ChangeOp.Delete,
        "replace" => ChangeOp.Replace,
        "read" => ChangeOp.Read,
        "import" => ChangeOp.Import,
        "discard" => ChangeOp.Forget,
        "refresh" => ChangeOp.Refresh,
        _ => ChangeOp.Unknown,
    };

    public static IReadOnlyDictionary<ChangeOp, int> Counts(JsonObject? resourceChanges)
    {
        var counts = new Dictionary<ChangeOp, int>();
        foreach (var (name, value) in resourceChanges ?? [])
        {
            var op = ToChangeOp(name);
            counts[op] = counts.GetValueOrDefault(op) + ((int?)value ?? 0);
        }

        return counts;
    }
}
