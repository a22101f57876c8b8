// Copies the single source of truth, ../infraguard/policy.yaml, into the pack so a published pack carries it.
// Runs in `prepack` (which `pulumi policy publish` triggers through `npm pack`). Prints nothing on success:
// `pulumi policy publish` reads the tarball name from npm pack's stdout.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const packDir = path.resolve(__dirname, "..");
const source = path.join(packDir, "..", "infraguard", "policy.yaml");
const target = path.join(packDir, "policy.yaml");
if (!fs.existsSync(source)) {
    console.error(`sync-policy: ${source} not found; the pack cannot be published without its tiers and invariants.`);
    process.exit(1);
}
fs.copyFileSync(source, target);
