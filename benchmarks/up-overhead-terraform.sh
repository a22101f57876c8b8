#!/usr/bin/env bash
# Issue 19's benchmark, measured as benchmarks/up-overhead.sh measures Pulumi (needs hyperfine): guard overhead of
# `infraguard up --engine terraform` on an allowed dev change, minus the wall time of the same stand-in `terraform`
# commands run directly (the engine's own time). Framework-dependent JIT by default; --r2r publishes infraguard as the
# README installs it (self-contained, ReadyToRun composite), as up-overhead.sh --r2r does.
# Usage: bash benchmarks/up-overhead-terraform.sh [--r2r]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

r2r=()
if [ "${1:-}" = "--r2r" ]; then
  r2r=(-r linux-x64 --self-contained true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true)
  rm -rf src/*/obj/Release/net10.0/linux-x64   # stale R2R objects break a composite publish
fi
dotnet publish src/InfraGuard.Cli -c Release -o "$work/ig" "${r2r[@]}" --nologo -v q >&2
dotnet build tests/StandIn.Terraform -c Release -o "$work/standin" --nologo -v q >&2

mkdir -p "$work/project"
echo '# replayed by the stand-in' > "$work/project/main.tf"
export PATH="$work/standin:$PATH" HOME="$work" NO_COLOR=1
export STANDIN_TF_PLAN="$PWD/../shared/fixtures/terraform/tfcompliance-rds-create.plan.json" STANDIN_STATE="$work/state.json"
export INFRAGUARD_KEY_FILE="$work/key.pem" INFRAGUARD_REQUESTER=github:bench

# One recorded run: which engine commands does the guard run?
export STANDIN_RECORD="$work/record.jsonl" INFRAGUARD_DB="$work/record.db"
(cd "$work/project" && "$work/ig/infraguard" up --engine terraform --stack dev >/dev/null)
echo "plans per up: $(grep -c '"argv":\["plan"' "$work/record.jsonl")"
python3 - "$work" <<'PY'
import json, sys, shlex
work = sys.argv[1]
lines = [json.loads(l) for l in open(f"{work}/record.jsonl") if '"started"' in l]
with open(f"{work}/engine-only.sh", "w") as f:
    f.write("set -e\ncd %s/project\nt=$(mktemp -d)\n" % work)
    for l in lines:
        argv = []
        for a in l["argv"]:
            if a.startswith("-out="): a = "-out=$t/plan.tfplan"
            elif a.endswith("plan.tfplan"): a = "$t/plan.tfplan"
            argv.append(a if "$t" in a else shlex.quote(a))
        code = "|| [ $? -eq 2 ]" if l["argv"][0] == "plan" else ""
        f.write("TF_IN_AUTOMATION=1 terraform " + " ".join(argv) + " >/dev/null " + code + "\n")
    f.write("rm -rf $t\n")
PY
unset STANDIN_RECORD
cat "$work/engine-only.sh" >&2

up_command="env INFRAGUARD_DB=$work/bench.db bash -c 'cd $work/project && $work/ig/infraguard up --engine terraform --stack dev >/dev/null 2>&1'"
hyperfine -N --warmup 3 --runs 20 --export-json "$work/up.json" \
  -n engine-only "bash $work/engine-only.sh" \
  -n infraguard-up "$up_command"

python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
up = {r["command"]: r for r in json.load(open(f"{w}/up.json"))["results"]}
ov = (up["infraguard-up"]["mean"] - up["engine-only"]["mean"]) * 1000
print(f"guard overhead: {ov:.0f} ms (infraguard up --engine terraform {up['infraguard-up']['mean']*1000:.0f} ms - engine only {up['engine-only']['mean']*1000:.0f} ms); target <= 300 ms")
PY
