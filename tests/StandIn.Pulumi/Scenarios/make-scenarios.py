#!/usr/bin/env python3
"""Writes the synthetic stand-in scenarios. Shapes copied from the real fixtures in shared/fixtures/pulumi
(event envelopes: webserver-userdata.json and the lifecycle-*.eventstream.json files; state: the rds-instance
stack export; plan: openzfs-new-version-plan.json). Values are invented. Run: python3 make-scenarios.py"""
import json, os

def dump(obj):  # the CLI writes compact JSON without HTML escaping
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "[secret]"}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

def scenario(name, stack, project, db_old, db_new, op, summary_preview, summary_up, result="succeeded", protect=False):
    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    prov_urn = f"urn:pulumi:{stack}::{project}::pulumi:providers:aws::default_6_66_0"
    prov_ref = prov_urn + "::5f1c2b7e-0d3a-4c59-9f1e-2a7b7c1d9e41"
    db_urn = f"urn:pulumi:{stack}::{project}::aws:rds/instance:Instance::orders-db"
    db_inputs = lambda cls: {"__defaults": ["applyImmediately"], "allocatedStorage": 200, "applyImmediately": False,
                             "deletionProtection": True, "engine": "postgres", "instanceClass": cls,
                             "password": SECRET, "username": "orders"}
    def db_state(cls, outputs=True):
        st = {"type": "aws:rds/instance:Instance", "urn": db_urn, "custom": True, "id": "orders-db-3f9a1c2",
              "parent": stack_urn, "inputs": db_inputs(cls),
              "outputs": ({**db_inputs(cls), "arn": "arn:aws:rds:eu-west-1:123456789012:db:orders-db-3f9a1c2",
                           "backupRetentionPeriod": 7} if outputs else {}),
              "provider": prov_ref}
        if protect:
            st["protect"] = True
        return st
    stack_state = {"type": "pulumi:pulumi:Stack", "urn": stack_urn, "id": "", "parent": "", "inputs": {}, "outputs": {}, "provider": ""}
    seq = [0]
    def ev(kind, payload):
        seq[0] += 1
        return dump({"sequence": seq[0], "timestamp": 1764000000 + seq[0], kind: payload})
    def step(op_, old, new, planning, **extra):
        md = {"op": op_, "urn": new["urn"] if new else old["urn"], "type": (new or old)["type"], "old": old, "new": new}
        md.update(extra)
        md.setdefault("detailedDiff", None)
        md["logical"] = True
        md["provider"] = "" if (new or old)["type"].startswith("pulumi:pulumi") else prov_ref
        p = {"metadata": md}
        if planning:
            p["planning"] = True
        return p
    def phase(planning, summary, res):
        out = [ev("preludeEvent", {"config": {"aws:region": "eu-west-1", f"{project}:dbPassword": "[secret]"}})]
        out += [ev("resourcePreEvent", step("same", stack_state, stack_state, planning)),
                ev("resOutputsEvent", step("same", stack_state, stack_state, planning))]
        extra = {}
        if op == "update":
            extra = {"diffs": ["instanceClass"], "detailedDiff": {"instanceClass": {"diffKind": "update", "inputDiff": False}}}
            old, new = db_state(db_old), db_state(db_new, outputs=not planning)
        else:  # delete
            old, new = db_state(db_old), None
        out.append(ev("resourcePreEvent", step(op, old, new, planning, **extra)))
        if res == "failed":
            out.append(ev("diagnosticEvent", {"urn": db_urn, "prefix": "error: ",
                "message": f"Preview failed: resource \"{db_urn}\" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`, or use the command:\n`pulumi state unprotect '{db_urn}'`\n",
                "color": "never", "severity": "error"}))
            out.append(ev("diagnosticEvent", {"prefix": "error: ", "message": "preview failed\n", "color": "never", "severity": "error"}))
        else:
            if not planning and op == "update":
                new = db_state(db_new)
            out.append(ev("resOutputsEvent", step(op, old, new, planning, **extra)))
        out.append(ev("summaryEvent", {"maybeCorrupt": False, "durationSeconds": 3, "resourceChanges": summary,
                                       "PolicyPacks": {}, "isPreview": planning, "result": res}))
        out.append(ev("cancelEvent", {}))
        return out

    os.makedirs(name, exist_ok=True)
    preview = phase(True, summary_preview, result)
    with open(f"{name}/preview.jsonl", "w") as f:
        f.write("\n".join(preview) + "\n")
    if summary_up is not None:
        seq[0] = 0
        up = phase(True, summary_preview, "succeeded") + phase(False, summary_up, "succeeded")
        with open(f"{name}/up.jsonl", "w") as f:
            f.write("\n".join(up) + "\n")

    def export_res(r, created):
        e = {"urn": r["urn"], "custom": r.get("custom", False), "type": r["type"]}
        if r.get("id"): e["id"] = r["id"]
        if r["inputs"]: e["inputs"] = {k: ({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:q0FJ2q9bWm6e1GJ3:Zm9vYmFyYmF6cXV4"} if v == SECRET else v) for k, v in r["inputs"].items()}
        if r["outputs"]: e["outputs"] = {k: (e["inputs"][k] if v == SECRET else v) for k, v in r["outputs"].items()}
        if r["parent"]: e["parent"] = r["parent"]
        if r.get("protect"): e["protect"] = True
        if r["provider"]: e["provider"] = r["provider"]
        e["created"] = created; e["modified"] = created
        return e
    prov = {"urn": prov_urn, "custom": True, "id": "5f1c2b7e-0d3a-4c59-9f1e-2a7b7c1d9e41", "type": "pulumi:providers:aws",
            "inputs": {"region": "eu-west-1", "version": "6.66.0"}, "outputs": {"region": "eu-west-1", "version": "6.66.0"},
            "parent": stack_urn, "created": "2025-11-02T09:14:03.120551Z", "modified": "2025-11-02T09:14:03.120551Z"}
    state = {"version": 3, "deployment": {
        "manifest": {"time": "2025-11-02T09:20:41.51202Z", "magic": "0f7c6a8b6d0c3f7c9f4e4f6c1b2a3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e", "version": "v3.259.0"},
        "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:Hk+ms9bN1YM=:v1:CIGk8tObiTPyv9Ha:L+3V/xNuuUra9OA23fTUIUqf8uozAA=="}},
        "resources": [export_res(stack_state | {"custom": False}, "2025-11-02T09:14:02.9Z"), prov,
                      export_res(db_state(db_old), "2025-11-02T09:20:41.4Z")]}}
    with open(f"{name}/state.json", "w") as f:
        f.write(json.dumps(state, indent=4) + "\n")

    plan = {"manifest": {"time": "2025-11-25T02:01:07.4121Z", "magic": state["deployment"]["manifest"]["magic"], "version": "v3.259.0"},
            "config": {"aws:region": "eu-west-1", f"{project}:dbPassword": {"secure": "v1:3Jm0k1H2c3Q4b5Z6:bXlzZWNyZXQ="}},
            "resourcePlans": {
                stack_urn: {"goal": {"type": "pulumi:pulumi:Stack", "name": f"{project}-{stack}", "custom": False, "inputDiff": {}, "outputDiff": {}, "parent": "", "protect": False, "customTimeouts": {}}, "steps": ["same"], "state": {}},
                db_urn: {"goal": {"type": "aws:rds/instance:Instance", "name": "orders-db", "custom": True,
                                  "inputDiff": {"updates": {"instanceClass": db_new}} if op == "update" else {},
                                  "outputDiff": {}, "parent": stack_urn, "protect": protect, "provider": prov_ref, "customTimeouts": {}},
                         "steps": [op], "state": {"instanceClass": db_new} if op == "update" else {},
                         "seed": "q7c0hB5m4yQy8m0n7Jp2bV3w9s1dX6e4k2t8u0r5a1c="}}}
    if result != "failed":
        with open(f"{name}/plan.json", "w") as f:
            f.write(json.dumps(plan, indent=4) + "\n")

scenario("synthetic-rds-scale-down", "prod", "shop", "db.r6g.2xlarge", "db.t4g.medium", "update",
         {"same": 1, "update": 1}, {"same": 1, "update": 1})
scenario("synthetic-protected-delete-fails", "prod", "shop", "db.r6g.2xlarge", None, "delete",
         {"same": 1}, None, result="failed", protect=True)
scenario("synthetic-dev-scale-down", "dev", "shop", "db.r6g.2xlarge", "db.t4g.medium", "update",
         {"same": 1, "update": 1}, {"same": 1, "update": 1})
scenario("synthetic-prod-db-delete", "prod", "shop", "db.r6g.2xlarge", None, "delete",
         {"same": 1, "delete": 1}, {"same": 1, "delete": 1})
