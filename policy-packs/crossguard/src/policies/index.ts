import type { Policies } from "@pulumi/policy";
import { privateBucketsPolicy } from "./buckets";
import { guardPolicies } from "./guard";
import { backupRetentionPolicy, statefulProtectionPolicy } from "./invariants";
import type { PackDeps } from "./shared";

/** Every policy of the pack, in evaluation order (the guard first: it decides once per run). */
export function createPolicies(deps: PackDeps): Policies {
    return [...guardPolicies(deps), statefulProtectionPolicy(deps), backupRetentionPolicy(deps), privateBucketsPolicy(deps)];
}

export type { PackDeps } from "./shared";
