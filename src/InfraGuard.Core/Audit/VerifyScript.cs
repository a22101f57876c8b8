namespace InfraGuard.Core.Audit;

/// <summary>The auditor script shipped in every export bundle (bash + coreutils + OpenSSL 3).</summary>
internal static class VerifyScript
{
    /// <summary>The script text, LF line endings.</summary>
    public const string Text = """
        #!/usr/bin/env bash
        # Verifies an InfraGuard audit export (infraguard-audit-v1) using only bash, coreutils and OpenSSL >= 3.0.
        # Exit codes: 0 valid, 1 tamper evidence found, 2 unable to verify (missing tool or file).
        # The keys in keys/ prove nothing by themselves: compare their ids with the fingerprint you got out of band.
        set -uo pipefail
        cd "$(dirname "$0")" || exit 2
        for tool in bash sha256sum base64 cut tail mktemp openssl; do
          command -v "$tool" >/dev/null 2>&1 || { echo "unable to verify: '$tool' not found"; exit 2; }
        done
        for f in records.jsonl entries.txt SHA256SUMS; do
          [ -f "$f" ] || { echo "unable to verify: $f missing"; exit 2; }
        done
        tag=infraguard-audit-v1
        tmp=$(mktemp -d) || exit 2
        trap 'rm -rf "$tmp"' EXIT
        tampered() { echo "$1"; echo "Result: INVALID"; exit 1; }

        # 1. Keys: each file's name must be the id computed from the key it holds.
        for pem in keys/*.pem; do
          [ -f "$pem" ] || { echo "unable to verify: no keys/*.pem"; exit 2; }
          id=$(openssl pkey -pubin -in "$pem" -outform DER 2>/dev/null | tail -c 32 | sha256sum | cut -c1-16)
          [ "keys/ed25519-$id.pem" = "$pem" ] || tampered "key $pem: its computed id is ed25519:$id"
          echo "key ed25519:$id (check this fingerprint out of band)"
        done

        # 2. Hash chain from genesis and every entry signature.
        prev=0000000000000000000000000000000000000000000000000000000000000000
        seq=0
        declare -A heads
        while IFS= read -r rec <&3; do
          seq=$((seq + 1))
          IFS=' ' read -r n stored key sig <&4 || tampered "seq $seq: missing from entries.txt"
          [ "$n" = "$seq" ] || tampered "seq $seq: entries.txt has seq $n here (gap, duplicate or reordering)"
          h=$({ printf '%s\n%d\n%s\n' "$tag" "$seq" "$prev"; printf '%s' "$rec"; } | sha256sum | cut -c1-64)
          [ "$h" = "$stored" ] || tampered "seq $seq: FIRST MISMATCH (computed $h, stored $stored)"
          pem="keys/${key/:/-}.pem"
          [ -f "$pem" ] || tampered "seq $seq: unknown key $key"
          printf '%s entry\n%s\n%s\n' "$tag" "$seq" "$stored" > "$tmp/stmt"
          printf '%s' "$sig" | base64 -d > "$tmp/sig" 2>/dev/null || tampered "seq $seq: signature is not base64"
          openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$tmp/stmt" -sigfile "$tmp/sig" >/dev/null 2>&1 \
            || tampered "seq $seq: BAD SIGNATURE (key $key)"
          heads[$seq]=$h
          prev=$h
        done 3<records.jsonl 4<entries.txt
        if IFS= read -r extra <&4; then tampered "entries.txt has more lines than records.jsonl: $extra"; fi 4< <(tail -n +$((seq + 1)) entries.txt)
        echo "recomputed $seq entries, head $prev"

        # 3. Checkpoints: signature, size within the log, head equal to the recomputed head at that size.
        count=0
        for cp in checkpoints/cp-*.txt; do
          [ -f "$cp" ] || break
          size="" head="" key=""
          while IFS=' ' read -r k v; do
            case "$k" in size) size=$v ;; head) head=$v ;; key) key=$v ;; esac
          done < "$cp"
          pem="keys/${key/:/-}.pem"
          [ -f "$pem" ] || tampered "$cp: unknown key '$key'"
          openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$cp" -sigfile "${cp%.txt}.sig" >/dev/null 2>&1 \
            || tampered "$cp: CHECKPOINT SIGNATURE INVALID"
          [ "$size" -le "$seq" ] 2>/dev/null || tampered "$cp: TRUNCATED (checkpoint vouches for $size entries, bundle has $seq)"
          if [ "$size" -gt 0 ]; then
            [ "${heads[$size]}" = "$head" ] || tampered "$cp: CHECKPOINT HEAD MISMATCH at size $size (tampering at or before seq $size)"
          fi
          count=$((count + 1))
        done
        echo "verified $count checkpoints"

        # 4. Transport integrity of the bundle files.
        sha256sum -c --quiet SHA256SUMS || tampered "SHA256SUMS: files changed after export"
        echo "Result: VALID"
        """;
}
