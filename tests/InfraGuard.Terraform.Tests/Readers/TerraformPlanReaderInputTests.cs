using System.Text;
using InfraGuard.Core.Readers;
using InfraGuard.Terraform.Readers;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>Encodings, streaming across buffer refills, and every kind of bad input.</summary>
public class TerraformPlanReaderInputTests
{
    private const string Sample = "infracost-rds-ec2-26res-tf014.plan.json"; // 416 KB: spans several buffer refills

    [Theory]
    [InlineData("utf-16le")]
    [InlineData("utf-16be")]
    [InlineData("utf-8-bom")]
    [InlineData("utf-32le")]
    public void Read_FixtureInOtherEncodingWithBom_SameModelAsUtf8(string encodingName)
    {
        var text = File.ReadAllText(TfPlans.FixturePath(Sample), Encoding.UTF8);
        Encoding encoding = encodingName switch
        {
            "utf-16le" => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
            "utf-16be" => new UnicodeEncoding(bigEndian: true, byteOrderMark: true),
            "utf-32le" => new UTF32Encoding(bigEndian: false, byteOrderMark: true),
            _ => new UTF8Encoding(encoderShouldEmitUTF8Identifier: true),
        };
        byte[] bytes = [.. encoding.GetPreamble(), .. encoding.GetBytes(text)];

        var transcoded = TfPlans.Bytes(bytes, Sample);

        Assert.Equal(TfPlans.Serialise(TfPlans.Fixture(Sample)), TfPlans.Serialise(transcoded));
        Assert.Equal(13, transcoded.Changes.Count);
    }

    [Fact]
    public void Read_Utf16WithoutBom_RecognisedByZeroBytes()
    {
        var bytes = Encoding.Unicode.GetBytes(File.ReadAllText(TfPlans.FixturePath("tofu-drift.plan.json")));

        Assert.Single(TfPlans.Bytes(bytes).Drift);
    }

    [Fact]
    public void Read_StreamThatReturnsOneByteAtATime_SameModel()
    {
        var bytes = File.ReadAllBytes(TfPlans.FixturePath("tfplancomment-replace-paths.plan.json"));
        using var trickle = new TrickleStream(bytes);

        var set = TerraformPlanReader.Read(trickle, "trickle");

        Assert.Equal(TfPlans.Serialise(TfPlans.Fixture("tfplancomment-replace-paths.plan.json")), TfPlans.Serialise(set));
    }

    [Fact]
    public void Read_ElementLargerThanTheBuffer_BufferGrows()
    {
        var big = new string('x', 300_000);
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_s3_object.big", """["update"]""", $$""" "before":{"content":"a"},"after":{"content":"{{big}}"} """)));

        Assert.Equal(big, (string?)Assert.Single(set.Changes).Property("content").After);
    }

    [Fact]
    public void Read_EmptyInput_SaysEmpty()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes([], "empty.json"));

        Assert.Equal("the input is empty (0 bytes)", e.Problem);
        Assert.Equal("empty.json", e.Source);
        Assert.Contains("terraform show -json", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_WhitespaceOnly_SaysWhitespace()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(" \n\t\n"));

        Assert.Equal("the input holds only whitespace", e.Problem);
    }

    [Fact]
    public void Read_TruncatedBigFixture_UnexpectedEndWithLine()
    {
        var bytes = File.ReadAllBytes(TfPlans.FixturePath(Sample))[..300_000];
        var lastLine = bytes.Count(b => b == (byte)'\n') + 1;

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes(bytes, "cut.json"));

        Assert.StartsWith("unexpected end of data", e.Problem, StringComparison.Ordinal);
        Assert.Equal(lastLine, e.Line);
        Assert.Contains("truncated", e.Expected, StringComparison.Ordinal);
        Assert.StartsWith($"cut.json:{lastLine}:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"format_version":"1.2","resource_changes":[""")]
    [InlineData("""{"format_version":"1.2",""")]
    [InlineData("""{"format_version":"1.2","errored":tr""")]
    [InlineData("""{"format_version":"1.""")]
    public void Read_CutOffJson_UnexpectedEnd(string json)
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(json));

        Assert.StartsWith("unexpected end of data", e.Problem, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_MalformedDeepInBigFile_MalformedWithExactLine()
    {
        var bytes = File.ReadAllBytes(TfPlans.FixturePath(Sample));
        var offset = Array.IndexOf(bytes, (byte)':', 350_000);
        bytes[offset] = (byte)';';
        var line = bytes.AsSpan(0, offset).Count((byte)'\n') + 1;

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes(bytes, "bad.json"));

        Assert.StartsWith("malformed JSON: ';' is invalid", e.Problem, StringComparison.Ordinal);
        Assert.Equal(line, e.Line);
    }

    [Fact]
    public void Read_NonObjectElementAfterManyLines_ShapeErrorWithLine()
    {
        var padding = string.Concat(Enumerable.Repeat("1,\n", 40_000));
        var json = "{\"format_version\":\"1.2\",\n\"planned_values\":[" + padding + "1],\n\"resource_changes\":[\n  5]}";

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(json));

        Assert.Equal("resource_changes[0] is number, not an object", e.Problem);
        Assert.Equal(40_004, e.Line); // 1 header + 40,000 padding lines + "1]," + "\"resource_changes\":[" before it
        Assert.Equal(2, e.BytePosition);
    }

    [Theory]
    [InlineData("2.0", "unsupported plan format_version \"2.0\" (major version 2)")]
    [InlineData("10.1", "unsupported plan format_version \"10.1\" (major version 10)")]
    [InlineData("v1", "format_version \"v1\" is not a version number")]
    public void Read_UnsupportedFormatVersion_Refused(string version, string problem)
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_vpc.a", """["create"]""")).Replace("1.2", version, StringComparison.Ordinal)));

        Assert.Equal(problem, e.Problem);
        Assert.Contains("0.1 to 1.x", e.Expected, StringComparison.Ordinal);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_FormatVersionNotAString_Refused()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("""{"format_version":1.2}"""));

        Assert.Equal("format_version is a number, not a string", e.Problem);
    }

    [Fact]
    public void Read_BinaryGarbage_NotJsonText()
    {
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00];

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes(png, "image.png"));

        Assert.Equal("not JSON text: the input starts with byte 0x89", e.Problem);
    }

    [Fact]
    public void Read_BinaryPlanFile_SaysConvertWithShowJson()
    {
        byte[] zip = [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0];

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes(zip, "tfplan"));

        Assert.Equal("this is a binary plan file (a zip archive), not plan JSON", e.Problem);
        Assert.Contains("terraform show -json PLANFILE", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MalformedJson_MalformedWithPosition()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("{\"format_version\": \"1.2\",\n \"resource_changes\": [ {\"address\": 1,, } ]}"));

        Assert.StartsWith("malformed JSON: ',' is an invalid start of a property name", e.Problem, StringComparison.Ordinal);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_PulumiEventLog_NotAPlanWithHint()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Fixture("../pulumi/event-logs/json-yaml-json.json"));

        Assert.Equal("not a Terraform plan: the JSON object has no \"format_version\"", e.Problem);
        Assert.Contains("Pulumi engine event log", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_PulumiPreviewJson_NotAPlanWithHint()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("""{"config":{},"steps":[{"op":"create"}],"changeSummary":{"create":1}}"""));

        Assert.Contains("pulumi preview --json", e.Expected, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_JsonArrayRoot_NotAPlan()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("[1,2]"));

        Assert.Equal("not a Terraform plan: the JSON document is an array, not an object", e.Problem);
    }

    [Fact]
    public void Read_TwoTopLevelObjects_DataAfterThePlan()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("{\"format_version\":\"1.2\"}\n{}"));

        Assert.Equal("unexpected data after the end of the plan object", e.Problem);
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Read_ResourceChangesNotArray_ShapeError()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("""{"format_version":"1.2","resource_changes":{}}"""));

        Assert.Equal("\"resource_changes\" is an object, not an array", e.Problem);
    }

    [Fact]
    public void Read_ResourceChangeWithoutType_ShapeError()
    {
        var e = Assert.Throws<PlanReadException>(() => TfPlans.Text("""{"format_version":"1.2","resource_changes":[{"address":"a.b","change":{"actions":["create"]}}]}"""));

        Assert.Equal("resource_changes[0] has no \"type\"", e.Problem);
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public void Read_InvalidUtf8InAString_PlanReadException()
    {
        var json = Encoding.UTF8.GetBytes(TfPlans.Plan(TfPlans.Resource("aws_vpc.a", """["create"]""", """ "before":null,"after":{"name":"AB"} """)));
        var at = Array.IndexOf(json, (byte)'A');
        json[at] = 0xC3;
        json[at + 1] = 0x28; // invalid 2-byte sequence

        var e = Assert.Throws<PlanReadException>(() => TfPlans.Bytes(json));

        Assert.Equal("resource_changes[0] holds text that is not valid UTF-8", e.Problem);
    }

    /// <summary>Returns one byte per read, to exercise every refill path.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(1, buffer.Length)]);

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(1, count));
    }
}
