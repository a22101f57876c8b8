using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>
/// Plans large enough for changed elements to be mapped on the reader's second thread (more than one 128 KiB chunk of
/// them): errors come out as they would inline — the first in document order, at its own line — and nothing hangs.
/// </summary>
public sealed class TerraformMappingWorkerTests
{
    private const int Count = 2000;
    private const int Bad = 1500;

    [Fact]
    public void Read_BadChangeDeepInALargePlan_NamesItsIndexAndLine()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(LargePlan(bad: Bad)));

        Assert.Equal($"resource_changes[{Bad}] has no \"type\"", e.Problem);
        Assert.Equal((Bad + 2L, 0L), (e.Line, e.BytePosition));
    }

    [Fact]
    public void Read_BadFirstChangeOfALargePlan_StopsWithItsError()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(LargePlan(bad: 0)));

        Assert.Equal("resource_changes[0] has no \"type\"", e.Problem);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_BadChangeThenTruncatedJson_ReportsTheEarlierBadChangeEveryTime()
    {
        // The scan meets the cut-off end while the worker may still be mapping the bad change: the bad change comes
        // first in the plan, so it is the error, however the two threads happen to run.
        var plan = LargePlan(bad: Bad);
        var truncated = plan[..^300];

        for (var run = 0; run < 20; run++)
        {
            var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(truncated));
            Assert.Equal($"resource_changes[{Bad}] has no \"type\"", e.Problem);
        }
    }

    [Fact]
    public void Read_LargePlanCutOff_ReportsTheCut()
    {
        var plan = LargePlan(bad: -1);

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(plan[..^300]));

        Assert.StartsWith("unexpected end of data", e.Problem, StringComparison.Ordinal);
        Assert.Equal(Count + 1, e.Line);
    }

    [Fact]
    public void Read_LargePlan_CountsEveryChangeAndNoOpInOrder()
    {
        var noOps = string.Join(",\n", Enumerable.Range(0, 500).Select(i => TfPlans.Resource($"aws_same.s{i}", """["no-op"]""")));
        var plan = LargePlan(bad: -1).Replace("\"resource_changes\":[\n", "\"resource_changes\":[\n" + noOps + ",\n", StringComparison.Ordinal);

        var set = TfPlans.Text(plan);

        Assert.Equal(Count, set.Counts[ChangeOp.Update]);
        Assert.Equal(500, set.Counts[ChangeOp.Same]);
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"aws_thing.r{i}"), set.Changes.Select(c => c.Address));
    }

    // One change a line (line 2 holds resource_changes[0]), about 500 bytes each: several chunks in all.
    private static string LargePlan(int bad)
    {
        var padding = new string('x', 300);
        var elements = Enumerable.Range(0, Count).Select(i =>
        {
            var element = TfPlans.Resource($"aws_thing.r{i}", """["update"]""", $$""" "before":{"n":{{i}},"pad":"{{padding}}"},"after":{"n":{{i + 1}},"pad":"{{padding}}"} """);
            return i == bad ? element.Replace("\"type\":\"aws_thing\",", string.Empty, StringComparison.Ordinal) : element;
        });
        return "{\"format_version\":\"1.2\",\"resource_changes\":[\n" + string.Join(",\n", elements) + "\n]}";
    }
}
