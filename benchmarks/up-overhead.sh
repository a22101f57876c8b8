#!/usr/bin/env bash
# Issue 4's benchmarks, measured in one run on the same machine (needs hyperfine: apt-get install hyperfine):
#  1. Guard overhead with nothing to approve: wall time of `infraguard up` on an allowed dev change, minus the wall
#     time of the same stand-in `pulumi` commands run directly (the engine's own time). Also checks: exactly one preview.
#  2. Cold start: `infraguard --version` against a hello-world .NET program built the same way.
# Usage: bash benchmarks/up-overhead.sh [--r2r] [--server]
#   --r2r: publish both programs as the README installs infraguard: self-contained, ReadyToRun composite (the app and
#   the framework precompiled together); without it: framework-dependent, plain JIT.
#   --server: measure `up --server` against a real `infraguard serve` on loopback (issue 14: the runner uploads the
#   event log and plan, the server reads, checks and scores them, approves by policy, and the runner applies).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r2r=()
server=0
for a in "$@"; do [ "$a" = "--server" ] && server=1; done
if [ "${1:-}" = "--r2r" ]; then
  r2r=(-r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true)
  rm -rf src/*/obj/Release/net10.0/linux-x64 benchmarks/hello/obj/Release/net10.0/linux-x64   # stale R2R objects break a composite publish
fi

dotnet publish src/InfraGuard.Cli -c Release -o "$work/ig" "${r2r[@]}" --nologo -v q >&2
dotnet publish benchmarks/hello -c Release -o "$work/hello" "${r2r[@]}" --nologo -v q >&2
dotnet build tests/StandIn.Pulumi -c Release -o "$work/standin" --nologo -v q >&2

mkdir -p "$work/project"
printf 'name: shop\nruntime: yaml\n' > "$work/project/Pulumi.yaml"
export PATH="$work/standin:$PATH" HOME="$work" NO_COLOR=1
export STANDIN_SCENARIO="$PWD/tests/StandIn.Pulumi/Scenarios/synthetic-dev-scale-down"
export INFRAGUARD_KEY_FILE="$work/key.pem" INFRAGUARD_REQUESTER=github:bench

# One recorded run: which engine commands does the guard run, and how many previews?
export STANDIN_RECORD="$work/record.jsonl" INFRAGUARD_DB="$work/record.db"
(cd "$work/project" && "$work/ig/infraguard" up --stack dev >/dev/null)
previews=$(grep -c '"argv":\["preview"' "$work/record.jsonl")
echo "previews per up: $previews"
# The same commands, replayed directly: the engine's own time (temp paths are re-created per run).
python3 - "$work" <<'PY'
import json, sys, shlex
work = sys.argv[1]
lines = [json.loads(l) for l in open(f"{work}/record.jsonl") if '"started"' in l]
with open(f"{work}/engine-only.sh", "w") as f:
    f.write("set -e\ncd %s/project\nt=$(mktemp -d)\n" % work)
    for l in lines:
        argv = []
        for a in l["argv"]:
            if a.endswith("events.jsonl"): a = "$t/events.jsonl"
            elif a.endswith("plan.json") and "--plan" not in argv[-1:]: a = "$t/plan.json"
            elif a.endswith("plan.json"): a = "$t/plan.json"
            argv.append(a if a.startswith("$t") else shlex.quote(a))
        f.write("PULUMI_DEBUG_COMMANDS=true pulumi " + " ".join(argv) + " >/dev/null\n")
    f.write("rm -rf $t\n")
PY
unset STANDIN_RECORD
cat "$work/engine-only.sh" >&2

# The store persists between runs, as it does for a team (each run adds its request and audit entries).
up_command="env INFRAGUARD_DB=$work/bench.db bash -c 'cd $work/project && $work/ig/infraguard up --stack dev >/dev/null 2>&1'"
if [ "$server" = 1 ]; then
  port=18931
  INFRAGUARD_DB="$work/server.db" "$work/ig/infraguard" serve --urls "http://127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  trap 'kill $serve_pid 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  token=$(INFRAGUARD_DB="$work/server.db" "$work/ig/infraguard" tokens create --identity ci:bench --scope runner)
  up_command="env -u INFRAGUARD_KEY_FILE INFRAGUARD_TOKEN=$token bash -c 'cd $work/project && $work/ig/infraguard up --stack dev --server http://127.0.0.1:$port >/dev/null 2>&1'"
  eval "$up_command" || { echo "up --server failed:"; cat "$work/serve.log"; exit 1; }
fi
hyperfine -N --warmup 3 --runs 20 --export-json "$work/up.json" \
  -n engine-only "bash $work/engine-only.sh" \
  -n infraguard-up "$up_command"
hyperfine -N --warmup 5 --runs 30 --export-json "$work/start.json" \
  -n hello "$work/hello/Hello" \
  -n "infraguard --version" "$work/ig/infraguard --version"

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
up = {r["command"]: r for r in json.load(open(f"{w}/up.json"))["results"]}
st = {r["command"]: r for r in json.load(open(f"{w}/start.json"))["results"]}
ov = (up["infraguard-up"]["mean"] - up["engine-only"]["mean"]) * 1000
print(f"guard overhead: {ov:.0f} ms (infraguard up {up['infraguard-up']['mean']*1000:.0f} ms - engine only {up['engine-only']['mean']*1000:.0f} ms); target <= 300 ms local, <= 250 ms with --server")
ratio = st["infraguard --version"]["mean"] / st["hello"]["mean"]
print(f"cold start: infraguard --version {st['infraguard --version']['mean']*1000:.0f} ms vs hello {st['hello']['mean']*1000:.0f} ms = {ratio:.2f}x; target <= 3x")
PY
