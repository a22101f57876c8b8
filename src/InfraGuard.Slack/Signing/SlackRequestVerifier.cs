using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InfraGuard.Slack.Signing;

/// <summary>Why a request from Slack was refused.</summary>
public enum SlackVerificationFailure
{
    /// <summary>Verified.</summary>
    None,

    /// <summary><c>X-Slack-Request-Timestamp</c> or <c>X-Slack-Signature</c> is absent or empty.</summary>
    MissingHeader,

    /// <summary>The timestamp is not a Unix time in seconds.</summary>
    MalformedTimestamp,

    /// <summary>The timestamp is more than the tolerance away from now (past or future).</summary>
    Stale,

    /// <summary>The signature does not match the body.</summary>
    BadSignature,

    /// <summary>The same signed request was already accepted within the window.</summary>
    Replayed,
}

/// <summary>The result of verifying one request.</summary>
/// <param name="Failure">Why it failed, or <see cref="SlackVerificationFailure.None"/>.</param>
/// <param name="Message">A sentence for the log (never contains the secret or the body).</param>
public sealed record SlackVerification(SlackVerificationFailure Failure, string Message)
{
    /// <summary>True when the request came from Slack and is fresh.</summary>
    public bool IsValid => Failure == SlackVerificationFailure.None;

    internal static SlackVerification Ok { get; } = new(SlackVerificationFailure.None, "verified");
}

/// <summary>
/// Verifies Slack's <c>v0</c> request signature: HMAC-SHA256 keyed by the signing secret over
/// <c>v0:{timestamp}:{raw body}</c>, hex, compared in constant time; the timestamp must be within
/// <see cref="Tolerance"/> of now. With a <see cref="SlackReplayGuard"/>, a second identical request is refused.
/// </summary>
public sealed class SlackRequestVerifier
{
    /// <summary>Header carrying the Unix timestamp.</summary>
    public const string TimestampHeader = "X-Slack-Request-Timestamp";

    /// <summary>Header carrying <c>v0=</c> + hex signature.</summary>
    public const string SignatureHeader = "X-Slack-Signature";

    /// <summary>Slack's window: five minutes either way.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly SlackReplayGuard? _replayGuard;

    /// <summary>Creates a verifier.</summary>
    /// <param name="signingSecret">The app's signing secret, used as UTF-8 bytes as-is.</param>
    /// <param name="time">Clock for the freshness window.</param>
    /// <param name="replayGuard">Remembers accepted signatures; null to skip replay detection.</param>
    public SlackRequestVerifier(string signingSecret, TimeProvider time, SlackReplayGuard? replayGuard = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(signingSecret);
        ArgumentNullException.ThrowIfNull(time);
        _key = Encoding.UTF8.GetBytes(signingSecret);
        _time = time;
        _replayGuard = replayGuard;
    }

    /// <summary>Verifies the two headers against the raw, undecoded request body.</summary>
    public SlackVerification Verify(string? timestamp, string? signature, ReadOnlySpan<byte> rawBody)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return new(SlackVerificationFailure.MissingHeader, $"Missing {(string.IsNullOrEmpty(timestamp) ? TimestampHeader : SignatureHeader)} header.");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return new(SlackVerificationFailure.MalformedTimestamp, $"{TimestampHeader} is not a Unix time in seconds.");
        }

        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)Tolerance.TotalSeconds)
        {
            return new(SlackVerificationFailure.Stale, $"{TimestampHeader} is {now - seconds} s from now; more than {Tolerance.TotalSeconds} s is refused (replay or clock skew).");
        }

        var expected = Sign(timestamp, rawBody);
        var given = Encoding.ASCII.GetBytes(signature);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return new(SlackVerificationFailure.BadSignature, $"{SignatureHeader} does not match the body; check the signing secret.");
        }

        if (_replayGuard is not null && !_replayGuard.TryRemember(signature, seconds))
        {
            return new(SlackVerificationFailure.Replayed, "This signed request was already accepted; a replay is refused.");
        }

        return SlackVerification.Ok;
    }

    /// <summary>Verifies a body given as text (UTF-8).</summary>
    public SlackVerification Verify(string? timestamp, string? signature, string rawBody)
    {
        ArgumentNullException.ThrowIfNull(rawBody);
        return Verify(timestamp, signature, Encoding.UTF8.GetBytes(rawBody));
    }

    /// <summary>Computes <c>v0=</c> + lower-case hex HMAC for a timestamp and body (ASCII bytes).</summary>
    internal byte[] Sign(string timestamp, ReadOnlySpan<byte> rawBody)
    {
        var prefix = Encoding.ASCII.GetBytes($"v0:{timestamp}:");
        var message = new byte[prefix.Length + rawBody.Length];
        prefix.CopyTo(message, 0);
        rawBody.CopyTo(message.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(_key, message);
        return Encoding.ASCII.GetBytes("v0=" + Convert.ToHexStringLower(mac));
    }
}
