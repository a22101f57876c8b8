using System.Text.Json.Nodes;
using InfraGuard.Core.Policy;
using InfraGuard.Server.Api;

namespace InfraGuard.Testing;

/// <summary>
/// The evidence a runner posts in the server's tests and load benchmark: the stand-in scenarios' real-shaped Pulumi
/// event log and the plan the same preview saved (default: a pipeline deleting production database orders-db, which
/// the default pack sends to review by the SRE leads). Linked into the server, web and benchmark projects.
/// </summary>
internal static class SampleRequests
{
    public const string Carol = "github:carol-example";

    public const string OrdersDb = "urn:pulumi:prod::shop::aws:rds/instance:Instance::orders-db";

    /// <summary>The scenario's saved plan; a <paramref name="variant"/> adds a config value, so the plan (and its hash) differs.</summary>
    public static byte[] Plan(string? variant = null, string scenario = "synthetic-prod-db-delete")
    {
        var bytes = File.ReadAllBytes(Path.Combine(Scenario(scenario), "plan.json"));
        if (variant is null)
        {
            return bytes;
        }

        var plan = JsonNode.Parse(bytes)!.AsObject();
        plan["config"]!["sample:variant"] = variant;
        return System.Text.Encoding.UTF8.GetBytes(plan.ToJsonString());
    }

    /// <summary>The scenario's preview event log.</summary>
    public static byte[] EventLog(string scenario = "synthetic-prod-db-delete") => File.ReadAllBytes(Path.Combine(Scenario(scenario), "preview.jsonl"));

    public static SubmitBody Body(string runId = "run-1", string? variant = null, string scenario = "synthetic-prod-db-delete", string stack = "prod") => new()
    {
        Engine = "pulumi",
        Stack = stack,
        Project = "shop",
        ActorKind = ActorKind.Pipeline,
        CiRunId = runId,
        CiRunUrl = "https://ci.example/run/" + runId,
        StateFingerprint = new string('f', 64),
        EngineOutput = EventLog(scenario),
        SavedPlan = Plan(variant, scenario),
    };

    /// <summary>The delete scenario with the database named <paramref name="name"/> instead of orders-db (in the log and the plan alike).</summary>
    public static SubmitBody Renamed(SubmitBody body, string name)
    {
        ArgumentNullException.ThrowIfNull(body);
        var escaped = System.Text.Json.JsonSerializer.Serialize(name)[1..^1];
        byte[] Rename(byte[] bytes) => System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(bytes).Replace("::orders-db\"", $"::{escaped}\"", StringComparison.Ordinal));
        return body with { EngineOutput = Rename(body.EngineOutput), SavedPlan = Rename(body.SavedPlan) };
    }

    /// <summary>
    /// The delete scenario widened to <paramref name="count"/> databases (orders-01 … orders-NN): the same events and
    /// plan entries repeated under new URNs, with the summary's counts to match.
    /// </summary>
    public static SubmitBody ManyDeletes(int count, string runId = "run-many")
    {
        var lines = System.Text.Encoding.UTF8.GetString(EventLog()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var log = new System.Text.StringBuilder();
        log.AppendLine(lines[0]).AppendLine(lines[1]).AppendLine(lines[2]);
        for (var i = 1; i <= count; i++)
        {
            log.AppendLine(lines[3].Replace("::orders-db\"", $"::orders-{i:D2}\"", StringComparison.Ordinal));
            log.AppendLine(lines[4].Replace("::orders-db\"", $"::orders-{i:D2}\"", StringComparison.Ordinal));
        }

        log.AppendLine(lines[5].Replace("\"delete\":1", $"\"delete\":{count}", StringComparison.Ordinal)).AppendLine(lines[6]);
        var plan = JsonNode.Parse(Plan())!.AsObject();
        var resources = plan["resourcePlans"]!.AsObject();
        var db = resources[OrdersDb]!;
        resources.Remove(OrdersDb);
        for (var i = 1; i <= count; i++)
        {
            resources[OrdersDb.Replace("orders-db", $"orders-{i:D2}", StringComparison.Ordinal)] = db.DeepClone();
        }

        return Body(runId) with { EngineOutput = System.Text.Encoding.UTF8.GetBytes(log.ToString()), SavedPlan = System.Text.Encoding.UTF8.GetBytes(plan.ToJsonString()) };
    }

    /// <summary>
    /// The default pack with <c>require-attested-requester</c> switched off, written to <paramref name="folder"/>: the
    /// tests that are not about attestation use static runner tokens.
    /// </summary>
    public static string PolicyWithoutAttestation(string folder) => Policy(folder);

    /// <summary>The default pack with attestation off and each of <paramref name="edits"/> applied as a text replacement, written to <paramref name="folder"/>.</summary>
    public static string Policy(string folder, params (string From, string To)[] edits)
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot(), "policy-packs", "infraguard", "policy.yaml"))
            .Replace("require-attested-requester: true", "require-attested-requester: false", StringComparison.Ordinal);
        foreach (var (from, to) in edits)
        {
            text = text.Contains(from, StringComparison.Ordinal)
                ? text.Replace(from, to, StringComparison.Ordinal)
                : throw new ArgumentException($"the default pack has no '{from}' to replace; update the test's edit", nameof(edits));
        }

        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "policy.yaml"), text);
        return folder;
    }

    private static string Scenario(string name) => Path.Combine(RepoRoot(), "tests", "StandIn.Pulumi", "Scenarios", name);

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InfraGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No InfraGuard.sln above {AppContext.BaseDirectory}.");
    }
}
