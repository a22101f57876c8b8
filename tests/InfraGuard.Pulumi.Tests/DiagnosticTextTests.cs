using InfraGuard.Engines;

namespace InfraGuard.Pulumi.Tests;

public class DiagnosticTextTests
{
    [Theory]
    [InlineData("db_password=hunter2", "db_password=[secret]")]
    [InlineData("debug: masterUserPassword: 'p w'", "debug: masterUserPassword: [secret]")]
    [InlineData("{\"apiToken\": \"abc def\"}", "{\"apiToken\": [secret]}")]
    [InlineData("AWS_SECRET_ACCESS_KEY=abc/def+ghi, region=eu", "AWS_SECRET_ACCESS_KEY=[secret], region=eu")]
    [InlineData("key AKIAABCDEFGHIJKLMNOP used", "key [secret] used")]
    [InlineData("instanceClass: db.t4g.medium", "instanceClass: db.t4g.medium")]
    public void Redact_SecretLookingText_ValueReplaced(string text, string expected) =>
        Assert.Equal(expected, DiagnosticText.Redact(text, []));

    [Fact]
    public void Redact_KnownSecretAnywhere_Replaced() =>
        Assert.Equal("approved with [secret] by x", DiagnosticText.Redact("approved with tok-42abc by x", ["tok-42abc"]));

    [Fact]
    public void Build_ErrorsAndStderr_IndentedAndDeduplicated()
    {
        var text = DiagnosticText.Build("pulumi up", 1, ["boom\nline two", "boom\nline two"], ["error: update failed"], []);

        Assert.Equal("pulumi up failed (exit code 1)\n  error: boom\n    line two\nstderr (last 1 lines):\n  error: update failed", text);
    }
}
