#!/usr/bin/env bash
# Issue 17's benchmark: a decision made anywhere reaches every channel's message (p99 ≤ 1 s).
# The real `infraguard serve` process with Slack enabled, Slack's Web API as a loopback stand-in in the harness;
# decisions through the REST API (one at a time, then a burst) and with `infraguard approve` in another process.
# Usage: bash benchmarks/channel-reach.sh [REQUESTS=200] [CLI=30] [BURST=50]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/InfraGuard.Cli -c Release --nologo -v q >&2
dotnet build benchmarks/InfraGuard.Benchmarks.Channels -c Release --nologo -v q >&2
exec benchmarks/InfraGuard.Benchmarks.Channels/bin/Release/net10.0/InfraGuard.Benchmarks.Channels \
  src/InfraGuard.Cli/bin/Release/net10.0/infraguard "${1:-200}" "${2:-30}" "${3:-50}"
