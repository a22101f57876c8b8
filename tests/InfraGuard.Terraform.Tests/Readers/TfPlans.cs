using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using InfraGuard.Core.Changes;
using InfraGuard.Terraform.Readers;
using InfraGuard.Testing;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>Reads plans for the tests: shared real fixtures, synthetic TestData files, or inline text.</summary>
internal static class TfPlans
{
    private static readonly JsonSerializerOptions SerialiseOptions = new() { Converters = { new JsonStringEnumConverter() } };

    public static string FixturePath(string name) => Repo.Fixture("terraform", name);

    public static string TestDataPath(string name) =>
        Repo.File("tests", "InfraGuard.Terraform.Tests", "Readers", "TestData", name);

    public static IEnumerable<string> FixtureNames() =>
        Directory.GetFiles(Repo.Fixture("terraform"), "*.json").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal);

    public static ChangeSet Fixture(string name)
    {
        using var stream = File.OpenRead(FixturePath(name));
        return TerraformPlanReader.Read(stream, name);
    }

    public static ChangeSet TestData(string name)
    {
        using var stream = File.OpenRead(TestDataPath(name));
        return TerraformPlanReader.Read(stream, name);
    }

    public static ChangeSet Text(string json, string source = "inline.json") => Bytes(Encoding.UTF8.GetBytes(json), source);

    public static ChangeSet Bytes(byte[] bytes, string source = "inline.json")
    {
        using var stream = new MemoryStream(bytes);
        return TerraformPlanReader.Read(stream, source);
    }

    /// <summary>The whole model as JSON, to search for anything that must not be there.</summary>
    public static string Serialise(ChangeSet set) => JsonSerializer.Serialize(set, SerialiseOptions);

    public static ResourceChange Change(this ChangeSet set, string address) =>
        Assert.Single(set.Changes, c => c.Address == address);

    public static PropertyChange Property(this ResourceChange change, string path) =>
        Assert.Single(change.Properties, p => p.Path == path);

    /// <summary>A minimal plan around the given resource_changes elements (and optional extra top-level members).</summary>
    public static string Plan(string resourceChanges, string extra = "") =>
        $$"""{"format_version":"1.2","terraform_version":"1.9.0"{{extra}},"resource_changes":[{{resourceChanges}}]}""";

    public static string Resource(string address, string actions, string change = """ "before":null,"after":{} """, string more = "") =>
        "{\"address\":\"" + address + "\",\"mode\":\"managed\",\"type\":\"" + address.Split('.')[0]
        + "\",\"name\":\"x\",\"provider_name\":\"registry.terraform.io/hashicorp/aws\"" + more
        + ",\"change\":{\"actions\":" + actions + "," + change + "}}";
}
