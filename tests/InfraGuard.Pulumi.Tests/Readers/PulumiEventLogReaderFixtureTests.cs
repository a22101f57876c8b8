using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using static InfraGuard.Pulumi.Tests.Readers.PulumiTestFiles;

namespace InfraGuard.Pulumi.Tests.Readers;

public class PulumiEventLogReaderFixtureTests
{
    /// <summary>
    /// Where our counts differ from the log's own summaryEvent.resourceChanges, and why. The summary counts only
    /// logical steps that completed, and calls a retained delete "delete"; InfraGuard reports every change the
    /// engine attempted, so a refused or unfinished step still shows.
    /// </summary>
    private static readonly Dictionary<string, Dictionary<ChangeOp, int>> DocumentedDifferences = new()
    {
        // retainOnDelete: the engine counts "delete", but nothing is deleted in the cloud: it is a Forget.
        ["lifecycle-TestRetainOnDelete-2.eventstream.json"] = new() { [ChangeOp.Delete] = -1, [ChangeOp.Forget] = +1 },
        // Two deletes of protected resources were refused (pre-events, no outputs, error diagnostics): the summary
        // leaves them out; we report them as failed, protected deletes.
        ["lifecycle-TestMultipleProtectedDeletes-1.eventstream.json"] = new() { [ChangeOp.Delete] = +2 },
        // Failed up: the update of test-x ended in resOpFailedEvent (not counted by the engine), and test-r's
        // delete-replaced finishes a replacement whose other steps were trimmed from the recording.
        ["failed-stacks-dont-rewrite-operations.json"] = new() { [ChangeOp.Update] = +1, [ChangeOp.Replace] = +1 },
        // Interrupted up: two creates and one update started (pre-events) but never finished.
        ["up-interrupted.json"] = new() { [ChangeOp.Create] = +2, [ChangeOp.Update] = +1 },
    };

    [Theory]
    [MemberData(nameof(AllEventLogs), MemberType = typeof(PulumiTestFiles))]
    public void Read_EveryFixture_CountsMatchSummaryEvent(string file)
    {
        var set = ReadLog(EventLog(file));

        var summary = Events(EventLog(file)).Select(e => e["summaryEvent"]).Single(s => s is not null)!;
        var expected = ChangeOps.All.ToDictionary(op => op, _ => 0);
        foreach (var (name, count) in summary["resourceChanges"]!.AsObject())
        {
            expected[name == "discard" ? ChangeOp.Forget : Enum.Parse<ChangeOp>(name, ignoreCase: true)] += (int)count!;
        }

        foreach (var (op, delta) in DocumentedDifferences.GetValueOrDefault(file) ?? [])
        {
            expected[op] += delta;
        }

        Assert.Equal(expected.OrderBy(p => p.Key), set.Counts.OrderBy(p => p.Key));
        Assert.Equal(set.Changes.Count, set.Counts.Where(p => p.Key != ChangeOp.Same).Sum(p => p.Value));
        Assert.Equal(EngineKind.Pulumi, set.Engine);
    }

    [Theory]
    [MemberData(nameof(AllEventLogs), MemberType = typeof(PulumiTestFiles))]
    public void Read_EveryFixturePrettyPrinted_SameChangeSet(string file)
    {
        var indented = new StringBuilder();
        foreach (var e in Events(EventLog(file)))
        {
            indented.Append(e.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).Append('\n');
        }

        Assert.Contains("\n  ", indented.ToString(), StringComparison.Ordinal);
        Assert.Equal(Canonical(ReadLog(EventLog(file))), Canonical(ReadLogText(indented.ToString(), file)));
    }

    [Theory]
    [MemberData(nameof(AllEventLogs), MemberType = typeof(PulumiTestFiles))]
    public void Read_EveryFixtureThroughTinyBuffer_SameChangeSet(string file)
    {
        // A 16-byte starting buffer cuts almost every event: each must be re-read whole, and the buffer must grow.
        var text = File.ReadAllText(EventLog(file));

        Assert.Equal(Canonical(ReadLog(EventLog(file))), Canonical(ReadLogText(text, file, bufferSize: 16)));
    }

    [Fact]
    public void Read_WebserverUserData_OneReplaceCreateBeforeDelete()
    {
        var set = ReadLog(EventLog("webserver-userdata.json"));

        var replace = Assert.Single(set.Changes);
        Assert.Equal(ChangeOp.Replace, replace.Op);
        Assert.Equal("create-replacement,replace,delete-replaced", replace.EngineOp);
        Assert.Equal(ReplaceOrder.CreateBeforeDelete, replace.ReplaceOrder);
        Assert.Equal("aws:ec2/instance:Instance", replace.Type);
        Assert.Equal("web-server-www", replace.Name);
        Assert.Equal("aws", replace.Provider);
        Assert.Equal(["userData"], replace.ReplaceReasons);
        var userData = Assert.Single(replace.Properties);
        Assert.Equal(("userData", PropertyChangeKind.Update, true), (userData.Path, userData.Kind, userData.ForcesReplace));
        Assert.NotNull(userData.Before);
        Assert.NotNull(userData.After);
        Assert.NotEqual(userData.Before!.ToJsonString(), userData.After!.ToJsonString());
        Assert.False(replace.Before!.ContainsKey("__defaults"));
        Assert.Equal(("dev", "aws-ts-webserver"), (set.Stack, set.Project));
        Assert.Equal(2, set.Counts[ChangeOp.Same]);
        Assert.True(set.Complete);
        Assert.Null(set.IncompleteReason);
    }

    [Fact]
    public void Read_RetainOnDelete_IsForget()
    {
        var forget = Assert.Single(ReadLog(EventLog("lifecycle-TestRetainOnDelete-2.eventstream.json")).Changes);

        Assert.Equal((ChangeOp.Forget, "delete", true), (forget.Op, forget.EngineOp, forget.RetainOnDelete));
        Assert.NotNull(forget.Before);
        Assert.Null(forget.After);
    }

    [Fact]
    public void Read_MultipleProtectedDeletes_FailedProtectedDeletesAndIncomplete()
    {
        var set = ReadLog(EventLog("lifecycle-TestMultipleProtectedDeletes-1.eventstream.json"));

        Assert.Equal(["resA", "resB"], set.Changes.Select(c => c.Name));
        Assert.All(set.Changes, c => Assert.Equal((ChangeOp.Delete, true, true), (c.Op, c.Failed, c.Protected)));
        Assert.False(set.Complete);
        Assert.StartsWith("the engine reported the run as failed: Preview failed: resource", set.IncompleteReason, StringComparison.Ordinal);
        Assert.Equal(3, set.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Equal("urn:pulumi:test::test::pkgA:m:typA::resA", set.Diagnostics[0].Address);
        Assert.DoesNotContain(set.Diagnostics, d => d.Message.Contains("<{%", StringComparison.Ordinal));
        Assert.Equal("preview failed", set.Diagnostics[2].Message);
    }

    [Fact]
    public void Read_ProtectedReplace_FailedProtectedReplace()
    {
        var set = ReadLog(EventLog("lifecycle-TestProtect-1.eventstream.json"));

        var replace = Assert.Single(set.Changes);
        Assert.Equal((ChangeOp.Replace, true, true), (replace.Op, replace.Failed, replace.Protected));
        Assert.Equal(["foo"], replace.ReplaceReasons);
        Assert.True(Assert.Single(replace.Properties).ForcesReplace);
        Assert.False(set.Complete);
    }

    [Fact]
    public void Read_RefreshBasics_RefreshResolvedByOutputsOp()
    {
        var set = ReadLog(EventLog("lifecycle-TestRefreshBasics-0-0-0.eventstream.json"));

        var update = Assert.Single(set.Changes);
        Assert.Equal((ChangeOp.Update, "refresh,update"), (update.Op, update.EngineOp));
        var oof = Assert.Single(update.Properties);
        Assert.Equal(("oof", PropertyChangeKind.Add), (oof.Path, oof.Kind));
        Assert.Null(oof.Before);
        Assert.Equal("zab", (string?)oof.After);
        Assert.Equal(2, set.Counts[ChangeOp.Same]);
        Assert.Equal(0, set.Counts[ChangeOp.Refresh]);
    }

    [Fact]
    public void Read_MultipleViolations_EnforcementLevelsAndSeverities()
    {
        var set = ReadLog(EventLog("lifecycle-TestSimpleAnalyzeResourceMultipleViolations.eventstream.json"));

        Assert.Equal(10, set.Violations.Count);
        Assert.Equal(5, set.Violations.Count(v => v.EnforcementLevel == "advisory"));
        Assert.Equal(5, set.Violations.Count(v => v.EnforcementLevel == "mandatory"));
        string?[] severities = [null, "low", "medium", "high", "critical"];
        Assert.Equal([.. severities, .. severities], set.Violations.Select(v => v.Severity));
        var first = set.Violations[0];
        Assert.Equal(("analyzerA", "always-fails-advisory-unspecified", "a policy failed", "urn:pulumi:test::test::pkgA:m:typA::resA"),
            (first.PolicyPack, first.Policy, first.Message, first.Address));
        Assert.Empty(set.Changes);
        Assert.False(set.Complete);
        Assert.Equal("the engine reported the run as failed", set.IncompleteReason);
    }

    [Fact]
    public void Read_Up4_DetailedDiffPathsWithValues()
    {
        var update = Assert.Single(ReadLog(EventLog("up-4.json")).Changes);

        Assert.Equal((ChangeOp.Update, "eks-sg"), (update.Op, update.Name));
        Assert.Equal(
            ["ingress[1].cidrBlocks[0]", "ingress[1].fromPort", "ingress[1].protocol", "ingress[1].self", "ingress[1].toPort"],
            update.Properties.Select(p => p.Path));
        Assert.All(update.Properties, p => Assert.Equal(PropertyChangeKind.Add, p.Kind));
        Assert.All(update.Properties, p => Assert.False(p.ForcesReplace));
        var fromPort = update.Properties[1];
        Assert.Null(fromPort.Before);
        Assert.Equal(JsonValueKind.Number, fromPort.After!.GetValueKind());
    }

    [Fact]
    public void Read_Up4WithoutDetailedDiff_DuplicateDiffsDeduplicated()
    {
        // up-4.json's `diffs` is ["ingress" x5]. Without a detailedDiff, properties come from `diffs`: one, not five.
        var lines = File.ReadAllLines(EventLog("up-4.json")).Select(line =>
        {
            var node = JsonNode.Parse(line)!;
            foreach (var key in new[] { "resourcePreEvent", "resOutputsEvent" })
            {
                node[key]?["metadata"]?.AsObject().Remove("detailedDiff");
            }

            return node.ToJsonString();
        });

        var update = Assert.Single(ReadLogText(string.Join('\n', lines)).Changes);

        var ingress = Assert.Single(update.Properties);
        Assert.Equal(("ingress", PropertyChangeKind.Update), (ingress.Path, ingress.Kind));
        Assert.Single(ingress.Before!.AsArray());
        Assert.Equal(2, ingress.After!.AsArray().Count);
    }

    [Fact]
    public void Read_TemplateBody_RepeatedUpdateOfOneUrnCountedOnce()
    {
        var set = ReadLog(EventLog("template-body.json"));

        var update = Assert.Single(set.Changes);
        Assert.Equal(("cluster-nodes", "aws:cloudformation/stack:Stack", "update"), (update.Name, update.Type, update.EngineOp));
        Assert.Equal("templateBody", Assert.Single(update.Properties).Path);
        Assert.Equal(57, set.Counts[ChangeOp.Same]);
    }

    [Fact]
    public void Read_DetailedDiffReplaceWithoutKeys_ReasonsFromReplaceKinds()
    {
        var replace = Assert.Single(ReadLog(EventLog("lifecycle-TestDetailedDiffReplace-1.eventstream.json")).Changes);

        Assert.Equal((ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete), (replace.Op, replace.ReplaceOrder));
        Assert.Equal(["prop"], replace.ReplaceReasons);
        var prop = Assert.Single(replace.Properties);
        Assert.Equal((PropertyChangeKind.Add, true), (prop.Kind, prop.ForcesReplace));
    }

    [Fact]
    public void Read_ImportReplacement_OneReplace()
    {
        var replace = Assert.Single(ReadLog(EventLog("lifecycle-TestImportOption-10.eventstream.json")).Changes);

        Assert.Equal("import-replacement,replace,discard-replaced", replace.EngineOp);
        Assert.Equal((ChangeOp.Replace, ReplaceOrder.CreateBeforeDelete), (replace.Op, replace.ReplaceOrder));
    }

    [Fact]
    public void Read_FailedUpdate_FailedAndIncomplete()
    {
        var set = ReadLog(EventLog("failed-stacks-dont-rewrite-operations.json"));

        var update = Single(set, "test-x");
        Assert.Equal((ChangeOp.Update, true), (update.Op, update.Failed));
        var leftover = Single(set, "test-r");
        Assert.Equal((ChangeOp.Replace, "delete-replaced", ReplaceOrder.DeleteBeforeCreate), (leftover.Op, leftover.EngineOp, leftover.ReplaceOrder));
        Assert.False(set.Complete);
        Assert.Equal("the engine reported maybeCorrupt: an operation failed part-way", set.IncompleteReason);
        Assert.DoesNotContain("ciphertext", Canonical(set), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Destroy_DeletesWithBeforeOnly()
    {
        var set = ReadLog(EventLog("destroy-with-custom-resource-parent.json"));

        Assert.Equal(["myobject", "mybucket"], set.Changes.Select(c => c.Name));
        Assert.All(set.Changes, c => Assert.Equal((ChangeOp.Delete, true, true), (c.Op, c.Before is not null, c.After is null)));
        Assert.True(set.Complete);
    }

    [Fact]
    public void Read_UpInterrupted_UnfinishedStepsMakeItIncomplete()
    {
        var set = ReadLog(EventLog("up-interrupted.json"));

        Assert.Equal(["completed-bucket", "interrupted-component", "interrupted-instance", "interrupted-db"], set.Changes.Select(c => c.Name));
        Assert.False(set.Complete);
        Assert.Equal("3 step(s) started but never finished", set.IncompleteReason);
    }

    [Fact]
    public void Read_PrettyPrintedFixture_StackOutputUpdate()
    {
        var set = ReadLog(EventLog("json-yaml-json.json"));

        var update = Assert.Single(set.Changes);
        Assert.Equal((ChangeOp.Update, "pulumi:pulumi:Stack", "pulumi"), (update.Op, update.Type, update.Provider));
        Assert.Contains(update.Properties, p => p.Path == "vehicles");
        // The recording was trimmed to its pre-event (sequence 3, then 21): a preview always sends the step's
        // outputs event, so a missing one means the log is not the whole run. Fail closed.
        Assert.False(set.Complete);
        Assert.Equal("1 step(s) started but never finished", set.IncompleteReason);
    }
}
