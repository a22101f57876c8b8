using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using InfraGuard.Benchmarks;
using InfraGuard.Core.Policy;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Terraform.Readers;
using InfraGuard.Core.Risk;

// The GC as the infraguard CLI runs it (src/InfraGuard.Cli/Program.cs), for every mode below.
GCSettings.LatencyMode = GCLatencyMode.Batch;

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
    var changes = ReadInput(engine, stream, path);
    var assessment = RiskEngine.Assess(changes, pack, new AssessmentContext("prod", ActorKind.Pipeline));
    sw.Stop();
    process.Refresh();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{engine} file={size / 1048576.0:F1}MiB changes={changes.Changes.Count} findings={assessment.Findings.Count} elapsed={sw.Elapsed.TotalMilliseconds:F0}ms peakWorkingSet={process.PeakWorkingSet64 / 1048576.0:F1}MiB (at start {before / 1048576.0:F1}MiB)"));
    return 0;
}

// `ratio ENGINE FILE N`: N rounds of a floor pass followed at once by a read+assess (the first two rounds warm up).
// Pairs taken side by side keep a noisy machine's drift out of each ratio; prints the median and the spread.
if (args is ["ratio", var ratioEngine, var ratioPath, var rounds])
{
    var bytes = await File.ReadAllBytesAsync(ratioPath);
    var pack = PolicyPackLoader.LoadDefault();
    var ratios = new List<double>();
    var ras = new List<double>();
    var floors = new List<double>();
    for (var i = 0; i < int.Parse(rounds, CultureInfo.InvariantCulture); i++)
    {
        var sw = Stopwatch.StartNew();
        Floor.Pass(bytes);
        var f = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        RiskEngine.Assess(ReadInput(ratioEngine, new MemoryStream(bytes, writable: false), ratioPath), pack, new AssessmentContext("prod", ActorKind.Pipeline));
        var ra = sw.Elapsed.TotalMilliseconds;
        if (i >= 2)
        {
            ratios.Add(ra / f);
            ras.Add(ra);
            floors.Add(f);
        }
    }

    ratios.Sort();
    ras.Sort();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ratioEngine}: median ratio {ratios[ratios.Count / 2]:F2} (min {ratios[0]:F2}, max {ratios[^1]:F2}); median read+assess {ras[ras.Count / 2]:F0} ms; min read+assess {ras.Min():F0} / min floor {floors.Min():F0} = {ras.Min() / floors.Min():F2}"));
    return 0;
}

// `profile ENGINE FILE N`: read+assess N times, for a profiler to sample (dotnet-trace collect -- ...).
if (args is ["profile", var profEngine, var profPath, var times])
{
    var bytes = await File.ReadAllBytesAsync(profPath);
    var pack = PolicyPackLoader.LoadDefault();
    for (var i = 0; i < int.Parse(times, CultureInfo.InvariantCulture); i++)
    {
        var changes = ReadInput(profEngine, new MemoryStream(bytes, writable: false), profPath);
        RiskEngine.Assess(changes, pack, new AssessmentContext("prod", ActorKind.Pipeline));
    }

    return 0;
}

// `split ENGINE FILE`: a quick breakdown (floor pass, read, assess), best of 3, for finding where time goes. Besides
// wall-clock times it prints process CPU times, which a busy shared machine disturbs less.
if (args is ["split", var splitEngine, var splitPath])
{
    var bytes = await File.ReadAllBytesAsync(splitPath);
    var pack = PolicyPackLoader.LoadDefault();
    using var self = Process.GetCurrentProcess();
    (double Wall, double Cpu) Best(Action action)
    {
        var (wall, cpu) = (double.MaxValue, double.MaxValue);
        for (var i = 0; i < 3; i++)
        {
            self.Refresh();
            var cpuStart = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            action();
            wall = Math.Min(wall, sw.Elapsed.TotalMilliseconds);
            self.Refresh();
            cpu = Math.Min(cpu, (self.TotalProcessorTime - cpuStart).TotalMilliseconds);
        }

        return (wall, cpu);
    }

    InfraGuard.Core.Changes.ChangeSet Read() => ReadInput(splitEngine, new MemoryStream(bytes, writable: false), splitPath);
    Assessment Assess(InfraGuard.Core.Changes.ChangeSet changes, PolicyPack? only = null) =>
        RiskEngine.Assess(changes, only ?? pack, new AssessmentContext("prod", ActorKind.Pipeline));

    var floor = Best(() => Floor.Pass(bytes));
    var read = Read();
    var readMs = Best(() => read = Read());

    // Assess a fresh read each time: the first assessment of a change set also computes each resource's leaves.
    var assessMs = double.MaxValue;
    long readBytes = 0, assessBytes = 0;
    for (var i = 0; i < 3; i++)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        read = Read();
        var mid = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        Assess(read);
        assessMs = Math.Min(assessMs, sw.Elapsed.TotalMilliseconds);
        readBytes = mid - allocated;
        assessBytes = GC.GetTotalAllocatedBytes(precise: true) - mid;
    }

    var pausedBefore = GC.GetTotalPauseDuration();
    var both = Best(() => Assess(Read()));
    var pausedPerRound = (GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds / 3;
    if (Environment.GetEnvironmentVariable("PER_RULE") == "1")
    {
        foreach (var rule in pack.Rules)
        {
            var one = pack with { Rules = [rule] };
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            Assess(read, one);
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rule.Id}: {Best(() => Assess(read, one)).Wall:F0} ms, {allocated / 1048576.0:F1} MiB"));
        }
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{splitEngine}: allocated read {readBytes / 1048576.0:F0} MiB, assess {assessBytes / 1048576.0:F0} MiB; GCs gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}; GC pause per read+assess {pausedPerRound:F0} ms"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{splitEngine}: wall floor {floor.Wall:F0} ms, read {readMs.Wall:F0} ms ({readMs.Wall / floor.Wall:F2}x), assess {assessMs:F0} ms, read+assess {both.Wall:F0} ms = {both.Wall / floor.Wall:F2}x floor"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{splitEngine}: cpu  floor {floor.Cpu:F0} ms, read {readMs.Cpu:F0} ms ({readMs.Cpu / floor.Cpu:F2}x), read+assess {both.Cpu:F0} ms = {both.Cpu / floor.Cpu:F2}x floor"));
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(ReadAssessBenchmarks).Assembly).Run(args, DefaultConfig.Instance.WithOptions(ConfigOptions.JoinSummary));
return 0;

static InfraGuard.Core.Changes.ChangeSet ReadInput(string engine, Stream stream, string name) =>
    engine == "pulumi" ? PulumiEventLogReader.Read(stream, name) : TerraformPlanReader.Read(stream, name);
