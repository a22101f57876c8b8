using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Testing;
using static InfraGuard.Pulumi.Tests.Readers.PulumiTestFiles;

namespace InfraGuard.Pulumi.Tests.Readers;

public class PulumiEventLogReaderInputTests
{
    private static readonly string[] WebserverLines = File.ReadAllLines(EventLog("webserver-userdata.json"));

    [Fact]
    public void Read_CutInsideAnEvent_TruncatedWithLine()
    {
        // Cut in the middle of line 10 (the replace step's pre-event).
        var text = string.Join('\n', WebserverLines[..9]) + "\n" + WebserverLines[9][..200];

        var error = Assert.Throws<PlanReadException>(() => ReadLogText(text, "cut.json"));

        Assert.Equal("the input ends in the middle of a JSON value: it is truncated", error.Problem);
        Assert.Equal(10, error.Line);
        Assert.StartsWith("cut.json:10:1: the input ends in the middle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoCancelEvent_CutShort()
    {
        var text = string.Join('\n', WebserverLines[..^1]) + "\n";

        var error = Assert.Throws<PlanReadException>(() => ReadLogText(text));

        Assert.Equal("log ends without cancelEvent: the preview was cut short", error.Problem);
        Assert.Equal(WebserverLines.Length - 1, error.Line);
    }

    [Fact]
    public void Read_MalformedLine_MalformedJsonWithLine()
    {
        var lines = WebserverLines.ToArray();
        lines[2] = """{"sequence": 7,, "timestamp": 1}""";

        var error = Assert.Throws<PlanReadException>(() => ReadLogText(string.Join('\n', lines), "bad.json", bufferSize: 64));

        Assert.Equal("malformed JSON", error.Problem);
        Assert.Equal(3, error.Line);
        Assert.Equal(15, error.BytePosition);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\n ")]
    public void Read_Empty_FileIsEmpty(string text)
    {
        var error = Assert.Throws<PlanReadException>(() => ReadLogText(text));

        Assert.Equal(("the file is empty", 1L), (error.Problem, error.Line));
    }

    [Fact]
    public void Read_BinaryGarbage_BinaryData()
    {
        var garbage = new byte[4096];
        new Random(42).NextBytes(garbage);
        garbage[0] = 0x00;
        using var stream = new MemoryStream(garbage);

        var error = Assert.Throws<PlanReadException>(() => PulumiEventLogReader.Read(stream, "garbage.bin"));

        Assert.Equal(("binary data, not JSON text", 1L), (error.Problem, error.Line));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(64)]
    public void Read_InvalidUtf8InATagKey_BadInputNamingLineAndColumn(int? bufferSize)
    {
        // Security review F6: bytes FF FE inside the bucket's tag key were read, and the change allowed.
        var lines = File.ReadAllLines(Repo.File("examples", "dev-tag-change.synthetic.eventlog.jsonl"));
        var text = string.Join('\n', lines);
        var at = Encoding.UTF8.GetByteCount(text[..text.IndexOf("\"cost-centre\"", StringComparison.Ordinal)]) + 1;
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes[at] = 0xFF;
        bytes[at + 1] = 0xFE;
        var line = bytes.AsSpan(0, at).Count((byte)'\n') + 1;
        var column = at - (bytes.AsSpan(0, at).LastIndexOf((byte)'\n') + 1);

        using var stream = new MemoryStream(bytes);
        var error = Assert.Throws<PlanReadException>(() => bufferSize is { } size ? PulumiEventLogReader.Read(stream, "bad.jsonl", size) : PulumiEventLogReader.Read(stream, "bad.jsonl"));

        Assert.Equal(("the input holds text that is not valid UTF-8", (long?)line, (long?)column), (error.Problem, error.Line, error.BytePosition));
        Assert.StartsWith($"bad.jsonl:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // a two-byte sequence without its continuation
    [InlineData(new byte[] { 0xE2, 0x82 })] // a three-byte sequence cut short
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // a UTF-16 surrogate written as UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF })] // an overlong '/'
    public void Read_InvalidSequenceAtAnyBufferCut_IsRefused(byte[] sequence)
    {
        var text = Encoding.UTF8.GetBytes(string.Join('\n', WebserverLines));
        var at = Array.IndexOf(text, (byte)'"', text.Length / 2) + 1;
        for (var bufferSize = 16; bufferSize <= 40; bufferSize++)
        {
            var bytes = text[..at].Concat(sequence).Concat(text[at..]).ToArray();
            using var stream = new MemoryStream(bytes);

            var error = Assert.Throws<PlanReadException>(() => PulumiEventLogReader.Read(stream, "bad.json", bufferSize));

            Assert.Equal("the input holds text that is not valid UTF-8", error.Problem);
        }
    }

    [Fact]
    public void Read_MultiByteCharactersCutByTheBuffer_ReadAsWhole()
    {
        // Two-, three- and four-byte characters in a tag value land on every buffer boundary in turn.
        var text = string.Join('\n', WebserverLines).Replace("\"Name\":\"", "\"Name\":\"é€𝄞é€𝄞-", StringComparison.Ordinal);
        Assert.Contains("𝄞", text, StringComparison.Ordinal);
        var expected = ReadLogText(text);

        for (var bufferSize = 16; bufferSize <= 40; bufferSize++)
        {
            var set = ReadLogText(text, bufferSize: bufferSize);

            Assert.Equal(expected.Changes.Select(c => c.After?.ToJsonString()), set.Changes.Select(c => c.After?.ToJsonString()));
        }
    }

    [Fact]
    public void Read_TopLevelArray_ExpectedObjectPerEvent()
    {
        var text = WebserverLines[0] + "\n[1, 2]\n";

        var error = Assert.Throws<PlanReadException>(() => ReadLogText(text));

        Assert.Equal(("expected a JSON object for each event, found an array", 2L, 0L), (error.Problem, error.Line, error.BytePosition));
    }

    [Fact]
    public void Read_UnknownOp_UnknownChangeNotAnError()
    {
        var text = """
            {"sequence":1,"timestamp":1,"resourcePreEvent":{"metadata":{"op":"teleport","urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b","type":"aws:s3/bucket:Bucket","old":null,"new":{"urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b","inputs":{"acl":"private"}},"futureField":{"x":[1,2]}},"planning":true}}
            {"sequence":2,"timestamp":1,"resOutputsEvent":{"metadata":{"op":"teleport","urn":"urn:pulumi:dev::p::aws:s3/bucket:Bucket::b","type":"aws:s3/bucket:Bucket"},"planning":true}}
            {"sequence":3,"timestamp":1,"brandNewEvent":{"anything":true}}
            {"sequence":4,"timestamp":1,"summaryEvent":{"resourceChanges":{"teleport":1},"result":"succeeded"}}
            {"sequence":5,"timestamp":1,"cancelEvent":{}}
            """;

        var set = ReadLogText(text);

        var change = Assert.Single(set.Changes);
        Assert.Equal((ChangeOp.Unknown, "teleport", "b"), (change.Op, change.EngineOp, change.Name));
        Assert.Equal("private", (string?)change.After!["acl"]);
        Assert.Equal(1, set.Counts[ChangeOp.Unknown]);
        Assert.True(set.Complete);
    }

    [Fact]
    public void Read_OlderLogWithoutResult_ErrorDiagnosticMakesItIncomplete()
    {
        var text = """
            {"sequence":1,"timestamp":1,"diagnosticEvent":{"prefix":"error: ","message":"<{%fg 1%}>boom<{%reset%}>\n","color":"raw","severity":"error"}}
            {"sequence":2,"timestamp":1,"diagnosticEvent":{"message":"chatter","severity":"info"}}
            {"sequence":3,"timestamp":1,"summaryEvent":{"maybeCorrupt":false,"resourceChanges":{},"PolicyPacks":{}}}
            {"sequence":4,"timestamp":1,"cancelEvent":{}}
            """;

        var set = ReadLogText(text);

        Assert.Equal([new EngineDiagnostic(DiagnosticSeverity.Error, "boom")], set.Diagnostics);
        Assert.Equal((false, "the engine reported an error: boom"), (set.Complete, set.IncompleteReason));
    }

    [Fact]
    public void Read_NoSummaryEvent_Incomplete()
    {
        var set = ReadLogText("""{"sequence":1,"timestamp":1,"cancelEvent":{}}""");

        Assert.Equal((false, "the log has no summaryEvent: the engine did not finish"), (set.Complete, set.IncompleteReason));
    }

    [Fact]
    public void Read_SecretInputs_OnlyMarkersLeaveTheReader()
    {
        var set = ReadLog(TestData("synthetic-secret-input.eventlog.json"));

        var text = Canonical(set);
        foreach (var leak in new[] { "S3CR3T", "N3WCIPHER", "pl41n", "n3wpl41n", "hunter2", "ciphertext", "plaintext", "4dabf181", "__defaults", "__meta" })
        {
            Assert.DoesNotContain(leak, text, StringComparison.Ordinal);
        }

        var db = Assert.Single(set.Changes);
        Assert.Equal(["password", "masterPassword", "tags[\"connection.string\"]"], db.SensitivePaths);
        Assert.Equal(Redaction.SecretMarker, (string?)db.After!["password"]);
        Assert.Equal(Redaction.SecretMarker, (string?)db.Before!["masterPassword"]);
        var tag = Assert.Single(db.Properties, p => p.Path == "tags[\"connection.string\"]");
        Assert.Equal(Redaction.SecretMarker, (string?)tag.After);
        var instanceClass = Assert.Single(db.Properties, p => p.Path == "instanceClass");
        Assert.Equal(("db.t3.micro", "db.t3.small"), ((string?)instanceClass.Before, (string?)instanceClass.After));
        Assert.Equal(("prod", "billing", "aws"), (set.Stack, set.Project, db.Provider));
    }

    [Fact]
    public void Read_UnknownValues_UnknownMarker()
    {
        var text = """
            {"sequence":1,"timestamp":1,"resourcePreEvent":{"metadata":{"op":"create","urn":"urn:pulumi:dev::p::aws:s3/bucketObject:BucketObject::o","type":"aws:s3/bucketObject:BucketObject","old":null,"new":{"urn":"urn:pulumi:dev::p::aws:s3/bucketObject:BucketObject::o","inputs":{"bucket":"04da6b54-80e4-46f7-96ec-b56ff0331ba9","key":"index.html"}},"detailedDiff":null},"planning":true}}
            {"sequence":2,"timestamp":1,"resOutputsEvent":{"metadata":{"op":"create","urn":"urn:pulumi:dev::p::aws:s3/bucketObject:BucketObject::o","type":"aws:s3/bucketObject:BucketObject"},"planning":true}}
            {"sequence":3,"timestamp":1,"summaryEvent":{"resourceChanges":{"create":1},"result":"succeeded"}}
            {"sequence":4,"timestamp":1,"cancelEvent":{}}
            """;

        var create = Assert.Single(ReadLogText(text).Changes);

        Assert.Equal(Redaction.UnknownMarker, (string?)create.After!["bucket"]);
        Assert.Equal("index.html", (string?)create.After!["key"]);
        Assert.Null(create.Before);
    }

    [Fact]
    public void Read_ByteOrderMark_Skipped()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(File.ReadAllBytes(EventLog("up.json"))).ToArray();
        using var stream = new MemoryStream(bytes);

        Assert.Equal(Canonical(ReadLog(EventLog("up.json"))), Canonical(PulumiEventLogReader.Read(stream, "up.json")));
    }
}
