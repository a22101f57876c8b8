using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InfraGuard.Core.Audit;

/// <summary>One file of an export bundle: a relative path with '/' separators, its bytes, and whether it is executable.</summary>
public sealed record AuditExportFile(string Path, byte[] Content, bool Executable = false);

/// <summary>
/// Builds the auditor bundle as (path, bytes) pairs; the caller writes them. Contents:
/// <c>records.jsonl</c> (canonical payloads, one a line), <c>entries.txt</c> (<c>seq entry_hash key_id signature_b64</c>),
/// <c>checkpoints/cp-NNNNNN.txt</c> + <c>.sig</c> (raw 64-byte signature), <c>keys/ed25519-HEX.pem</c>,
/// <c>verify.sh</c> (bash + coreutils + OpenSSL ≥ 3), <c>VERIFY.md</c> and <c>SHA256SUMS</c>.
/// </summary>
public static class AuditExport
{
    /// <summary>Builds the bundle for a full log (seq 1..n).</summary>
    public static IReadOnlyList<AuditExportFile> Build(
        string origin,
        IEnumerable<AuditEntry> entries,
        IEnumerable<AuditCheckpoint> checkpoints,
        IEnumerable<AuditPublicKey> keys)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(checkpoints);
        ArgumentNullException.ThrowIfNull(keys);
        var records = new MemoryStream();
        var lines = new StringBuilder();
        var count = 0L;
        foreach (var e in entries.OrderBy(e => e.Seq))
        {
            records.Write(e.Payload);
            records.WriteByte((byte)'\n');
            lines.Append(CultureInfo.InvariantCulture, $"{e.Seq} {e.EntryHash} {e.KeyId} {e.Signature}\n");
            count++;
        }

        var files = new List<AuditExportFile>
        {
            new("records.jsonl", records.ToArray()),
            new("entries.txt", Encoding.UTF8.GetBytes(lines.ToString())),
        };
        foreach (var cp in checkpoints.OrderBy(c => c.Number))
        {
            var stem = string.Create(CultureInfo.InvariantCulture, $"checkpoints/cp-{cp.Number:D6}");
            files.Add(new(stem + ".txt", cp.Body));
            files.Add(new(stem + ".sig", Convert.FromBase64String(cp.Signature)));
        }

        foreach (var key in keys.DistinctBy(k => k.KeyId).OrderBy(k => k.KeyId, StringComparer.Ordinal))
        {
            files.Add(new($"keys/{AuditKeys.FileStem(key.KeyId)}.pem", Encoding.ASCII.GetBytes(AuditKeys.PublicKeyPem(key.PublicKey))));
        }

        files.Add(new("verify.sh", Encoding.UTF8.GetBytes(VerifyScript.Text + "\n"), Executable: true));
        files.Add(new("VERIFY.md", Encoding.UTF8.GetBytes(VerifyMarkdown(origin, count))));
        var sums = new StringBuilder();
        foreach (var f in files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            sums.Append(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(SHA256.HashData(f.Content))}  {f.Path}\n");
        }

        files.Add(new("SHA256SUMS", Encoding.UTF8.GetBytes(sums.ToString())));
        return files;
    }

    private static string VerifyMarkdown(string origin, long count) => string.Create(CultureInfo.InvariantCulture, $$"""
        # Verifying this InfraGuard audit export

        Log `{{origin}}`, {{count}} entries, format `{{AuditChain.Tag}}`.

        Run `bash verify.sh` (needs bash, coreutils and OpenSSL 3.0 or later). Exit 0 means valid, 1 means tamper
        evidence (the line before `Result: INVALID` names the first failing seq or checkpoint), 2 means it could not
        verify. The InfraGuard CLI (`infraguard audit verify`) checks the same rules and reports every finding.

        **Get the signing key's fingerprint out of band** (policy document, CI secret listing, pinned Slack message)
        and compare it with the `key ed25519:…` lines verify.sh prints. A key shipped inside the bundle proves
        nothing by itself. Recompute a fingerprint with:
        `openssl pkey -pubin -in keys/FILE.pem -outform DER | tail -c 32 | sha256sum | cut -c1-16`.

        ## The rules, to check by hand

        - `records.jsonl`: line *seq* holds the exact canonical JSON bytes of entry *seq* (RFC 8785 subset: sorted
          keys, no floats, no insignificant whitespace). Python reproduces them with
          `json.dumps(obj, separators=(",",":"), sort_keys=True, ensure_ascii=False)`.
        - `entry_hash(seq) = sha256("{{AuditChain.Tag}}\n" + seq + "\n" + prev_hash + "\n" + record)`, with
          `prev_hash(1)` = 64 zeros and `prev_hash(seq)` = `entry_hash(seq-1)`:
          `{ printf '{{AuditChain.Tag}}\n%d\n%s\n' SEQ PREV; printf '%s' "$RECORD"; } | sha256sum`.
        - `entries.txt`: `seq entry_hash key_id signature_b64`. The signature is raw Ed25519 over
          `"{{AuditChain.Tag}} entry\n" + seq + "\n" + entry_hash + "\n"`:
          `openssl pkeyutl -verify -pubin -inkey keys/KEY.pem -rawin -in stmt -sigfile sig.bin`.
        - `checkpoints/cp-N.txt`: a signed head (`size`, `head` = entry_hash at that size, `time`, `key`), signature
          in `cp-N.sig` over the exact file bytes. Compare checkpoints you saw elsewhere (CI logs, Slack) with these.
        - `SHA256SUMS`: `sha256sum -c SHA256SUMS`.

        ## What this does and does not prove

        The log is tamper-evident, not tamper-proof. Events never written are invisible; timestamps are asserted by
        the service. Someone holding the signing key can rewrite history undetectably unless a checkpoint they cannot
        reach (a witness) disagrees. The log holds ids, hashes, identities and reasons, not secrets.

        """);
}
