using System.Text.Json;
using System.Text.Json.Serialization;

namespace InfraGuard.Store.Tests;

/// <summary>The source-generated JSON columns must keep the exact text older stores hold (written by reflection).</summary>
public sealed class StoreJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    [Fact]
    public void Assessment_SourceGenerated_SameTextAsTheReflectionSerializerAndRoundTrips()
    {
        var assessment = Some.Assessment(approvals: 2) with { Notes = ["agent run", "ünïcode <tag>"], PolicyHash = "abc" };

        var generated = JsonSerializer.Serialize(assessment, StoreJson.Default.Assessment);

        Assert.Equal(JsonSerializer.Serialize(assessment, Reflection), generated);
        Assert.Contains("\"decision\":\"Review\"", generated, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(assessment, Reflection), StoreJson.Default.Assessment)!;
        Assert.Equal(JsonSerializer.Serialize(back, Reflection), generated);
    }

    [Fact]
    public void StringList_SourceGenerated_SameTextAsDefaultSerializer()
    {
        IReadOnlyList<string> authors = ["alice@example.com", "Bob <bob@example.com>"];

        Assert.Equal(JsonSerializer.Serialize(authors), JsonSerializer.Serialize(authors, StoreJson.Default.IReadOnlyListString));
    }
}
