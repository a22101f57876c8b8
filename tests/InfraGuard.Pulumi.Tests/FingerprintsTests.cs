using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Testing;

namespace InfraGuard.Pulumi.Tests;

public class StateFingerprintTests
{
    private static readonly string RealExport = Repo.Fixture("pulumi", "stack-exports", "rds-instance-5.42.0-state.json");

    [Fact]
    public void Compute_CosmeticChanges_SameFingerprint()
    {
        var original = File.ReadAllBytes(RealExport);
        var state = JsonNode.Parse(original)!;
        state["deployment"]!["manifest"]!["time"] = "2026-11-25T02:00:00Z";
        state["deployment"]!["manifest"]!["version"] = "v3.259.0";
        state["deployment"]!["manifest"]!["magic"] = "00";
        state["version"] = 4;
        foreach (var resource in state["deployment"]!["resources"]!.AsArray())
        {
            resource!["modified"] = "2026-11-25T02:00:01Z";
            resource["sourcePosition"] = "project:///index.ts#12,5";
        }

        var reordered = Reorder(state);
        var cosmetic = Encoding.UTF8.GetBytes(reordered!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 2 }));

        Assert.Equal(StateFingerprint.Compute(original), StateFingerprint.Compute(cosmetic));
    }

    [Theory]
    [InlineData("instanceClass", "db.t4g.small")]
    [InlineData("deletionProtection", true)]
    public void Compute_RealOutputChange_DifferentFingerprint(string property, object value)
    {
        var original = File.ReadAllBytes(RealExport);
        var state = JsonNode.Parse(original)!;
        state["deployment"]!["resources"]![2]!["outputs"]![property] = JsonValue.Create(value);

        var changed = Encoding.UTF8.GetBytes(state.ToJsonString());

        Assert.NotEqual(StateFingerprint.Compute(original), StateFingerprint.Compute(changed));
    }

    [Fact]
    public void Compute_ResourceRemoved_DifferentFingerprint()
    {
        var original = File.ReadAllBytes(RealExport);
        var state = JsonNode.Parse(original)!;
        state["deployment"]!["resources"]!.AsArray().RemoveAt(2);

        Assert.NotEqual(StateFingerprint.Compute(original), StateFingerprint.Compute(Encoding.UTF8.GetBytes(state.ToJsonString())));
    }

    [Fact]
    public void Compute_RealExport_IsLowerHexSha256()
    {
        var fingerprint = StateFingerprint.Compute(File.ReadAllBytes(RealExport));

        Assert.Matches("^[0-9a-f]{64}$", fingerprint);
    }

    [Fact]
    public void Compute_NotAnObject_Throws() =>
        Assert.ThrowsAny<JsonException>(() => StateFingerprint.Compute("[1,2]"u8));

    // Rebuilds every object with its keys in reverse order.
    private static JsonNode? Reorder(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(p => KeyValuePair.Create(p.Key, Reorder(p.Value?.DeepClone())))),
        JsonArray arr => new JsonArray(arr.Select(i => Reorder(i?.DeepClone())).ToArray()),
        _ => node?.DeepClone(),
    };
}

public class PlanFingerprintTests
{
    private static readonly string RealPlan = Repo.Fixture("pulumi", "plans", "openzfs-new-version-plan.json");

    [Fact]
    public void Compute_SecondPreviewOfSameChange_SameFingerprint()
    {
        var original = File.ReadAllBytes(RealPlan);
        var plan = JsonNode.Parse(original)!;
        plan["manifest"]!["time"] = "2026-11-25T02:00:00Z";
        foreach (var (_, resource) in plan["resourcePlans"]!.AsObject())
        {
            resource!["seed"] = Convert.ToBase64String(new byte[32]);
        }

        Assert.Equal(PlanFingerprint.Compute(original), PlanFingerprint.Compute(Encoding.UTF8.GetBytes(plan.ToJsonString())));
    }

    [Fact]
    public void Compute_DifferentSteps_DifferentFingerprint()
    {
        var original = File.ReadAllBytes(RealPlan);
        var plan = JsonNode.Parse(original)!;
        var first = plan["resourcePlans"]!.AsObject().First(p => p.Value!["steps"] is JsonArray { Count: > 0 });
        first.Value!["steps"] = new JsonArray("delete");

        Assert.NotEqual(PlanFingerprint.Compute(original), PlanFingerprint.Compute(Encoding.UTF8.GetBytes(plan.ToJsonString())));
    }
}
