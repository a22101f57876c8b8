#!/usr/bin/env python3
"""Projects engine event logs onto `pulumi preview --json` digests (PreviewDigest), following
pulumi/pulumi pkg/backend/display/json.go ShowPreviewDigest (see shared/research/pulumi-cli-formats.md section 2):

- steps come from resourcePreEvents that pass shouldShow, plus the root stack always;
  shouldShow hides `same` (unless protect changed) and non-logical replacement steps
  (unless --show-replacement-steps);
- oldState/newState are the step's old/new state as ResourceV3 (empty maps omitted), secrets as "[secret]";
- detailedDiff uses "kind" (not "diffKind") and is null when the event had none;
- diagnostics: non-ephemeral, non-debug diagnosticEvents with the prefix folded into the message and colour
  removed; stdoutEvents become severity "info";
- duration is nanoseconds (here durationSeconds * 1e9: the log only has whole seconds);
- changeSummary = summaryEvent.resourceChanges; maybeCorrupt omitted when false;
- json.MarshalIndent with 4 spaces; Go escapes <, > and & in strings; map keys sorted.

Usage: make-synthetic-digests.py  (run from this folder; reads ../../../../../../shared/fixtures/pulumi/event-logs)
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "../../../../../../shared/fixtures/pulumi/event-logs"))
SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
REPLACEMENT_STEPS = {"create-replacement", "delete-replaced", "read-replacement", "discard-replaced",
                     "remove-pending-replace", "import-replacement"}


def events(path):
    text = open(path, encoding="utf-8").read()
    decoder, i = json.JSONDecoder(), 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        value, i = decoder.raw_decode(text, i)
        yield value


def massage(value):
    if isinstance(value, dict):
        if value.get(SIG) == SECRET:
            return "[secret]"
        return {k: massage(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [massage(v) for v in value]
    return value


def resource_v3(state):
    if state is None:
        return None
    out = {"urn": state.get("urn"), "custom": bool(state.get("custom", False))}
    if state.get("delete"):
        out["delete"] = True
    if state.get("id"):
        out["id"] = state["id"]
    out["type"] = state.get("type")
    for key in ("inputs", "outputs"):
        if state.get(key):
            out[key] = massage(state[key])
    if state.get("parent"):
        out["parent"] = state["parent"]
    if state.get("protect"):
        out["protect"] = True
    if state.get("external"):
        out["external"] = True
    if state.get("provider"):
        out["provider"] = state["provider"]
    if state.get("retainOnDelete"):
        out["retainOnDelete"] = True
    return out


def should_show(m, show_replacement_steps):
    if m.get("type") == "pulumi:pulumi:Stack":
        return True
    if m["op"] == "same":
        return bool((m.get("old") or {}).get("protect")) != bool((m.get("new") or {}).get("protect"))
    if m["op"] in REPLACEMENT_STEPS:
        return show_replacement_steps
    return True


def strip_colour(text):
    return re.sub(r"<\{%[^%]*%\}>", "", text)


def digest(path, show_replacement_steps=False):
    d = {"steps": [], "diagnostics": []}
    for e in events(path):
        if "cancelEvent" in e:
            break
        if "preludeEvent" in e:
            d["config"] = dict(sorted(e["preludeEvent"].get("config", {}).items()))
        elif "diagnosticEvent" in e:
            p = e["diagnosticEvent"]
            if not p.get("ephemeral") and p.get("severity") != "debug":
                diag = {}
                if p.get("urn"):
                    diag["urn"] = p["urn"]
                diag["message"] = strip_colour(p.get("prefix", "") + p.get("message", ""))
                diag["severity"] = p.get("severity")
                d["diagnostics"].append(diag)
        elif "stdoutEvent" in e:
            d["diagnostics"].append({"message": strip_colour(e["stdoutEvent"].get("message", "")), "severity": "info"})
        elif "resourcePreEvent" in e:
            m = e["resourcePreEvent"]["metadata"]
            if not should_show(m, show_replacement_steps):
                continue
            step = {"op": m["op"], "urn": m["urn"]}
            if m.get("provider"):
                step["provider"] = m["provider"]
            if m.get("old") is not None:
                step["oldState"] = resource_v3(m["old"])
            if m.get("new") is not None:
                step["newState"] = resource_v3(m["new"])
            if m.get("diffs"):
                step["diffReasons"] = m["diffs"]
            if m.get("keys"):
                step["replaceReasons"] = m["keys"]
            dd = m.get("detailedDiff")
            step["detailedDiff"] = None if dd is None else {
                k: {"kind": v.get("diffKind"), "inputDiff": bool(v.get("inputDiff", False))} for k, v in sorted(dd.items())}
            d["steps"].append(step)
        elif "summaryEvent" in e:
            s = e["summaryEvent"]
            if s.get("durationSeconds"):
                d["duration"] = s["durationSeconds"] * 1_000_000_000
            if s.get("resourceChanges"):
                d["changeSummary"] = dict(sorted(s["resourceChanges"].items()))
            if s.get("maybeCorrupt"):
                d["maybeCorrupt"] = True
    ordered = {}
    for key in ("config", "steps", "diagnostics", "duration", "changeSummary", "maybeCorrupt"):
        if d.get(key):
            ordered[key] = d[key]
    text = json.dumps(ordered, indent=4, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def write(name, text):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        f.write(text)


write("webserver-userdata.synthetic-digest.json", digest(os.path.join(FIXTURES, "webserver-userdata.json")))
write("webserver-userdata.synthetic-digest-replacement-steps.json",
      digest(os.path.join(FIXTURES, "webserver-userdata.json"), show_replacement_steps=True))
write("up-4.synthetic-digest.json", digest(os.path.join(FIXTURES, "up-4.json")))
write("lifecycle-TestMultipleProtectedDeletes-1.synthetic-digest.json",
      digest(os.path.join(FIXTURES, "lifecycle-TestMultipleProtectedDeletes-1.eventstream.json")))
write("synthetic-secret-input.synthetic-digest.json", digest(os.path.join(HERE, "synthetic-secret-input.eventlog.json")))
