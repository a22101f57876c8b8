using System.Runtime;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Terraform.Readers;
using InfraGuard.Core.Risk;

namespace InfraGuard.Benchmarks;

/// <summary>
/// Read + assess of a 50,000-resource input against the floor: one bare <see cref="Utf8JsonReader"/> pass over the
/// same bytes (every token visited, nothing kept). BenchmarkDotNet's Ratio column is the figure reported: benchmarks
/// are grouped by engine, so each read+assess is compared with the floor over its own input.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
public class ReadAssessBenchmarks
{
    private byte[] _pulumi = [];
    private byte[] _terraform = [];
    private PolicyPack _pack = null!;

    [Params(50_000)]
    public int Resources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        GCSettings.LatencyMode = GCLatencyMode.Batch; // as the infraguard CLI runs (src/InfraGuard.Cli/Program.cs)
        _pulumi = Generator.PulumiEventLog(Resources);
        _terraform = Generator.TerraformPlan(Resources);
        _pack = PolicyPackLoader.LoadDefault();
    }

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("pulumi")]
    public int PulumiFloor() => Floor.Pass(_pulumi);

    [Benchmark]
    [BenchmarkCategory("pulumi")]
    public Assessment PulumiReadAssess() => Assess(PulumiEventLogReader.Read(new MemoryStream(_pulumi, writable: false), "bench.jsonl"));

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("terraform")]
    public int TerraformFloor() => Floor.Pass(_terraform);

    [Benchmark]
    [BenchmarkCategory("terraform")]
    public Assessment TerraformReadAssess() => Assess(TerraformPlanReader.Read(new MemoryStream(_terraform, writable: false), "bench.plan.json"));

    private Assessment Assess(ChangeSet changes) => RiskEngine.Assess(changes, _pack, new AssessmentContext("prod", ActorKind.Pipeline));
}

/// <summary>The floor: a bare reader pass that touches every token, as any JSON consumer must.</summary>
public static class Floor
{
    public static int Pass(byte[] utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true });
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }
}
