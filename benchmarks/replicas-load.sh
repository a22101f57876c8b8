#!/usr/bin/env bash
# Issue 18's benchmarks: three real `infraguard serve` replicas on one PostgreSQL (a fresh schema in $INFRAGUARD_TEST_PG).
#   - cross-replica wake-up: a runner long-polls replica B while an approver decides on replica A; the time from the
#     decision being recorded to B answering the runner, against the same wake-up on one replica (the floor, same run);
#   - RUNNERS runners long-polling their own pending requests, spread over the three replicas, with each replica's RSS
#     sampled every 100 ms.
# Usage: INFRAGUARD_TEST_PG=postgres://… bash benchmarks/replicas-load.sh [WAKEUPS=200] [RUNNERS=3000]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${INFRAGUARD_TEST_PG:-}" ] || { echo "INFRAGUARD_TEST_PG is not set: a PostgreSQL URL the benchmark may create a schema in (eng/postgres.sh prints one)" >&2; exit 64; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dotnet build src/InfraGuard.Cli -c Release --nologo -v q >&2
dotnet build benchmarks/InfraGuard.Benchmarks.Replicas -c Release --nologo -v q >&2
exec benchmarks/InfraGuard.Benchmarks.Replicas/bin/Release/net10.0/InfraGuard.Benchmarks.Replicas \
  src/InfraGuard.Cli/bin/Release/net10.0/infraguard "${1:-200}" "${2:-3000}"
