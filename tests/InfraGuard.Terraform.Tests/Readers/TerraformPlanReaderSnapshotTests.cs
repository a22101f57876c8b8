using InfraGuard.Testing;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>
/// The reader's whole model (<see cref="ModelSnapshot"/>) for every real plan and every synthetic plan is exactly the
/// one the reader gave before its single-copy redaction (values copied and masked once per change while writing, one
/// parsed document per change): the digests in <c>snapshots.sha256</c> were taken from that earlier reader (commit
/// 62129de). Each run writes the snapshots it computed under the temp folder, so a mismatch can be diffed.
/// </summary>
public class TerraformPlanReaderSnapshotTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Recorded = new(() =>
        File.ReadAllLines(Repo.File("tests", "InfraGuard.Terraform.Tests", "Readers", "snapshots.sha256"))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0], StringComparer.Ordinal));

    public static TheoryData<string> Plans => new(TfPlans.FixtureNames().Concat(TestDataNames()));

    [Fact]
    public void Snapshots_Recorded_CoverEveryPlan() =>
        Assert.Equal(TfPlans.FixtureNames().Concat(TestDataNames()).Order(StringComparer.Ordinal), Recorded.Value.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Plans))]
    public void Read_Plan_ModelIsTheRecordedOne(string name)
    {
        var set = name.StartsWith("synthetic-", StringComparison.Ordinal) ? TfPlans.TestData(name) : TfPlans.Fixture(name);
        var snapshot = ModelSnapshot.Of(set);
        var folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "infraguard-tf-snapshots"));
        var written = Path.Combine(folder.FullName, name);
        File.WriteAllText(written, snapshot);

        Assert.True(Recorded.Value.TryGetValue(name, out var expected), $"no recorded digest for {name}");
        Assert.True(expected == ModelSnapshot.Digest(snapshot), $"{name}: the model differs from the recorded one; this run's snapshot is {written}");
    }

    [Fact]
    public void Snapshot_SyntheticEdgeValues_HoldsNoSecret()
    {
        var snapshot = ModelSnapshot.Of(TfPlans.TestData("synthetic-edge-values.plan.json"));

        Assert.DoesNotContain("edge-secret", snapshot, StringComparison.Ordinal);
        Assert.Contains("deep-after", snapshot, StringComparison.Ordinal);
        Assert.Contains("now-set", snapshot, StringComparison.Ordinal);
    }

    private static IEnumerable<string> TestDataNames() =>
        Directory.GetFiles(TfPlans.TestDataPath(string.Empty), "*.plan.json").Select(p => Path.GetFileName(p)).Order(StringComparer.Ordinal);
}
