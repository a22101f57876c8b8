using System.Text.Json.Nodes;
using InfraGuard.Core.Facts;

namespace InfraGuard.Core.Tests.Risk;

public class TagTextTests
{
    private static readonly string[] Sources = ["tags", "tagsAll", "tags_all", "labels", "userLabels", "user_labels"];

    public static TheoryData<string, string, bool> States() => new()
    {
        { """{"tags":{"data-classification":"Confidential","team":"web"}}""", "data-classification", true },
        { """{"tags":{"Data-Classification":"restricted"}}""", "data-classification", true },
        { """{"tags":{"data-classification":"[secret]"},"tagsAll":{"data-classification":"public"}}""", "data-classification", true },
        { """{"tags":{"data-classification":"[unknown]","DATA-CLASSIFICATION":"second"}}""", "data-classification", true },
        { """{"tags":{"data-classification":null},"labels":{"data-classification":7.50}}""", "data-classification", true },
        { """{"tags":{"data-classification":{"nested":1}},"user_labels":{"data-classification":true}}""", "data-classification", true },
        { """{"tags":"not an object","tags_all":{"x":[1,2,{"data-classification":"deep"}]},"userLabels":{"data-classification":false}}""", "data-classification", true },
        { """{"metadata":{"name":"x","labels":{"team":"platform"}}}""", "team", true },
        { """{"metadata":[{"labels":{"team":"platform"}}]}""", "team", true },
        { """{"metadata":{"labels":"none"},"ami":"ami-1"}""", "team", true },
        { """{"tags":{"team":"caf\u00e9 <b>&amp;</b>"}}""", "team", true },
        { """{"tags":{"t\u00e9am":"accent in the key","team":"plain"}}""", "t\u00c9am", false },
        { """{"tags":{"te+am":"escaped by the writer"}}""", "te+am", false },
        { """{"tags":{},"labels":{"team":"1e3"}}""", "team", true },
        { """{"other":{"tags":{"team":"not top level"}}}""", "team", true },
        { """{}""", "team", true },
    };

    [Theory]
    [MemberData(nameof(States))]
    public void TryFind_StateReadFromJson_AgreesWithTheNodes(string json, string key, bool textAnswers)
    {
        var fromText = JsonNode.Parse(json)!.AsObject();
        var fromNodes = JsonNode.Parse(json)!.AsObject();

        var answered = TagText.TryFind(fromText, Sources, key, out var value);

        Assert.Equal(textAnswers, answered);
        Assert.Equal(ResourceFacts.TagFromNodes(fromNodes, key), answered ? value : ResourceFacts.TagFromNodes(fromText, key));
    }

    [Theory]
    [MemberData(nameof(States))]
    public void TryFind_StateBuiltInCode_AgreesWithTheNodes(string json, string key, bool textAnswers)
    {
        // A state whose nodes are already built (as tests and callers may make them) is written from the nodes.
        var built = JsonNode.Parse(json)!.DeepClone().AsObject();
        _ = built.Count;

        var answered = TagText.TryFind(built, Sources, key, out var value);

        Assert.Equal(textAnswers, answered);
        Assert.Equal(ResourceFacts.TagFromNodes(built, key), answered ? value : ResourceFacts.TagFromNodes(built, key));
    }

    [Theory]
    [InlineData("""{"tags":{"team":"a","team":"b"}}""")]
    [InlineData("""{"tags":{"team":"a"},"tags":{"team":"b"}}""")]
    [InlineData("""{"metadata":{"labels":{"team":"a"},"labels":{}}}""")]
    public void TryFind_RepeatedName_LeavesItToTheNodes(string json)
    {
        Assert.False(TagText.TryFind(JsonNode.Parse(json)!.AsObject(), Sources, "team", out _));
    }
}
