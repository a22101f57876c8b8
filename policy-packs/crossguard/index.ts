// Entry point run by the Pulumi CLI (package.json "main" → bin/index.js). See docs/crossguard.md.
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyPack } from "@pulumi/policy";
import { loadPolicyFile, PolicyFileError, type PolicyFile } from "./src/policyFile";
import { createPolicies } from "./src/policies";

// bin/index.js → the pack directory is one level up.
const packDir = path.resolve(__dirname, "..");

/**
 * policy.yaml lives in the pack when published (`npm run sync-policy` copies it there in prepack) and beside it
 * in this repository. No environment override: whoever runs the CLI must not be able to pick the tiers.
 */
function findPolicyFile(): string {
    const candidates = [path.join(packDir, "policy.yaml"), path.join(packDir, "..", "infraguard", "policy.yaml")];
    const found = candidates.find((p) => fs.existsSync(p));
    if (!found) {
        throw new PolicyFileError(`policy.yaml not found (looked in ${candidates.join(", ")}); run \`npm run sync-policy\` before publishing`);
    }
    return found;
}

let cached: PolicyFile | undefined;

new PolicyPack("infraguard", {
    description: "InfraGuard tier invariants and approval guard",
    policies: createPolicies({
        env: process.env,
        nowSeconds: () => Math.floor(Date.now() / 1000),
        policyFile: () => (cached ??= loadPolicyFile(findPolicyFile())),
    }),
});
