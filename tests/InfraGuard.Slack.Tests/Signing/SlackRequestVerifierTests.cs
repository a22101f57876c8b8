using System.Text;
using System.Text.Json;
using InfraGuard.Slack.Signing;
using InfraGuard.Testing;
using Microsoft.Extensions.Time.Testing;

namespace InfraGuard.Slack.Tests.Signing;

public sealed class SlackRequestVerifierTests
{
    private static readonly JsonElement Vector = JsonDocument.Parse(File.ReadAllText(Repo.Fixture("slack", "signing", "slack-docs-signing-vector.json"))).RootElement;
    private static readonly string Secret = Vector.GetProperty("signing_secret").GetString()!;
    private static readonly string Timestamp = Vector.GetProperty("x_slack_request_timestamp").GetString()!;
    private static readonly string Body = Vector.GetProperty("raw_body").GetString()!;
    private static readonly string Signature = Vector.GetProperty("expected_x_slack_signature").GetString()!;

    private static FakeTimeProvider ClockAt(long unixSeconds) => new(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));

    private static long VectorTime => long.Parse(Timestamp, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Verify_SlackPublishedVector_IsValid()
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime));

        var result = verifier.Verify(Timestamp, Signature, Encoding.UTF8.GetBytes(Body));

        Assert.True(result.IsValid, result.Message);
        Assert.Equal(SlackVerificationFailure.None, result.Failure);
    }

    [Fact]
    public void Sign_SlackPublishedVector_ProducesExpectedSignature()
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime));

        Assert.Equal(Signature, Encoding.ASCII.GetString(verifier.Sign(Timestamp, Encoding.UTF8.GetBytes(Body))));
    }

    [Theory]
    [InlineData(-299)]
    [InlineData(299)]
    public void Verify_WithinFiveMinutes_IsValid(int skewSeconds)
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime + skewSeconds));

        Assert.True(verifier.Verify(Timestamp, Signature, Body).IsValid);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(3600)]
    public void Verify_OlderThanFiveMinutes_IsStale(int ageSeconds)
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime + ageSeconds));

        var result = verifier.Verify(Timestamp, Signature, Body);

        Assert.Equal(SlackVerificationFailure.Stale, result.Failure);
        Assert.DoesNotContain(Secret, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FutureDatedBeyondWindow_IsStale()
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime - 301));

        Assert.Equal(SlackVerificationFailure.Stale, verifier.Verify(Timestamp, Signature, Body).Failure);
    }

    [Fact]
    public void Verify_TamperedBody_IsBadSignature()
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime));

        var result = verifier.Verify(Timestamp, Signature, Body.Replace("user_id=U2CERLKJA", "user_id=U0ATTACKER", StringComparison.Ordinal));

        Assert.Equal(SlackVerificationFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void Verify_WrongSecret_IsBadSignature()
    {
        var verifier = new SlackRequestVerifier("not-the-signing-secret", ClockAt(VectorTime));

        Assert.Equal(SlackVerificationFailure.BadSignature, verifier.Verify(Timestamp, Signature, Body).Failure);
    }

    [Fact]
    public void Verify_ForgedTimestampWithOldSignature_IsBadSignature()
    {
        // An attacker re-dates a captured request to pass the window; the signature covers the timestamp.
        var fresh = (VectorTime + 10_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime + 10_000));

        Assert.Equal(SlackVerificationFailure.BadSignature, verifier.Verify(fresh, Signature, Body).Failure);
    }

    [Theory]
    [InlineData(null, "v0=abc")]
    [InlineData("1531420618", null)]
    [InlineData("", "")]
    public void Verify_MissingHeader_IsRefused(string? timestamp, string? signature)
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime));

        Assert.Equal(SlackVerificationFailure.MissingHeader, verifier.Verify(timestamp, signature, Body).Failure);
    }

    [Theory]
    [InlineData("1531420618.5")]
    [InlineData("-1531420618")]
    [InlineData("yesterday")]
    public void Verify_MalformedTimestamp_IsRefused(string timestamp)
    {
        var verifier = new SlackRequestVerifier(Secret, ClockAt(VectorTime));

        Assert.Equal(SlackVerificationFailure.MalformedTimestamp, verifier.Verify(timestamp, Signature, Body).Failure);
    }

    [Fact]
    public void Verify_SameRequestTwiceWithReplayGuard_SecondIsReplayed()
    {
        var clock = ClockAt(VectorTime);
        var verifier = new SlackRequestVerifier(Secret, clock, new SlackReplayGuard(clock));

        var first = verifier.Verify(Timestamp, Signature, Body);
        clock.Advance(TimeSpan.FromSeconds(30));
        var second = verifier.Verify(Timestamp, Signature, Body);

        Assert.True(first.IsValid);
        Assert.Equal(SlackVerificationFailure.Replayed, second.Failure);
    }

    [Fact]
    public void Verify_ReplayAfterWindow_IsStaleAndGuardForgetsIt()
    {
        var clock = ClockAt(VectorTime);
        var guard = new SlackReplayGuard(clock);
        var verifier = new SlackRequestVerifier(Secret, clock, guard);
        Assert.True(verifier.Verify(Timestamp, Signature, Body).IsValid);

        clock.Advance(TimeSpan.FromMinutes(6));
        var late = verifier.Verify(Timestamp, Signature, Body);
        guard.TryRemember("v0=other", clock.GetUtcNow().ToUnixTimeSeconds());

        Assert.Equal(SlackVerificationFailure.Stale, late.Failure);
        Assert.Equal(1, guard.Count);
    }

    [Fact]
    public void TryRemember_KeysOutOfTimestampOrder_ForgottenByTheirOwnTimestamp()
    {
        var clock = ClockAt(VectorTime);
        var guard = new SlackReplayGuard(clock, TimeSpan.FromMinutes(5));
        var now = clock.GetUtcNow().ToUnixTimeSeconds();

        Assert.True(guard.TryRemember("late-stamped", now));
        Assert.True(guard.TryRemember("early-stamped", now - 240)); // arrived second, stamped four minutes earlier
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.True(guard.TryRemember("third", clock.GetUtcNow().ToUnixTimeSeconds()));

        Assert.Equal(2, guard.Count); // early-stamped is now six minutes old
        Assert.False(guard.TryRemember("late-stamped", now));
        Assert.True(guard.TryRemember("early-stamped", now - 240)); // forgotten, so new again (the verifier calls it stale first)
    }

    [Fact]
    public void Verify_BadSignature_IsNotRemembered()
    {
        var clock = ClockAt(VectorTime);
        var guard = new SlackReplayGuard(clock);
        var verifier = new SlackRequestVerifier(Secret, clock, guard);

        verifier.Verify(Timestamp, "v0=" + new string('0', 64), Body);

        Assert.Equal(0, guard.Count);
        Assert.True(verifier.Verify(Timestamp, Signature, Body).IsValid);
    }
}
