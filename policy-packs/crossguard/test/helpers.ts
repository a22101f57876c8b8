import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { parsePolicyFile, type PolicyFile } from "../src/policyFile";
import type { PackDeps } from "../src/policies";

/** policy-packs/crossguard (compiled tests live in bin/test). */
export const packRoot = path.resolve(__dirname, "..", "..");
export const repoRoot = path.resolve(packRoot, "..", "..");

/** The shared fixtures: INFRAGUARD_SHARED when set, else ../shared beside the repository root. */
export function fixture(...parts: string[]): string {
    const shared = process.env.INFRAGUARD_SHARED || path.resolve(repoRoot, "..", "shared");
    return path.join(shared, "fixtures", ...parts);
}

export function testPolicyFile(): PolicyFile {
    const file = path.join(packRoot, "test", "fixtures", "policy.yaml");
    return parsePolicyFile(fs.readFileSync(file, "utf8"), file);
}

export const NOW = 1767225600; // 2026-01-01T00:00:00Z

export function engineEnv(stack: string, opts: { dryRun?: boolean; project?: string; org?: string; config?: Record<string, string>; extra?: Record<string, string> } = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        PULUMI_NODEJS_STACK: stack,
        PULUMI_NODEJS_PROJECT: opts.project ?? "orders-service",
        PULUMI_NODEJS_ORGANIZATION: opts.org ?? "acme",
        ...opts.extra,
    };
    if (opts.dryRun !== undefined) {
        env.PULUMI_NODEJS_DRY_RUN = String(opts.dryRun);
        env.PULUMI_DRY_RUN = String(opts.dryRun);
    }
    if (opts.config) {
        env.PULUMI_CONFIG = JSON.stringify(opts.config);
    }
    return env;
}

export function deps(env: NodeJS.ProcessEnv, now: () => number = () => NOW, file: () => PolicyFile = testPolicyFile): PackDeps {
    return { env, nowSeconds: now, policyFile: file };
}

export interface Resource {
    type: string;
    name: string;
    props: Record<string, unknown>;
    protect?: boolean;
    urn?: string;
}

export function resourceArgs(r: Resource, config: object = {}): ResourceValidationArgs {
    return {
        type: r.type,
        props: r.props as Record<string, any>,
        urn: r.urn ?? `urn:pulumi:prod::orders-service::${r.type}::${r.name}`,
        name: r.name,
        opts: { protect: r.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason}`);
        },
    };
}

/** Runs a resource policy the way @pulumi/policy would and returns the violation messages. */
export async function violations(policy: ResourceValidationPolicy, r: Resource, config: object = {}): Promise<string[]> {
    const out: string[] = [];
    const report: ReportViolation = (message: string) => {
        out.push(message);
    };
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    for (const v of validations) {
        await v(resourceArgs(r, config), report);
    }
    return out;
}

export interface StackResource extends Resource {
    dependsOnBucket?: string; // URN of the bucket its `bucket` input came from
}

export async function stackViolations(policy: StackValidationPolicy, resources: StackResource[]): Promise<{ message: string; urn?: string }[]> {
    const built: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: r.props as Record<string, any>,
        urn: r.urn ?? `urn:pulumi:prod::orders-service::${r.type}::${r.name}`,
        name: r.name,
        opts: { protect: r.protect ?? false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    resources.forEach((r, i) => {
        if (r.dependsOnBucket) {
            const dep = built.find((b) => b.urn === r.dependsOnBucket);
            if (!dep) {
                throw new Error(`no resource ${r.dependsOnBucket}`);
            }
            built[i].propertyDependencies = { bucket: [dep] };
            built[i].dependencies = [dep];
        }
    });
    const out: { message: string; urn?: string }[] = [];
    await policy.validateStack(
        {
            resources: built,
            stackTags: new Map(),
            getConfig: <T extends object>() => ({}) as T,
            notApplicable: (reason?: string): never => {
                throw new Error(`notApplicable: ${reason}`);
            },
        },
        (message: string, urn?: string) => {
            out.push({ message, urn });
        },
    );
    return out;
}

/** A resource from a `pulumi stack export` file, as Analyze would see it: inputs as props, `protect` as option. */
export function resourceFromStackExport(file: string, type: string): Resource {
    const exported = JSON.parse(fs.readFileSync(file, "utf8")) as { deployment: { resources: { type: string; urn: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown>; protect?: boolean }[] } };
    const r = exported.deployment.resources.find((x) => x.type === type);
    if (!r) {
        throw new Error(`${file} has no ${type}`);
    }
    const { __defaults: _ignored, ...inputs } = r.inputs ?? {};
    return { type: r.type, name: r.urn.split("::").pop()!, urn: r.urn, props: inputs, protect: r.protect };
}
