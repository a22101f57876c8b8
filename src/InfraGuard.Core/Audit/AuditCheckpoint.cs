using System.Globalization;
using System.Text;

namespace InfraGuard.Core.Audit;

/// <summary>
/// A signed checkpoint as stored: the exact body bytes and a detached raw Ed25519 signature over them (base64).
/// Body (LF-terminated lines):
/// <code>
/// infraguard-audit-v1 checkpoint
/// origin acme.example/infraguard/prod
/// size 1234
/// head 5e1f…
/// time 2026-11-25T16:10:00.000Z
/// key ed25519:3f9a1c2e4b5d6f70
/// </code>
/// </summary>
/// <param name="Number">Checkpoint number, 1..m (a heartbeat may repeat a size).</param>
/// <param name="Body">The exact signed body bytes.</param>
/// <param name="KeyId">Id of the signing key.</param>
/// <param name="Signature">Base64 raw Ed25519 signature over <paramref name="Body"/>.</param>
public sealed record AuditCheckpoint(long Number, byte[] Body, string KeyId, string Signature)
{
    /// <summary>Signs a checkpoint of <paramref name="head"/>.</summary>
    public static AuditCheckpoint Create(long number, string origin, AuditHead head, DateTimeOffset at, IAuditSigner signer)
    {
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(signer);
        var body = new CheckpointBody(origin, head.Size, head.Hash, CanonicalJson.FormatTimestamp(at), signer.KeyId).ToBytes();
        return new AuditCheckpoint(number, body, signer.KeyId, Convert.ToBase64String(signer.Sign(body)));
    }
}

/// <summary>The parsed fields of a checkpoint body.</summary>
public sealed record CheckpointBody(string Origin, long Size, string Head, string Time, string KeyId)
{
    /// <summary>First line of every body.</summary>
    public const string Header = AuditChain.Tag + " checkpoint";

    /// <summary>The exact body bytes.</summary>
    public byte[] ToBytes() => Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"{Header}\norigin {Origin}\nsize {Size}\nhead {Head}\ntime {Time}\nkey {KeyId}\n"));

    /// <summary>Parses body bytes; null when malformed (then the checkpoint cannot vouch for anything).</summary>
    public static CheckpointBody? TryParse(ReadOnlySpan<byte> body)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        var lines = text.Split('\n');
        if (lines.Length != 7 || lines[6].Length != 0 || lines[0] != Header)
        {
            return null;
        }

        string? Field(int i, string name) =>
            lines[i].StartsWith(name + " ", StringComparison.Ordinal) ? lines[i][(name.Length + 1)..] : null;

        var origin = Field(1, "origin");
        var size = Field(2, "size");
        var head = Field(3, "head");
        var time = Field(4, "time");
        var key = Field(5, "key");
        if (origin is null || head is null || time is null || key is null
            || !long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        var parsed = new CheckpointBody(origin, n, head, time, key);
        return parsed.ToBytes().AsSpan().SequenceEqual(body) ? parsed : null;
    }
}
