// The bypass guard: on guarded tiers an update must carry a valid InfraGuard approval token.
//
// Previews and updates are told apart by PULUMI_DRY_RUN, which the engine sets for the analyzer process:
//   preview (dry run)  : a valid "preview" or "apply" token passes; an invalid token fails (mandatory);
//                        no token at all only warns, through infraguard-unguarded-preview (advisory by default),
//                        so `pulumi preview` + `infraguard check` keep working.
//   update             : only a valid "apply" token passes. Without one, the first resource the engine analyzes
//                        (the root stack) gets a mandatory violation and the engine stops before changing anything.
//   unknown            : treated as an update (fail closed).
// The token comes from policy config `approvalToken` (per-run --policy-pack-config file) or, when that is unset,
// from INFRAGUARD_APPROVAL_TOKEN, which the analyzer process inherits from the CLI. Public keys come only from
// policy config: an environment variable would let whoever runs the CLI trust a key of their own.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { readEngineContext } from "../context";
import { describeStack, parseKeyRing, verifyToken, type Purpose, type VerifyResult } from "../token";
import { loadSetting, type PackDeps } from "./shared";

export const APPROVAL_POLICY = "infraguard-approval-required";
export const UNGUARDED_PREVIEW_POLICY = "infraguard-unguarded-preview";
export const TOKEN_ENV = "INFRAGUARD_APPROVAL_TOKEN";
export const DEFAULT_GUARDED_TIERS: readonly string[] = ["production"];

export interface GuardConfig {
    publicKeys?: Record<string, string>;
    approvalToken?: string;
    guardedTiers?: string[];
}

export type GuardVerdict =
    | { kind: "pass"; note: string }
    | { kind: "unguarded-preview"; message: string }
    | { kind: "refuse"; message: string };

const NEXT_STEP = "Run this change through `infraguard up` (it previews, gets the approval and applies the approved plan).";

/** Decides once what this run deserves. Pure apart from deps; exported for tests. */
export function decide(deps: PackDeps, config: GuardConfig): GuardVerdict {
    const guardedTiers = config.guardedTiers ?? DEFAULT_GUARDED_TIERS;
    const setting = loadSetting(deps, guardedTiers);
    if (!setting.ok) {
        return { kind: "refuse", message: `InfraGuard cannot tell this stack's tier: ${setting.error}. ${NEXT_STEP}` };
    }
    const { ctx, tier } = setting;
    if (!ctx.stack) {
        return { kind: "refuse", message: `InfraGuard cannot tell which stack this run targets (PULUMI_STACK is unset; upgrade the Pulumi CLI). ${NEXT_STEP}` };
    }
    const stackText = describeStack(ctx.stack);
    if (!tier.tier || !guardedTiers.includes(tier.tier.name)) {
        return { kind: "pass", note: `stack ${stackText} is not in a guarded tier (${tier.reason})` };
    }
    const where = `stack ${stackText} is in tier "${tier.tier.name}" (${tier.reason})`;

    let keys;
    try {
        keys = parseKeyRing(config.publicKeys);
    } catch (e) {
        return { kind: "refuse", message: `${where}, but the InfraGuard policy pack is misconfigured: ${(e as Error).message}. Ask the platform team to set "publicKeys" in the ${APPROVAL_POLICY} policy config.` };
    }
    const token = nonEmpty(config.approvalToken) ?? nonEmpty(deps.env[TOKEN_ENV]);
    const preview = ctx.dryRun === true;
    if (token === undefined) {
        return preview
            ? { kind: "unguarded-preview", message: `This preview of ${stackText} (tier "${tier.tier.name}") ran outside InfraGuard; \`pulumi up\` on this stack will be refused. ${NEXT_STEP}` }
            : { kind: "refuse", message: `Updates to ${where} need an InfraGuard approval, and this run carries none. ${NEXT_STEP}` };
    }
    const purposes: Purpose[] = preview ? ["preview", "apply"] : ["apply"];
    // A break-glass token applies only where the tier (as this pack's policy.yaml defines it) has a break-glass group.
    const breakGlassAllowed = tier.tier.breakGlassGroup !== undefined;
    const result: VerifyResult = verifyToken(token, keys, { stack: ctx.stack, purposes, now: deps.nowSeconds(), breakGlassAllowed });
    if (result.status === "valid") {
        return { kind: "pass", note: `${where}; ${result.detail}` };
    }
    const run = preview ? "preview" : ctx.dryRun === undefined ? "run (the CLI did not say whether this is a preview, so it counts as an update)" : "update";
    return { kind: "refuse", message: `The InfraGuard approval token for this ${run} of ${where} was refused (${result.status}: ${result.detail}). ${NEXT_STEP}` };
}

/**
 * Both guard policies. The verdict is computed on the first resource and kept for the life of the analyzer
 * process (one engine operation), so a token that expires during a long update does not stop it half way.
 * @pulumi/policy runs a pack's policies one after another in declaration order, so the approval policy decides
 * before the notice policy looks at the verdict.
 */
export function guardPolicies(deps: PackDeps): ResourceValidationPolicy[] {
    let verdict: GuardVerdict | undefined;
    let preview = false;
    let reportedRefusal = false;
    let reportedNotice = false;

    const approval: ResourceValidationPolicy = {
        name: APPROVAL_POLICY,
        description: "Updates to guarded (production) stacks must carry a valid InfraGuard approval token; use `infraguard up`.",
        enforcementLevel: "mandatory",
        severity: "critical",
        configSchema: {
            properties: {
                publicKeys: { type: "object", additionalProperties: { type: "string" } },
                approvalToken: { type: "string" },
                guardedTiers: { type: "array", items: { type: "string" } },
            },
        },
        validateResource: (args, reportViolation) => {
            if (verdict === undefined) {
                verdict = decide(deps, args.getConfig<GuardConfig>());
                preview = readEngineContext(deps.env).dryRun === true;
            }
            // An update stops at the first mandatory violation anyway; a preview needs to hear it only once.
            if (verdict.kind === "refuse" && !(preview && reportedRefusal)) {
                reportedRefusal = true;
                reportViolation(verdict.message);
            }
        },
    };

    const previewNotice: ResourceValidationPolicy = {
        name: UNGUARDED_PREVIEW_POLICY,
        description: "Warns when a preview of a guarded stack runs outside InfraGuard (its update would be refused).",
        enforcementLevel: "advisory",
        severity: "medium",
        validateResource: (_args, reportViolation) => {
            if (verdict?.kind === "unguarded-preview" && !reportedNotice) {
                reportedNotice = true;
                reportViolation(verdict.message);
            }
        },
    };
    return [approval, previewNotice];
}

function nonEmpty(s: string | undefined): string | undefined {
    return s === undefined || s.trim() === "" ? undefined : s.trim();
}
