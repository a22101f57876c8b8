using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using InfraGuard.Benchmarks;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Readers.Pulumi;
using InfraGuard.Core.Readers.Terraform;
using InfraGuard.Core.Risk;

// `generate ENGINE N FILE` writes an input; `memory ENGINE FILE` runs one read+assess of it in this fresh process and
// prints the peak working set. Generating in another process keeps the generator's own memory out of the figure.
if (args is ["generate", var genEngine, var n, var genPath])
{
    var count = int.Parse(n, CultureInfo.InvariantCulture);
    await File.WriteAllBytesAsync(genPath, genEngine == "pulumi" ? Generator.PulumiEventLog(count) : Generator.TerraformPlan(count));
    return 0;
}

if (args is ["memory", var engine, var path])
{
    var size = new FileInfo(path).Length;
    var pack = PolicyPackLoader.LoadDefault();
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    var before = process.PeakWorkingSet64;
    var sw = Stopwatch.StartNew();
    await using var stream = File.OpenRead(path);
    var changes = engine == "pulumi" ? PulumiEventLogReader.Read(stream, path) : TerraformPlanReader.Read(stream, path);
    var assessment = RiskEngine.Assess(changes, pack, new AssessmentContext("prod", ActorKind.Pipeline));
    sw.Stop();
    process.Refresh();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{engine} file={size / 1048576.0:F1}MiB changes={changes.Changes.Count} findings={assessment.Findings.Count} elapsed={sw.Elapsed.TotalMilliseconds:F0}ms peakWorkingSet={process.PeakWorkingSet64 / 1048576.0:F1}MiB (at start {before / 1048576.0:F1}MiB)"));
    return 0;
}

// `split ENGINE FILE`: a quick breakdown (floor pass, read, assess), best of 3, for finding where time goes.
if (args is ["split", var splitEngine, var splitPath])
{
    var bytes = await File.ReadAllBytesAsync(splitPath);
    var pack = PolicyPackLoader.LoadDefault();
    double Best(Action action)
    {
        var best = double.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }

        return best;
    }

    InfraGuard.Core.Changes.ChangeSet? read = null;
    var floor = Best(() => Floor.Pass(bytes));
    var readMs = Best(() => read = splitEngine == "pulumi"
        ? PulumiEventLogReader.Read(new MemoryStream(bytes, writable: false), splitPath)
        : TerraformPlanReader.Read(new MemoryStream(bytes, writable: false), splitPath));
    var assessMs = Best(() => RiskEngine.Assess(read!, pack, new AssessmentContext("prod", ActorKind.Pipeline)));
    if (Environment.GetEnvironmentVariable("PER_RULE") == "1")
    {
        foreach (var rule in pack.Rules)
        {
            var one = pack with { Rules = [rule] };
            Console.WriteLine($"{rule.Id}: {Best(() => RiskEngine.Assess(read!, one, new AssessmentContext("prod", ActorKind.Pipeline))):F0} ms");
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{splitEngine}: floor {floor:F0} ms, read {readMs:F0} ms ({readMs / floor:F2}x), assess {assessMs:F0} ms, read+assess {(readMs + assessMs) / floor:F2}x floor"));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(ReadAssessBenchmarks).Assembly).Run(args, DefaultConfig.Instance.WithOptions(ConfigOptions.JoinSummary));
return 0;
