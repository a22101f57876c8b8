#!/usr/bin/env bash
# Installs the pack's locked dependencies and runs its node --test suites.
# Last line: "node-tests: N passed, M failed". Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
  cat "$log" >&2
  echo "node-tests: 0 passed, 1 failed (npm ci failed)"
  exit 1
fi

npm test 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# node --test prints "# pass N" / "# fail M" (TAP) or "ℹ pass N" / "ℹ fail M" (spec reporter).
passed=$(grep -E '^(# |ℹ )pass [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
failed=$(grep -E '^(# |ℹ )fail [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$')
if [[ -z "$passed" || -z "$failed" ]]; then
  echo "node-tests: 0 passed, 1 failed (no test summary; npm test exited $status)"
  exit 1
fi

echo "node-tests: $passed passed, $failed failed"
if [[ "$status" -ne 0 || "$failed" -ne 0 ]]; then
  exit 1
fi
