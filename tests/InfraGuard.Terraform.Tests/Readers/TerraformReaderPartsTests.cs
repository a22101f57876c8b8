using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>The reader's caches and its use of pooled buffers give exactly what the plain calls give.</summary>
public class TerraformReaderPartsTests
{
    [Fact]
    public void Read_ThenReadAnotherPlan_FirstModelUnchanged()
    {
        var first = TfPlans.TestData("synthetic-edge-values.plan.json");
        var before = ModelSnapshot.Of(first);

        // Reading again reuses the pooled read buffers and scratch documents the first read used.
        _ = TfPlans.Fixture("tfplancomment-create-300.plan.json");
        _ = TfPlans.Fixture("infracost-rds-ec2-26res-tf014.plan.json");

        Assert.Equal(before, ModelSnapshot.Of(first));
    }

    [Fact]
    public void Read_RepeatedTexts_OneStringPerText()
    {
        var set = TfPlans.Fixture("tfplancomment-create-300.plan.json");

        var types = set.Changes.GroupBy(c => c.Type, StringComparer.Ordinal).First(g => g.Count() > 1).ToList();
        Assert.Same(types[0].Type, types[1].Type);
        Assert.Same(types[0].Provider, types[1].Provider);
        Assert.Same(types[0].Properties[0].Path, types[1].Properties.First(p => p.Path == types[0].Properties[0].Path).Path);
    }

    [Theory]
    [InlineData("\"aws_instance\"", "aws_instance")]
    [InlineData("\"caf\\u00e9 \\\"q\\\"\"", "café \"q\"")]
    [InlineData("\"naïve ☃ 𝄞\"", "naïve ☃ 𝄞")]
    [InlineData("\"\"", "")]
    public void StringPool_JsonString_SameTextAsGetString(string json, string expected)
    {
        var pool = new StringPool();
        using var document = JsonDocument.Parse(json);

        var first = pool.Get(document.RootElement);
        var second = pool.Get(document.RootElement);

        Assert.Equal(expected, first);
        Assert.Equal(document.RootElement.GetString(), first);
        Assert.Equal(expected, second);
    }

    [Fact]
    public void StringPool_LongString_NotCutAndNotKept()
    {
        var pool = new StringPool();
        var text = new string('x', 300) + "é";
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(text));

        Assert.Equal(text, pool.Get(document.RootElement));
        Assert.Equal(0, pool.Count);
    }

    [Fact]
    public void StringPool_Full_StillGivesEveryText()
    {
        var pool = new StringPool();
        for (var i = 0; i < StringPool.MaxEntries + 10; i++)
        {
            Assert.Equal("p" + i, pool.Get(("p" + i).AsSpan()));
        }

        Assert.Equal(StringPool.MaxEntries, pool.Count);
        Assert.Same(pool.Get("p1".AsSpan()), pool.Get("p1".AsSpan()));
    }

    [Theory]
    [InlineData("password")]
    [InlineData("db_password")]
    [InlineData("pass\\u0077ord")]
    [InlineData("masterUserPassword")]
    [InlineData("instance_class")]
    [InlineData("tokens")]
    [InlineData("clé_secrète")]
    [InlineData("")]
    public void SecretNames_PropertyName_SameAsRedaction(string rawName)
    {
        var names = new SecretNames();
        using var document = JsonDocument.Parse("{\"" + rawName + "\":1}");
        var property = document.RootElement.EnumerateObject().Single();

        var expected = Redaction.IsSecretLookingName(property.Name);

        Assert.Equal(expected, names.IsSecret(property));
        Assert.Equal(expected, names.IsSecret(property)); // cached
        Assert.Equal(expected, names.IsSecret(property.Name));
    }

    [Fact]
    public void Read_ChangesOverSeveralValueBatches_EachKeepsItsOwnValuesInOrder()
    {
        // About 2.5 MiB of redacted values: the reader parses them in batches of about 1 MiB, so changes of the first,
        // middle and last batch are all checked, drift (its own list) included.
        const int Count = 3000;
        var padding = new string('x', 700);
        string Element(int i) => TfPlans.Resource(
            $"aws_thing.r{i}",
            """["update"]""",
            $$""" "before":{"n":{{i}},"password":"p{{i}}","pad":"{{padding}}"},"after":{"n":{{i + 1}},"password":"q{{i}}","pad":"{{padding}}"},"before_sensitive":{},"after_sensitive":{} """);
        var drift = string.Join(',', Enumerable.Range(0, Count / 10).Select(i => Element(Count + i)));
        var plan = TfPlans.Plan(string.Join(',', Enumerable.Range(0, Count).Select(Element)), $",\"resource_drift\":[{drift}]");

        var set = TfPlans.Text(plan);

        Assert.Equal(Count, set.Changes.Count);
        Assert.Equal(Count / 10, set.Drift.Count);
        foreach (var (change, i) in set.Changes.Select((c, i) => (c, i)).Concat(set.Drift.Select((c, i) => (c, Count + i))))
        {
            Assert.Equal($"aws_thing.r{i}", change.Address);
            Assert.Equal(i + 1, (int)change.After!["n"]!);
            Assert.Equal(Redaction.SecretMarker, (string?)change.After["password"]);
            var n = change.Property("n");
            Assert.Equal((i, i + 1), ((int)n.Before!, (int)n.After!));
            var password = change.Property("password");
            Assert.Equal((Redaction.SecretMarker, Redaction.SecretMarker), ((string?)password.Before, (string?)password.After));
        }

        Assert.DoesNotContain("\"p1\"", TfPlans.Serialise(set), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EscapedPropertyNames_UnescapedInTheModelAndSecretOnesRedacted()
    {
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource(
            "aws_thing.a",
            """["update"]""",
            """ "before":{"caf\u00e9":1,"a\"b":"x","pass\u0077ord":"hunter2"},"after":{"caf\u00e9":2,"a\"b":"x","pass\u0077ord":"hunter3"} """)));

        var change = Assert.Single(set.Changes);
        Assert.Equal(2, (int)change.After!["café"]!);
        Assert.Equal("x", (string?)change.After["a\"b"]);
        Assert.Equal(Redaction.SecretMarker, (string?)change.After["password"]);
        Assert.Equal(["[\"café\"]", "password"], change.Properties.Select(p => p.Path).Order(StringComparer.Ordinal));
        Assert.DoesNotContain("hunter", TfPlans.Serialise(set), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_EscapedMemberNames_FoundLikePlainOnes()
    {
        // JSON allows any member name to be escaped; Terraform never does it, a re-serialising tool might.
        var set = TfPlans.Text("""
            {"format_version":"1.2","resource_changes":[{"addr\u0065ss":"aws_db_instance.a","typ\u0065":"aws_db_instance",
             "ch\u0061nge":{"\u0061ctions":["update"],"before":{"password":"old","size":1},"after":{"password":"new","size":2},
             "after_s\u0065nsitive":{"size":true}}}]}
            """);

        var change = Assert.Single(set.Changes);
        Assert.Equal(("aws_db_instance.a", "aws_db_instance", ChangeOp.Update), (change.Address, change.Type, change.Op));
        Assert.Equal(Redaction.SecretMarker, (string?)change.After!["size"]);
        Assert.Equal(["password", "size"], change.Properties.Select(p => p.Path));
    }
}
