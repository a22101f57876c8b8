import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { createPolicies } from "../src/policies";
import { deps, engineEnv, packRoot } from "./helpers";

test("createPolicies_GuardFirstAndNamesUnique", () => {
    const names = createPolicies(deps(engineEnv("prod"))).map((p) => p.name);
    assert.deepEqual(names, ["infraguard-approval-required", "infraguard-unguarded-preview", "infraguard-stateful-protection", "infraguard-backup-retention", "infraguard-private-data-buckets"]);
});

test("packageJson_PublishesCompiledPackAndPolicyFileOnly", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(packRoot, "package.json"), "utf8")) as { main: string; files: string[]; dependencies: Record<string, string> };
    assert.equal(pkg.main, "bin/index.js");
    assert.ok(pkg.files.includes("policy.yaml") && pkg.files.includes("bin/src/"));
    assert.ok(!pkg.files.some((f) => f.includes("test")));
    assert.equal(pkg.dependencies["@pulumi/policy"], "1.21.0");
    assert.ok(fs.existsSync(path.join(packRoot, "package-lock.json")), "package-lock.json is committed");
});
