using System.Text.Json;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Core.Readers.Terraform;

namespace InfraGuard.Core.Tests.Readers.Terraform;

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
}
