using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;

namespace InfraGuard.Core.Tests.Audit;

public class CanonicalJsonTests
{
    private static string Canon(string json) => Encoding.UTF8.GetString(CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Canonicalize_Rfc8785SortingSample_SortsByUtf16CodeUnits()
    {
        // RFC 8785 §3.2.3 sample keys; expected order from the RFC: \r, 1, \u0080, ö, €, 😀, דּ (U+FB33).
        var json = """{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}""";

        var result = Canon(json);

        Assert.Equal(
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}",
            result);
    }

    [Theory]
    [InlineData("\"\\u00e9\"", "\"é\"")]
    [InlineData("\"<>&'+\"", "\"<>&'+\"")]
    [InlineData("\"\\u0022\"", "\"\\\"\"")]
    [InlineData("\"\\u001F\"", "\"\\u001f\"")]
    [InlineData("\"\\u2028\"", "\"\u2028\"")]
    [InlineData("\"\\uD83D\\uDE00\"", "\"😀\"")]
    [InlineData("\"\\/\"", "\"/\"")]
    [InlineData("\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\"")]
    [InlineData("[ 1 , -2 , 0 , 9007199254740991 ]", "[1,-2,0,9007199254740991]")]
    [InlineData("{ \"b\" : [true,false,null], \"a\" : {} }", "{\"a\":{},\"b\":[true,false,null]}")]
    public void Canonicalize_Rfc8785Escapes_ProduceTheRfcForm(string input, string expected) =>
        Assert.Equal(expected, Canon(input));

    [Theory]
    [InlineData("1.5", "not an integer literal")]
    [InlineData("1e21", "not an integer literal")]
    [InlineData("1.0", "not an integer literal")]
    [InlineData("-0", "-0")]
    [InlineData("9007199254740992", "outside")]
    [InlineData("{\"a\":1,\"a\":2}", "Not valid JSON")]
    [InlineData("\"\\ud800\"", "surrogate")]
    [InlineData("{\"a\":1,}", "Not valid JSON")]
    public void Canonicalize_OutsideTheDomain_IsRejectedWithReason(string input, string reasonPart)
    {
        var ex = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes(input)));
        Assert.Contains(reasonPart, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Canonicalize_InvalidUtf8_IsRejected() =>
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Canonicalize([(byte)'"', 0xC3, 0x28, (byte)'"']));

    [Fact]
    public void Canonicalize_TwiceOverItsOwnOutput_IsIdempotent()
    {
        var once = CanonicalJson.Canonicalize(Encoding.UTF8.GetBytes("""{"z":[{"y":"\u00e9\u001f"}],"a":-5,"m":"line\nbreak"}"""));
        var twice = CanonicalJson.Canonicalize(once);

        Assert.Equal(once, twice);
        Assert.True(CanonicalJson.IsCanonical(once));
        Assert.False(CanonicalJson.IsCanonical([.. " "u8, .. once]));
    }

    [Fact]
    public void Serialize_JsonNodeWithDouble_IsRejected() =>
        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(new JsonObject { ["score"] = 0.5 }));

    [Theory]
    [InlineData("value")]
    [InlineData("key")]
    [InlineData("nested")]
    public void Serialize_JsonNodeWithLoneSurrogate_IsRejectedNotReplaced(string where)
    {
        var node = where switch
        {
            "value" => new JsonObject { ["stack"] = "prod\ud800" },
            "key" => new JsonObject { ["st\udc00ack"] = "prod" },
            _ => new JsonObject { ["list"] = new JsonArray(new JsonObject { ["x"] = "a\udfff" }) },
        };

        Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Serialize(node));
    }

    [Fact]
    public void FormatTimestamp_OffsetTime_IsUtcMillisecondsZ() =>
        Assert.Equal("2026-11-25T14:10:00.123Z", CanonicalJson.FormatTimestamp(new DateTimeOffset(2026, 11, 25, 16, 10, 0, 123, TimeSpan.FromHours(2))));
}
