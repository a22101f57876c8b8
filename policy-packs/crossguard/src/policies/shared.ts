import { readEngineContext, resolveTier, type EngineContext, type TierResolution } from "../context";
import type { PolicyFile } from "../policyFile";

/** What the policies need from the outside world; index.ts wires the real ones, tests pass their own. */
export interface PackDeps {
    env: NodeJS.ProcessEnv;
    /** Current time, Unix seconds. */
    nowSeconds: () => number;
    /** Loads policy.yaml; throws with a message that names the file when it cannot. */
    policyFile: () => PolicyFile;
}

export type Setting =
    | { ok: true; ctx: EngineContext; file: PolicyFile; tier: TierResolution }
    | { ok: false; ctx: EngineContext; error: string };

/**
 * Reads the engine context and policy.yaml, and resolves the tier. `protectedTiers` are tiers that stack config
 * may not lower a stack out of; tiers with invariants are always protected.
 */
export function loadSetting(deps: PackDeps, protectedTiers: readonly string[] = []): Setting {
    const ctx = readEngineContext(deps.env);
    let file: PolicyFile;
    try {
        file = deps.policyFile();
    } catch (e) {
        return { ok: false, ctx, error: (e as Error).message };
    }
    const guarded = new Set([...protectedTiers, ...file.tiers.filter((t) => t.invariants).map((t) => t.name)]);
    return { ok: true, ctx, file, tier: resolveTier(file, ctx, [...guarded]) };
}

/** A resource type InfraGuard treats as holding data, and the property (if any) that turns on deletion protection. */
export interface StatefulType {
    deletionProtection?: string;
    backup?: "retention" | "point-in-time-recovery";
}

export const STATEFUL_TYPES: Readonly<Record<string, StatefulType>> = {
    "aws:rds/instance:Instance": { deletionProtection: "deletionProtection", backup: "retention" },
    "aws:rds/cluster:Cluster": { deletionProtection: "deletionProtection", backup: "retention" },
    "aws:rds/globalCluster:GlobalCluster": { deletionProtection: "deletionProtection" },
    "aws:docdb/cluster:Cluster": { deletionProtection: "deletionProtection", backup: "retention" },
    "aws:neptune/cluster:Cluster": { deletionProtection: "deletionProtection", backup: "retention" },
    "aws:dynamodb/table:Table": { deletionProtection: "deletionProtectionEnabled", backup: "point-in-time-recovery" },
    "aws:s3/bucket:Bucket": {},
    "aws:s3/bucketV2:BucketV2": {},
    "aws:efs/fileSystem:FileSystem": {},
    "aws:ebs/volume:Volume": {},
    "aws:kms/key:Key": {},
    "aws:elasticache/replicationGroup:ReplicationGroup": {},
    "gcp:sql/databaseInstance:DatabaseInstance": { deletionProtection: "deletionProtection" },
    "gcp:storage/bucket:Bucket": {},
};

export const BUCKET_TYPES: readonly string[] = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

/** Short resource label for messages: `aws:rds/instance:Instance "orders-db"`. */
export function label(type: string, name: string): string {
    return `${type} "${name}"`;
}
