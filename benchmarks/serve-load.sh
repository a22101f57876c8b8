#!/usr/bin/env bash
# Issue 5's benchmarks: the approval server under load from wrk on loopback (apt-get install wrk).
#   - Slack interaction acknowledgements (signed block_actions clicks, each opening the reason modal) paced at RATE/s,
#     against GET /healthz at the same rate in the same run (the floor);
#   - RUNNERS runners long-polling their own pending request at once, with the server's RSS sampled every 100 ms.
# The server is the real `infraguard serve` process; Slack's Web API is a loopback stand-in in the harness.
# Usage: bash benchmarks/serve-load.sh [RATE=200] [SECONDS=60] [RUNNERS=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 69; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
dotnet build src/InfraGuard.Cli -c Release --nologo -v q >&2
dotnet build benchmarks/InfraGuard.Benchmarks.Serve -c Release --nologo -v q >&2
exec benchmarks/InfraGuard.Benchmarks.Serve/bin/Release/net10.0/InfraGuard.Benchmarks.Serve \
  src/InfraGuard.Cli/bin/Release/net10.0/infraguard "${1:-200}" "${2:-60}" "${3:-1000}"
