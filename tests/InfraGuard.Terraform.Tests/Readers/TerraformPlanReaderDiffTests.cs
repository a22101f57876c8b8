using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>The property diff: key order, depth limit, path syntax, null handling.</summary>
public class TerraformPlanReaderDiffTests
{
    private static ResourceChange Update(string before, string after, string more = "") =>
        Assert.Single(TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_thing.a", """["update"]""", $$""" "before":{{before}},"after":{{after}}{{more}} """))).Changes);

    [Fact]
    public void Diff_UnsortedKeys_SameResultAsSorted()
    {
        var sorted = Update("""{"a":1,"b":{"x":1,"y":2},"c":"same"}""", """{"a":2,"b":{"x":1,"y":3},"c":"same","d":true}""");
        var unsorted = Update("""{"c":"same","b":{"y":2,"x":1},"a":1}""", """{"d":true,"a":2,"c":"same","b":{"x":1,"y":3}}""");

        Assert.Equal(["a", "b.y", "d"], sorted.Properties.Select(p => p.Path).Order(StringComparer.Ordinal));
        Assert.Equal(
            sorted.Properties.Select(p => (p.Path, p.Kind, p.Before?.ToJsonString(), p.After?.ToJsonString())).OrderBy(p => p.Path, StringComparer.Ordinal),
            unsorted.Properties.Select(p => (p.Path, p.Kind, p.Before?.ToJsonString(), p.After?.ToJsonString())).OrderBy(p => p.Path, StringComparer.Ordinal));
    }

    [Fact]
    public void Diff_KeysNeedingQuotes_BracketedPaths()
    {
        var change = Update("""{"tags":{"kubernetes.io/role":"a","0":"x","Name":"n"}}""", """{"tags":{"kubernetes.io/role":"b","0":"y","Name":"m"}}""");

        Assert.Equal(["tags.Name", "tags[\"0\"]", "tags[\"kubernetes.io/role\"]"], change.Properties.Select(p => p.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Diff_BeyondMaxDepth_OneUpdateForTheSubtree()
    {
        const string deep = """{"l1":{"l2":{"l3":{"l4":{"l5":{"l6":{"l7":{"l8":{"l9":{"v":OLD}}}}}}}}}}""";
        var change = Update(deep.Replace("OLD", "1", StringComparison.Ordinal), deep.Replace("OLD", "2", StringComparison.Ordinal));

        var property = Assert.Single(change.Properties);
        Assert.Equal("l1.l2.l3.l4.l5.l6.l7.l8", property.Path);
        Assert.Equal("""{"l9":{"v":2}}""", property.After!.ToJsonString());
    }

    [Fact]
    public void Diff_NullAndAbsent_AreTheSame()
    {
        var change = Update("""{"a":null,"b":1,"c":null}""", """{"b":1,"d":null}""");

        Assert.Empty(change.Properties);
    }

    [Fact]
    public void Diff_ListGrowsAndShrinks_ElementWise()
    {
        var change = Update("""{"ports":[80,443],"cidrs":["10.0.0.0/8"]}""", """{"ports":[80],"cidrs":["10.0.0.0/8","0.0.0.0/0"]}""");

        Assert.Equal(PropertyChangeKind.Delete, change.Property("ports[1]").Kind);
        Assert.Equal(443L, (long)change.Property("ports[1]").Before!);
        Assert.Equal("0.0.0.0/0", (string?)change.Property("cidrs[1]").After);
        Assert.Equal(2, change.Properties.Count);
    }

    [Fact]
    public void Diff_NumbersKeepTheirExactText()
    {
        var change = Update("""{"size":12345678901234567890123,"ratio":0.1}""", """{"size":12345678901234567890124,"ratio":0.10}""");

        Assert.Equal("12345678901234567890124", change.Property("size").After!.ToJsonString());
        Assert.DoesNotContain(change.Properties, p => p.Path == "ratio"); // 0.1 == 0.10
    }

    [Fact]
    public void Diff_UnknownKeyOmittedFromAfter_AddedAsUnknown()
    {
        var change = Update("""{"name":"a"}""", """{"name":"b"}""", ""","after_unknown":{"arn":true,"tags":{"x":true}}""");

        Assert.Equal(PropertyChangeKind.Add, change.Property("arn").Kind);
        Assert.Equal(Redaction.UnknownMarker, (string?)change.After!["arn"]);
        Assert.Equal(["arn", "name"], change.Properties.Select(p => p.Path).Order(StringComparer.Ordinal));
    }
}
