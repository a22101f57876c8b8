using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;
using static InfraGuard.Pulumi.Tests.Readers.PulumiTestFiles;

namespace InfraGuard.Pulumi.Tests.Readers;

/// <summary>
/// The digests under TestData are synthetic: make-synthetic-digests.py projects fixture event logs onto the
/// PreviewDigest format by the rules of pulumi's ShowPreviewDigest (no real digest exists in the fixtures).
/// </summary>
public class PulumiPreviewJsonReaderTests
{
    [Fact]
    public void Read_WebserverDigest_ReplaceWithUnknownOrder()
    {
        var set = ReadDigest(TestData("webserver-userdata.synthetic-digest.json"));

        var replace = Assert.Single(set.Changes);
        Assert.Equal((ChangeOp.Replace, "replace", "aws", "aws:ec2/instance:Instance"), (replace.Op, replace.EngineOp, replace.Provider, replace.Type));
        Assert.Null(replace.ReplaceOrder); // the default digest hides create-replacement/delete-replaced
        Assert.Equal(["userData"], replace.ReplaceReasons);
        var userData = Assert.Single(replace.Properties);
        Assert.Equal(("userData", PropertyChangeKind.Update, true), (userData.Path, userData.Kind, userData.ForcesReplace));
        Assert.Equal(2, set.Counts[ChangeOp.Same]); // from changeSummary: the digest lists only the root stack
        Assert.Equal(1, set.Counts[ChangeOp.Replace]);
        Assert.Equal(("dev", "aws-ts-webserver"), (set.Stack, set.Project));
        Assert.True(set.Complete);
    }

    [Fact]
    public void Read_DigestWithReplacementSteps_SameAsEventLog()
    {
        var fromDigest = ReadDigest(TestData("webserver-userdata.synthetic-digest-replacement-steps.json"));
        var fromLog = ReadLog(EventLog("webserver-userdata.json"));

        var replace = Assert.Single(fromDigest.Changes);
        Assert.Equal(ReplaceOrder.CreateBeforeDelete, replace.ReplaceOrder);
        Assert.Equal("create-replacement,replace,delete-replaced", replace.EngineOp);
        Assert.Equal(fromLog.Counts.OrderBy(p => p.Key), fromDigest.Counts.OrderBy(p => p.Key));
        Assert.Equal(
            fromLog.Changes[0].Properties.Select(p => (p.Path, p.Kind, p.ForcesReplace, p.Before?.ToJsonString(), p.After?.ToJsonString())),
            replace.Properties.Select(p => (p.Path, p.Kind, p.ForcesReplace, p.Before?.ToJsonString(), p.After?.ToJsonString())));
    }

    [Fact]
    public void Read_Up4Digest_KindFieldAndSameCount()
    {
        var set = ReadDigest(TestData("up-4.synthetic-digest.json"));
        var fromLog = ReadLog(EventLog("up-4.json"));

        var update = Assert.Single(set.Changes);
        Assert.Equal(5, update.Properties.Count);
        Assert.All(update.Properties, p => Assert.Equal(PropertyChangeKind.Add, p.Kind));
        Assert.Equal(fromLog.Counts.OrderBy(p => p.Key), set.Counts.OrderBy(p => p.Key));
    }

    [Fact]
    public void Read_ProtectedDeletesDigest_FailedAndIncomplete()
    {
        var set = ReadDigest(TestData("lifecycle-TestMultipleProtectedDeletes-1.synthetic-digest.json"));

        Assert.All(set.Changes, c => Assert.Equal((ChangeOp.Delete, true, true), (c.Op, c.Failed, c.Protected)));
        Assert.Equal(2, set.Changes.Count);
        Assert.False(set.Complete);
        Assert.StartsWith("the preview reported an error: Preview failed: resource", set.IncompleteReason, StringComparison.Ordinal);
        Assert.Equal(
            ReadLog(EventLog("lifecycle-TestMultipleProtectedDeletes-1.eventstream.json")).Diagnostics,
            set.Diagnostics);
    }

    [Fact]
    public void Read_SecretDigest_OnlyMarkers()
    {
        var set = ReadDigest(TestData("synthetic-secret-input.synthetic-digest.json"));

        var text = Canonical(set);
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("pl41n", text, StringComparison.Ordinal);
        var db = Assert.Single(set.Changes);
        // The digest sorts map keys (Go), so the order differs from the event log's.
        Assert.Equal(["masterPassword", "password", "tags[\"connection.string\"]"], db.SensitivePaths);
        Assert.Equal(Redaction.SecretMarker, (string?)db.After!["password"]);
    }

    [Fact]
    public void Read_TinyBuffer_SameResult()
    {
        var path = TestData("webserver-userdata.synthetic-digest-replacement-steps.json");
        using var stream = File.OpenRead(path);

        Assert.Equal(Canonical(ReadDigest(path)), Canonical(PulumiPreviewJsonReader.Read(stream, "digest.json", bufferSize: 16)));
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("{\"steps\": [", "the input ends in the middle of a JSON value: it is truncated")]
    [InlineData("[]", "expected a JSON object at the top level")]
    [InlineData("{\"steps\": []} {}", "unexpected data after the end of the JSON document")]
    [InlineData("{\"steps\": [}", "malformed JSON")]
    public void Read_BadInput_PlanReadException(string text, string problem)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));

        var error = Assert.Throws<PlanReadException>(() => PulumiPreviewJsonReader.Read(stream, "digest.json"));

        Assert.Equal((problem, 1L), (error.Problem, error.Line));
    }

    [Fact]
    public void Read_NoChangeSummary_Incomplete()
    {
        using var stream = new MemoryStream("""{"steps":[]}"""u8.ToArray());

        var set = PulumiPreviewJsonReader.Read(stream, "digest.json");

        Assert.Equal((false, "the digest has no changeSummary: the preview did not finish"), (set.Complete, set.IncompleteReason));
    }
}
