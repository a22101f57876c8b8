// Reads the parts of policy-packs/infraguard/policy.yaml this pack needs: `tiers.<name>.stacks` (glob lists),
// `tiers.<name>.break-glass.group` (whether a break-glass token may apply there) and `invariants.<tier>`. Everything else in the file belongs to InfraGuard's risk engine and is ignored here.
import * as fs from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";

export interface Invariants {
    /** Stateful resources keep `protect: true` and their provider-level deletion protection. */
    deletionProtection: boolean;
    /** Backup retention floor in days; undefined = no floor. */
    minBackupRetentionDays?: number;
    /** Classification values (compared case-insensitively) whose buckets must stay private. */
    privateDataClasses: string[];
    /** Tag key holding the classification. */
    classificationTag: string;
}

export interface Tier {
    name: string;
    stacks: string[];
    invariants?: Invariants;
    /** The tier's break-glass group (`group:NAME`); undefined: a break-glass token is refused in this tier. */
    breakGlassGroup?: string;
}

export interface PolicyFile {
    /** Where it was read from, for messages. */
    source: string;
    /** In file order: the first tier whose globs match a stack wins. */
    tiers: Tier[];
}

export class PolicyFileError extends Error {
    override name = "PolicyFileError";
}

export const DEFAULT_CLASSIFICATION_TAG = "data-classification";

export function loadPolicyFile(path: string): PolicyFile {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (e) {
        throw new PolicyFileError(`cannot read ${path}: ${(e as Error).message}`);
    }
    return parsePolicyFile(text, path);
}

export function parsePolicyFile(text: string, source: string): PolicyFile {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const pos = e.linePos?.[0];
        throw new PolicyFileError(`${source}:${pos?.line ?? 0}:${pos?.col ?? 0}: ${e.message.split("\n")[0]}`);
    }
    const at = (path: (string | number)[]): string => {
        const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
        const offset = node?.range?.[0];
        if (offset === undefined) {
            return source;
        }
        const { line, col } = lineCounter.linePos(offset);
        return `${source}:${line}:${col}`;
    };

    const tiersNode = doc.get("tiers", true);
    if (!isMap(tiersNode)) {
        throw new PolicyFileError(`${at(["tiers"])}: "tiers" must be a map of tier name to settings`);
    }
    const invariantsNode = doc.get("invariants", true);
    if (invariantsNode !== undefined && invariantsNode !== null && !isMap(invariantsNode)) {
        throw new PolicyFileError(`${at(["invariants"])}: "invariants" must be a map of tier name to invariants`);
    }

    const tiers: Tier[] = [];
    for (const pair of tiersNode.items) {
        const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const stacksNode = doc.getIn(["tiers", name, "stacks"], true);
        let stacks: string[] = [];
        if (stacksNode !== undefined) {
            if (!isSeq(stacksNode) || !stacksNode.items.every((i) => isScalar(i) && typeof i.value === "string")) {
                throw new PolicyFileError(`${at(["tiers", name, "stacks"])}: tiers.${name}.stacks must be a list of stack globs`);
            }
            stacks = stacksNode.items.map((i) => String((i as { value: unknown }).value));
        }
        tiers.push({ name, stacks, invariants: readInvariants(doc, name, at, lineCounter, source), breakGlassGroup: readBreakGlass(doc, name, at) });
    }
    if (isMap(invariantsNode)) {
        for (const pair of invariantsNode.items) {
            const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
            if (!tiers.some((t) => t.name === name)) {
                throw new PolicyFileError(
                    `${at(["invariants", name])}: invariants.${name} names a tier that "tiers" does not define ` +
                        `(defined: ${tiers.map((t) => t.name).join(", ")})`,
                );
            }
        }
    }
    return { source, tiers };
}

/** The group of `tiers.<tier>.break-glass`; a malformed one throws (the pack refuses rather than guess). */
function readBreakGlass(doc: Document, tier: string, at: (p: (string | number)[]) => string): string | undefined {
    const node = doc.getIn(["tiers", tier, "break-glass"], true);
    if (node === undefined || node === null) {
        return undefined;
    }
    const group = isMap(node) ? doc.getIn(["tiers", tier, "break-glass", "group"]) : undefined;
    if (typeof group !== "string" || !/^group:\S+$/.test(group)) {
        throw new PolicyFileError(
            `${at(["tiers", tier, "break-glass"])}: tiers.${tier}.break-glass must be a map with group: "group:NAME" (e.g. { group: "group:sre-leads", review-within: 24h })`,
        );
    }
    return group;
}

function readInvariants(
    doc: Document,
    tier: string,
    at: (p: (string | number)[]) => string,
    lineCounter: LineCounter,
    source: string,
): Invariants | undefined {
    const node = doc.getIn(["invariants", tier], true);
    if (node === undefined || node === null) {
        return undefined;
    }
    if (!isMap(node)) {
        throw new PolicyFileError(`${at(["invariants", tier])}: invariants.${tier} must be a map`);
    }
    const known = ["deletion-protection", "min-backup-retention-days", "private-data-classes", "classification-tag"];
    for (const pair of node.items) {
        const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
        if (!known.includes(key)) {
            const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0];
            const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
            throw new PolicyFileError(
                `${pos ? `${source}:${pos.line}:${pos.col}` : source}: unknown invariant "${key}" (valid: ${known.join(", ")})`,
            );
        }
    }
    const get = (key: string): unknown => doc.getIn(["invariants", tier, key]);
    const deletion = get("deletion-protection") ?? false;
    if (typeof deletion !== "boolean") {
        throw new PolicyFileError(`${at(["invariants", tier, "deletion-protection"])}: deletion-protection must be true or false`);
    }
    const minBackup = get("min-backup-retention-days");
    if (minBackup !== undefined && (typeof minBackup !== "number" || !Number.isInteger(minBackup) || minBackup < 0)) {
        throw new PolicyFileError(
            `${at(["invariants", tier, "min-backup-retention-days"])}: min-backup-retention-days must be a whole number of days`,
        );
    }
    const classes = get("private-data-classes") ?? [];
    const classesJs = isSeq(classes) ? classes.toJSON() : classes;
    if (!Array.isArray(classesJs) || !classesJs.every((c) => typeof c === "string")) {
        throw new PolicyFileError(`${at(["invariants", tier, "private-data-classes"])}: private-data-classes must be a list of strings`);
    }
    const tag = get("classification-tag") ?? DEFAULT_CLASSIFICATION_TAG;
    if (typeof tag !== "string" || tag.length === 0) {
        throw new PolicyFileError(`${at(["invariants", tier, "classification-tag"])}: classification-tag must be a tag key`);
    }
    return {
        deletionProtection: deletion,
        minBackupRetentionDays: minBackup as number | undefined,
        privateDataClasses: classesJs as string[],
        classificationTag: tag,
    };
}

/**
 * Glob match for stack patterns: `*` matches any run of characters except "/", everything else is literal.
 * A pattern is tried against "stack", "project/stack" and "org/project/stack" (when those parts are known), so
 * "prod-*" matches stack "prod-eu" and "*\/production" matches project "shop" stack "production".
 */
export function stackGlobMatches(pattern: string, candidates: readonly string[]): boolean {
    const re = new RegExp(
        "^" +
            pattern
                .split("*")
                .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
                .join("[^/]*") +
            "$",
    );
    return candidates.some((c) => re.test(c));
}
