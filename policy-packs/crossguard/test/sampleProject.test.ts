// The repository's sample Pulumi YAML project (Pulumi.yaml + stacks/) must satisfy the production invariants on
// its prod stack. Pulumi YAML is evaluated just far enough for that: whole-value `${configKey}` references are
// replaced by stack config (or the project default); references to other resources stay as text.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { privateBucketsPolicy } from "../src/policies/buckets";
import { backupRetentionPolicy, statefulProtectionPolicy } from "../src/policies/invariants";
import { deps, engineEnv, repoRoot, stackViolations, violations, type StackResource } from "./helpers";

interface ProjectFile {
    name: string;
    stackConfigDir: string;
    config: Record<string, { default?: unknown }>;
    resources: Record<string, { type: string; properties?: Record<string, unknown>; options?: Record<string, unknown> }>;
}

/** "aws:rds:Instance" → "aws:rds/instance:Instance" (the engine's full type token). */
function fullType(token: string): string {
    const [pkg, mod, name] = token.split(":");
    return `${pkg}:${mod}/${name[0].toLowerCase()}${name.slice(1)}:${name}`;
}

function sample(stack: string, override: Record<string, unknown> = {}): { resources: StackResource[]; config: Record<string, unknown> } {
    const project = parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as ProjectFile;
    const stackFile = parse(fs.readFileSync(path.join(repoRoot, project.stackConfigDir, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, unknown> = { ...stackFile.config };
    const value = (key: string): unknown => override[key] ?? config[`${project.name}:${key}`] ?? project.config[key]?.default;
    const resolve = (v: unknown): unknown => {
        const ref = typeof v === "string" ? /^\$\{([A-Za-z]+)\}$/.exec(v) : null;
        if (ref && ref[1] in project.config) {
            return value(ref[1]);
        }
        if (Array.isArray(v)) {
            return v.map(resolve);
        }
        if (v && typeof v === "object") {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
        }
        return v;
    };
    const urn = (name: string, type: string) => `urn:pulumi:${stack}::${project.name}::${fullType(type)}::${name}`;
    const resources = Object.entries(project.resources).map(([name, r]): StackResource => {
        const props = resolve(r.properties ?? {}) as Record<string, unknown>;
        const bucketRef = typeof props.bucket === "string" ? /^\$\{(\w+)\.id\}$/.exec(props.bucket) : null;
        return {
            type: fullType(r.type),
            name,
            urn: urn(name, r.type),
            props,
            protect: resolve(r.options?.protect) === true,
            dependsOnBucket: bucketRef ? urn(bucketRef[1], project.resources[bucketRef[1]].type) : undefined,
        };
    });
    return { resources, config };
}

async function allViolations(stack: string, override: Record<string, unknown> = {}): Promise<string[]> {
    const { resources, config } = sample(stack, override);
    const d = deps(engineEnv(stack, { dryRun: true, config: { "infraguard:tier": String(config["infraguard:tier"]) } }));
    const out: string[] = [];
    for (const r of resources) {
        out.push(...(await violations(statefulProtectionPolicy(d), r)), ...(await violations(backupRetentionPolicy(d), r)));
    }
    out.push(...(await stackViolations(privateBucketsPolicy(d), resources)).map((v) => v.message));
    return out;
}

test("sampleProject_StackFilesNameTheirTiers", () => {
    assert.equal(sample("prod").config["infraguard:tier"], "production");
    assert.equal(sample("staging").config["infraguard:tier"], "staging");
    assert.equal(sample("dev").config["infraguard:tier"], "development");
});

test("sampleProject_ProdStack_SatisfiesProductionInvariants", async () => {
    const { resources } = sample("prod");
    assert.ok(resources.some((r) => r.type === "aws:rds/instance:Instance" && r.props.deletionProtection === true && r.props.backupRetentionPeriod === 14));
    assert.ok(resources.some((r) => r.type === "aws:autoscaling/group:Group"));
    assert.deepEqual(await allViolations("prod"), []);
});

test("sampleProject_ProdStackWithDevSettings_IsCaught", async () => {
    const found = await allViolations("prod", { protectData: false, dbBackupRetentionDays: 1 });
    assert.ok(found.some((m) => /ordersDb" must set deletionProtection: true/.test(m)));
    assert.ok(found.some((m) => /ordersDb" must keep backupRetentionPeriod >= 7 days \(found 1;/.test(m)));
    assert.ok(found.some((m) => /invoiceBucket" holds data and must keep the `protect: true`/.test(m)));
    assert.ok(found.some((m) => /dataKey" holds data/.test(m)));
});

test("sampleProject_DevStack_HasNoInvariants", async () => {
    assert.deepEqual(await allViolations("dev"), []);
});
