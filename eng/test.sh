#!/usr/bin/env bash
# Runs every test suite (the .NET solution and the CrossGuard policy pack) and ends with one line
# `tests: N passed, M failed`. PostgreSQL store tests run when INFRAGUARD_TEST_PG is set (see eng/postgres.sh),
# browser tests when Debian's chromium is installed; otherwise they report themselves skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet test InfraGuard.sln -c Release --nologo 2>&1 | tee "$log"
dotnet_rc=${PIPESTATUS[0]}

passed=0 failed=0 skipped=0
while read -r f p s; do
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done < <(sed -nE 's/.*(Passed|Failed)! +- +Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \3 \4/p' "$log")
# A build error or crashed test host prints no summary line: count it as a failure, never as a pass.
if [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "dotnet-tests: $passed passed, $failed failed, $skipped skipped"

node_rc=0
if [ -x policy-packs/crossguard/run-tests.sh ]; then
  policy-packs/crossguard/run-tests.sh 2>&1 | tee "$log"
  node_rc=${PIPESTATUS[0]}
  read -r np nf < <(sed -nE 's/^node-tests: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$log" | tail -n 1) || true
  passed=$((passed + ${np:-0})); failed=$((failed + ${nf:-0}))
  if [ "$node_rc" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
fi

echo "tests: $passed passed, $failed failed"
[ "$dotnet_rc" -eq 0 ] && [ "$node_rc" -eq 0 ]
