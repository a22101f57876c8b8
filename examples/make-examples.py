#!/usr/bin/env python3
"""Writes the synthetic example inputs in examples/. Shapes are copied from the real logs in
../shared/fixtures/pulumi/event-logs (up-4.json, webserver-userdata.json) and ../shared/fixtures/terraform."""
import json

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "[secret]"}
PROVIDER = "urn:pulumi:{s}::payments::pulumi:providers:aws::default_6_52_0::7b99a6ae-5f4b-4a59-9b36-1c2d7e0b1f10"


def urn(stack, typ, name):
    return f"urn:pulumi:{stack}::payments::{typ}::{name}"


def state(stack, typ, name, inputs, rid="", **flags):
    s = {"type": typ, "urn": urn(stack, typ, name), "custom": True, "id": rid,
         "parent": urn(stack, "pulumi:pulumi:Stack", f"payments-{stack}"), "inputs": inputs, "outputs": {},
         "provider": PROVIDER.format(s=stack)}
    s.update(flags)
    return s


def step(op, stack, typ, name, old, new, diffs=None, detailed=None, keys=None):
    m = {"op": op, "urn": urn(stack, typ, name), "type": typ, "old": old, "new": new}
    if keys:
        m["keys"] = keys
    if diffs:
        m["diffs"] = diffs
    m["detailedDiff"] = detailed
    m["logical"] = True
    m["provider"] = PROVIDER.format(s=stack) + "::" + "7b99a6ae-0000-4000-8000-000000000001"
    return m


def write_log(path, stack, steps, summary):
    seq = [0]
    ts = 1764036000  # 2025-11-25T02:00:00Z: the 2 a.m. run

    def ev(**payload):
        seq[0] += 1
        return json.dumps({"sequence": seq[0], "timestamp": ts, **payload}, separators=(",", ":"))

    lines = [ev(preludeEvent={"config": {"aws:region": "eu-west-1", "payments:dbPassword": "[secret]"}})]
    stack_state = {"type": "pulumi:pulumi:Stack", "urn": urn(stack, "pulumi:pulumi:Stack", f"payments-{stack}"),
                   "id": "", "parent": "", "inputs": {}, "outputs": {}, "provider": ""}
    same_stack = {"op": "same", "urn": stack_state["urn"], "type": "pulumi:pulumi:Stack", "old": stack_state,
                  "new": stack_state, "detailedDiff": None, "logical": True, "provider": ""}
    lines.append(ev(resourcePreEvent={"metadata": same_stack, "planning": True}))
    for m in steps:
        lines.append(ev(resourcePreEvent={"metadata": m, "planning": True}))
        lines.append(ev(resOutputsEvent={"metadata": m, "planning": True}))
    lines.append(ev(resOutputsEvent={"metadata": same_stack, "planning": True}))
    lines.append(ev(summaryEvent={"maybeCorrupt": False, "durationSeconds": 3, "resourceChanges": summary,
                                  "PolicyPacks": {}, "isPreview": True, "result": "succeeded"}))
    lines.append(ev(cancelEvent={}))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


RDS = "aws:rds/instance:Instance"


def rds_inputs(cls):
    return {"__defaults": ["skipFinalSnapshot"], "allocatedStorage": 500, "backupRetentionPeriod": 14,
            "deletionProtection": True, "engine": "postgres", "engineVersion": "16.4", "identifier": "payments-db",
            "instanceClass": cls, "multiAz": True, "password": SECRET, "storageEncrypted": True,
            "tags": {"data-classification": "confidential", "team": "payments"}, "username": "payments"}


# 1. The 2 a.m. story: an agent "optimises" cost by scaling the production database down.
old = state("prod", RDS, "payments-db", rds_inputs("db.r6g.2xlarge"), rid="payments-db")
new = state("prod", RDS, "payments-db", rds_inputs("db.t4g.medium"), rid="payments-db")
write_log("2am-agent-rds-scale-down.synthetic.eventlog.jsonl", "prod",
          [step("update", "prod", RDS, "payments-db", old, new, diffs=["instanceClass"],
                detailed={"instanceClass": {"diffKind": "update", "inputDiff": False}})],
          {"same": 1, "update": 1})

# 2. A harmless change on a development stack: a tag on a bucket.
B = "aws:s3/bucketV2:BucketV2"
old = state("dev", B, "reports", {"bucket": "payments-reports-dev", "tags": {"team": "payments"}}, rid="payments-reports-dev")
new = state("dev", B, "reports", {"bucket": "payments-reports-dev", "tags": {"team": "payments", "cost-centre": "cc-42"}}, rid="payments-reports-dev")
write_log("dev-tag-change.synthetic.eventlog.jsonl", "dev",
          [step("update", "dev", B, "reports", old, new, diffs=["tags"],
                detailed={"tags.cost-centre": {"diffKind": "add", "inputDiff": False}})],
          {"same": 1, "update": 1})

# 3. Production: the database is deleted and its security group opened to the world.
SG = "aws:ec2/securityGroup:SecurityGroup"
sg_old = state("prod", SG, "db-sg", {"ingress": [{"cidrBlocks": ["10.0.0.0/16"], "fromPort": 5432, "protocol": "tcp", "toPort": 5432}], "vpcId": "vpc-0a1b2c3d"}, rid="sg-0123456789abcdef0")
sg_new = state("prod", SG, "db-sg", {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 5432, "protocol": "tcp", "toPort": 5432}], "vpcId": "vpc-0a1b2c3d"}, rid="sg-0123456789abcdef0")
db_old = state("prod", RDS, "payments-db", rds_inputs("db.r6g.2xlarge"), rid="payments-db")
write_log("prod-db-delete.synthetic.eventlog.jsonl", "prod",
          [step("update", "prod", SG, "db-sg", sg_old, sg_new, diffs=["ingress"],
                detailed={"ingress[0].cidrBlocks[0]": {"diffKind": "update", "inputDiff": False}}),
           step("delete", "prod", RDS, "payments-db", db_old, None)],
          {"same": 1, "update": 1, "delete": 1})
print("wrote examples")
