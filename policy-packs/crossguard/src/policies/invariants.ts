// Tier invariants from policy.yaml `invariants.<tier>`, checked on the proposed state of each resource.
// CrossGuard sees new inputs only (no old state, no operation; research §3.2), so these are "must hold" rules.
// Deletes, scale-downs and retention cuts are scored by InfraGuard from the engine event log instead.
import type { ResourceValidationArgs, ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import type { Invariants } from "../policyFile";
import { label, loadSetting, STATEFUL_TYPES, type PackDeps } from "./shared";

export const STATEFUL_PROTECTION_POLICY = "infraguard-stateful-protection";
export const BACKUP_RETENTION_POLICY = "infraguard-backup-retention";

/** Runs `check` with the stack's tier invariants, or reports why the tier could not be known. */
function withInvariants(
    deps: PackDeps,
    check: (inv: Invariants, tier: string, args: ResourceValidationArgs, report: ReportViolation) => void,
) {
    return (args: ResourceValidationArgs, report: ReportViolation): void => {
        const setting = loadSetting(deps);
        if (!setting.ok) {
            report(`InfraGuard cannot check tier invariants: ${setting.error}`);
            return;
        }
        const tier = setting.tier.tier;
        if (tier?.invariants) {
            check(tier.invariants, tier.name, args, report);
        }
    };
}

export function statefulProtectionPolicy(deps: PackDeps): ResourceValidationPolicy {
    return {
        name: STATEFUL_PROTECTION_POLICY,
        description: "Stateful resources on tiers with `deletion-protection: true` keep `protect: true` and provider deletion protection.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: withInvariants(deps, (inv, tier, args, report) => {
            const stateful = STATEFUL_TYPES[args.type];
            if (!inv.deletionProtection || !stateful) {
                return;
            }
            const what = label(args.type, args.name);
            if (args.opts.protect !== true) {
                report(`[${tier}] ${what} holds data and must keep the \`protect: true\` resource option (invariants.${tier}.deletion-protection).`);
            }
            const prop = stateful.deletionProtection;
            if (prop !== undefined && args.props[prop] !== true) {
                report(`[${tier}] ${what} must set ${prop}: true (found ${describe(args.props[prop])}; invariants.${tier}.deletion-protection).`);
            }
        }),
    };
}

export function backupRetentionPolicy(deps: PackDeps): ResourceValidationPolicy {
    return {
        name: BACKUP_RETENTION_POLICY,
        description: "Databases on tiers with `min-backup-retention-days` keep at least that many days of automated backups.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: withInvariants(deps, (inv, tier, args, report) => {
            const floor = inv.minBackupRetentionDays;
            const stateful = STATEFUL_TYPES[args.type];
            if (floor === undefined || floor === 0 || !stateful?.backup) {
                return;
            }
            const what = label(args.type, args.name);
            if (stateful.backup === "retention") {
                const days = args.props.backupRetentionPeriod;
                if (typeof days !== "number" || days < floor) {
                    const found = days === undefined ? "not set (the provider default is 1 day)" : describe(days);
                    report(`[${tier}] ${what} must keep backupRetentionPeriod >= ${floor} days (found ${found}; invariants.${tier}.min-backup-retention-days).`);
                }
                return;
            }
            // DynamoDB has no retention setting: point-in-time recovery keeps 35 days of continuous backups.
            const pitr = args.props.pointInTimeRecovery as { enabled?: unknown } | undefined;
            if (pitr?.enabled !== true) {
                report(`[${tier}] ${what} must enable pointInTimeRecovery (35 days of backups) to meet the ${floor}-day floor (invariants.${tier}.min-backup-retention-days).`);
            }
        }),
    };
}

export function describe(value: unknown): string {
    return value === undefined ? "not set" : JSON.stringify(value);
}
