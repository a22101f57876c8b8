#!/usr/bin/env bash
# Issue 17's benchmark: Teams adaptiveCard/action invokes on the real `infraguard serve` process, paced open loop at
# RATE/s against GET /healthz at the same rate in the same run (the floor). The Bot Framework (OpenID metadata and
# keys, token endpoint, Bot Connector) is the loopback stand-in the tests use, in the harness.
# Usage: bash benchmarks/teams-load.sh [RATE=200] [SECONDS=30]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/InfraGuard.Cli -c Release --nologo -v q >&2
dotnet build benchmarks/InfraGuard.Benchmarks.Teams -c Release --nologo -v q >&2
exec benchmarks/InfraGuard.Benchmarks.Teams/bin/Release/net10.0/InfraGuard.Benchmarks.Teams \
  src/InfraGuard.Cli/bin/Release/net10.0/infraguard "${1:-200}" "${2:-30}"
