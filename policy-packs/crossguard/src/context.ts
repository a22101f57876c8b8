// What the engine tells a Node.js policy pack about the run. The Pulumi CLI starts the pack's analyzer process with
// its own environment plus (sdk/go/common/resource/plugin/analyzer_plugin.go, constructEnv):
//   PULUMI_CONFIG (stack config as JSON, secrets decrypted), PULUMI_[NODEJS_]ORGANIZATION, PULUMI_[NODEJS_]PROJECT,
//   PULUMI_[NODEJS_]STACK and PULUMI_[NODEJS_]DRY_RUN ("true" during a preview, "false" during an update).
// The engine appends these after the inherited variables, so a user cannot spoof them from the shell.
import { stackGlobMatches, type PolicyFile, type Tier } from "./policyFile";
import type { StackIdentity } from "./token";

export interface EngineContext {
    /** Undefined when the CLI did not say (then the stack's tier cannot be known). */
    stack?: StackIdentity;
    /** true = preview, false = update, undefined = the CLI did not say (treated as an update: fail closed). */
    dryRun?: boolean;
    /** Stack configuration as the engine passed it ("namespace:key" → string value). */
    config: Record<string, string>;
}

export const TIER_CONFIG_KEY = "infraguard:tier";

export function readEngineContext(env: NodeJS.ProcessEnv): EngineContext {
    const pick = (name: string): string | undefined => {
        const v = env[`PULUMI_NODEJS_${name}`] ?? env[`PULUMI_${name}`];
        return v === undefined || v === "" ? undefined : v;
    };
    const stackName = pick("STACK");
    const dry = pick("DRY_RUN");
    return {
        stack: stackName === undefined ? undefined : { organization: pick("ORGANIZATION"), project: pick("PROJECT"), stack: stackName },
        dryRun: dry === undefined ? undefined : dry === "true",
        config: parseConfig(env.PULUMI_CONFIG),
    };
}

function parseConfig(json: string | undefined): Record<string, string> {
    if (!json) {
        return {};
    }
    try {
        const parsed = JSON.parse(json) as unknown;
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
            return {};
        }
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
            out[k] = typeof v === "string" ? v : JSON.stringify(v);
        }
        return out;
    } catch {
        return {};
    }
}

export interface TierResolution {
    tier?: Tier;
    /** How the tier was chosen, for messages. */
    reason: string;
}

/**
 * The stack's tier. The first tier (in file order) with a matching `stacks` glob wins. Stack config
 * `infraguard:tier` may force another tier, but it may not move a stack out of a guarded tier the globs chose:
 * anyone who can edit Pulumi.<stack>.yaml could otherwise switch the guard off.
 */
export function resolveTier(file: PolicyFile, ctx: EngineContext, guardedTiers: readonly string[]): TierResolution {
    const byGlob = ctx.stack ? file.tiers.find((t) => t.stacks.some((g) => stackGlobMatches(g, candidates(ctx.stack!)))) : undefined;
    const forcedName = ctx.config[TIER_CONFIG_KEY];
    if (forcedName === undefined) {
        return byGlob
            ? { tier: byGlob, reason: `stack matches tiers.${byGlob.name}.stacks in ${file.source}` }
            : { reason: ctx.stack ? "stack matches no tier's stacks globs" : "the CLI did not report the stack name" };
    }
    const forced = file.tiers.find((t) => t.name === forcedName);
    if (!forced) {
        // Unknown tier names fall back to the glob result rather than to "no tier".
        return byGlob
            ? { tier: byGlob, reason: `stack config ${TIER_CONFIG_KEY}="${forcedName}" names no tier in ${file.source}; globs chose ${byGlob.name}` }
            : { reason: `stack config ${TIER_CONFIG_KEY}="${forcedName}" names no tier in ${file.source}` };
    }
    if (byGlob && guardedTiers.includes(byGlob.name) && !guardedTiers.includes(forced.name)) {
        return { tier: byGlob, reason: `stack config ${TIER_CONFIG_KEY}="${forcedName}" cannot lower a stack that tiers.${byGlob.name}.stacks guards` };
    }
    return { tier: forced, reason: `stack config ${TIER_CONFIG_KEY}="${forcedName}"` };
}

function candidates(id: StackIdentity): string[] {
    const out = [id.stack];
    if (id.project) {
        out.push(`${id.project}/${id.stack}`);
        if (id.organization) {
            out.push(`${id.organization}/${id.project}/${id.stack}`);
        }
    }
    return out;
}
