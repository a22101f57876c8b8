// Buckets whose classification tag names a private data class stay private: no public canned ACL or public grant,
// no bucket policy that allows everyone, and a public access block with all four switches on.
// A stack policy, because the ACL, the policy and the access block are separate resources pointing at the bucket.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { describe } from "./invariants";
import { BUCKET_TYPES, label, loadSetting, type PackDeps } from "./shared";

export const PRIVATE_BUCKETS_POLICY = "infraguard-private-data-buckets";

const PUBLIC_ACLS = new Set(["public-read", "public-read-write", "authenticated-read"]);
const PUBLIC_GRANTEES = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];
const ACCESS_BLOCK_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
const ACCESS_BLOCK_TYPE = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock";
const ACL_TYPES = ["aws:s3/bucketAclV2:BucketAclV2", "aws:s3/bucketAcl:BucketAcl"];
const POLICY_TYPE = "aws:s3/bucketPolicy:BucketPolicy";

export function privateBucketsPolicy(deps: PackDeps): StackValidationPolicy {
    return {
        name: PRIVATE_BUCKETS_POLICY,
        description: "Buckets tagged with a private data class keep public access blocked.",
        enforcementLevel: "mandatory",
        severity: "critical",
        validateStack: (args, report) => {
            const setting = loadSetting(deps);
            if (!setting.ok) {
                report(`InfraGuard cannot check tier invariants: ${setting.error}`);
                return;
            }
            const tier = setting.tier.tier;
            const inv = tier?.invariants;
            if (!tier || !inv || inv.privateDataClasses.length === 0) {
                return;
            }
            const classes = new Set(inv.privateDataClasses.map((c) => c.toLowerCase()));
            for (const bucket of args.resources.filter((r) => BUCKET_TYPES.includes(r.type))) {
                const cls = classification(bucket, inv.classificationTag);
                if (cls === undefined || !classes.has(cls.toLowerCase())) {
                    continue;
                }
                const where = `[${tier.name}] ${label(bucket.type, bucket.name)} is tagged ${inv.classificationTag}=${cls}`;
                const rule = `invariants.${tier.name}.private-data-classes`;
                const attached = args.resources.filter((r) => attachedTo(r, bucket));

                if (typeof bucket.props.acl === "string" && PUBLIC_ACLS.has(bucket.props.acl)) {
                    report(`${where} but has the public ACL "${bucket.props.acl}"; use "private" (${rule}).`, bucket.urn);
                }
                if (hasPublicGrant(bucket.props.grants)) {
                    report(`${where} but grants access to all (authenticated) AWS users; remove that grant (${rule}).`, bucket.urn);
                }
                for (const acl of attached.filter((r) => ACL_TYPES.includes(r.type))) {
                    const policy = acl.props.accessControlPolicy as { grants?: unknown } | undefined;
                    if ((typeof acl.props.acl === "string" && PUBLIC_ACLS.has(acl.props.acl)) || hasPublicGrant(policy?.grants)) {
                        report(`${where} but ${label(acl.type, acl.name)} makes it public; use the "private" ACL (${rule}).`, acl.urn);
                    }
                }
                for (const pol of attached.filter((r) => r.type === POLICY_TYPE)) {
                    if (allowsEveryone(pol.props.policy)) {
                        report(`${where} but ${label(pol.type, pol.name)} allows Principal "*" without a condition (${rule}).`, pol.urn);
                    }
                }
                const blocks = attached.filter((r) => r.type === ACCESS_BLOCK_TYPE);
                if (blocks.length === 0) {
                    report(`${where} but has no aws:s3:BucketPublicAccessBlock; add one with ${ACCESS_BLOCK_FLAGS.join(", ")} all true (${rule}).`, bucket.urn);
                }
                for (const block of blocks) {
                    const off = ACCESS_BLOCK_FLAGS.filter((f) => block.props[f] !== true);
                    if (off.length > 0) {
                        report(`${where} but ${label(block.type, block.name)} leaves ${off.map((f) => `${f}=${describe(block.props[f])}`).join(", ")}; set them all to true (${rule}).`, block.urn);
                    }
                }
            }
        },
    };
}

function classification(bucket: PolicyResource, tag: string): string | undefined {
    for (const key of ["tags", "tagsAll"]) {
        const tags = bucket.props[key] as Record<string, unknown> | undefined;
        const value = tags?.[tag];
        if (typeof value === "string") {
            return value;
        }
    }
    return undefined;
}

/** A resource points at the bucket through its `bucket` input: by dependency (works during preview) or by name/id. */
function attachedTo(r: PolicyResource, bucket: PolicyResource): boolean {
    if (r === bucket) {
        return false;
    }
    if ((r.propertyDependencies?.bucket ?? []).some((d) => d.urn === bucket.urn)) {
        return true;
    }
    const ref = r.props.bucket;
    return typeof ref === "string" && ref !== "" && (ref === bucket.props.id || ref === bucket.props.bucket);
}

function hasPublicGrant(grants: unknown): boolean {
    if (!Array.isArray(grants)) {
        return false;
    }
    return grants.some((g) => {
        const grantee = (g as { grantee?: { uri?: unknown } })?.grantee;
        const uri = grantee?.uri ?? (g as { uri?: unknown })?.uri;
        return typeof uri === "string" && PUBLIC_GRANTEES.includes(uri);
    });
}

function allowsEveryone(policy: unknown): boolean {
    let doc: unknown = policy;
    if (typeof policy === "string") {
        try {
            doc = JSON.parse(policy);
        } catch {
            return false;
        }
    }
    const statements = (doc as { Statement?: unknown })?.Statement;
    const list = Array.isArray(statements) ? statements : statements ? [statements] : [];
    return list.some((s) => {
        const st = s as { Effect?: unknown; Principal?: unknown; Condition?: unknown };
        const p = st.Principal;
        const everyone = p === "*" || (typeof p === "object" && p !== null && ((p as { AWS?: unknown }).AWS === "*" || (Array.isArray((p as { AWS?: unknown }).AWS) && ((p as { AWS: unknown[] }).AWS).includes("*"))));
        return st.Effect === "Allow" && everyone && st.Condition === undefined;
    });
}
