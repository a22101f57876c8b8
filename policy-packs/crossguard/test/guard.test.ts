import * as assert from "node:assert/strict";
import { test } from "node:test";
import { decide, guardPolicies, type GuardConfig } from "../src/policies/guard";
import { parsePolicyFile, PolicyFileError } from "../src/policyFile";
import { keyId, mintToken, rawPublicKeyFromSeed, type MintRequest } from "../src/token";
import { deps, engineEnv, NOW, violations } from "./helpers";

const SEED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
const OTHER = Buffer.from("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "hex");
const PLAN = "ccebcb7005114873314adc8da1f8b77e4ee3af06a6e1b9501db58996857433c1";
const publicKeys = { [keyId(rawPublicKeyFromSeed(SEED))]: rawPublicKeyFromSeed(SEED).toString("base64") };
const token = (over: Partial<MintRequest> = {}, seed = SEED) =>
    mintToken(seed, { stack: "acme/orders-service/prod", req: "chg_1", plan: PLAN, purpose: "apply", exp: NOW + 600, ...over });
const cfg = (over: GuardConfig = {}): GuardConfig => ({ publicKeys, ...over });
const kindOf = (stack: string, dryRun: boolean | undefined, config: GuardConfig, extra: Record<string, string> = {}) =>
    decide(deps(engineEnv(stack, { dryRun, extra })), config);

test("decide_UnguardedTier_Passes", () => {
    assert.equal(kindOf("dev", false, {}).kind, "pass");
    assert.equal(kindOf("staging", false, {}).kind, "pass");
});

test("decide_ProductionUpdateWithoutToken_RefusesAndPointsToInfraguardUp", () => {
    const v = kindOf("prod", false, cfg());
    assert.equal(v.kind, "refuse");
    assert.match((v as { message: string }).message, /acme\/orders-service\/prod is in tier "production".*carries none.*`infraguard up`/);
});

test("decide_ProductionPreviewWithoutToken_OnlyWarns", () => {
    assert.equal(kindOf("prod", true, cfg()).kind, "unguarded-preview");
});

test("decide_TokenFromConfigOrEnvironment_ByPurposeAndRunKind", () => {
    const env = (t: string) => ({ INFRAGUARD_APPROVAL_TOKEN: t });
    assert.equal(kindOf("prod", false, cfg({ approvalToken: token() })).kind, "pass", "apply token, update");
    assert.equal(kindOf("prod", false, cfg(), env(token())).kind, "pass", "apply token from the environment");
    assert.equal(kindOf("prod", true, cfg(), env(token())).kind, "pass", "apply token in the preview phase of the apply");
    assert.equal(kindOf("prod", true, cfg(), env(token({ purpose: "preview" }))).kind, "pass", "InfraGuard's own preview");
    const previewTokenOnUpdate = kindOf("prod", false, cfg(), env(token({ purpose: "preview" })));
    assert.equal(previewTokenOnUpdate.kind, "refuse");
    assert.match((previewTokenOnUpdate as { message: string }).message, /wrong-purpose/);
    assert.equal(kindOf("prod", undefined, cfg(), env(token({ purpose: "preview" }))).kind, "refuse", "unknown run kind counts as update");
    assert.equal(kindOf("prod", false, cfg({ approvalToken: token() }), env("garbage")).kind, "pass", "config wins over the environment");
});

test("decide_BadTokens_AreRefusedWithTheirReason", () => {
    const reasons: [string, string][] = [
        [token({ exp: NOW }), "expired"],
        [token({ stack: "acme/orders-service/staging" }), "wrong-stack"],
        [token({}, OTHER), "unknown-key"],
        ["igt1.abc.def", "bad-format"],
    ];
    for (const [t, reason] of reasons) {
        const v = kindOf("prod", false, cfg({ approvalToken: t }));
        assert.equal(v.kind, "refuse", reason);
        assert.match((v as { message: string }).message, new RegExp(`\\(${reason}:`));
    }
    assert.equal(kindOf("prod", true, cfg({ approvalToken: token({ exp: NOW }) })).kind, "refuse", "an invalid token fails a preview too");
});

test("decide_BreakGlassToken_PassesOnlyWhereTheTierHasABreakGlassGroup", () => {
    const glass = token({ breakGlass: { incident: "INC-7", by: "alice" } });
    const prod = kindOf("prod", false, cfg({ approvalToken: glass }));
    assert.equal(prod.kind, "pass", "production has a break-glass group");
    assert.match((prod as { note: string }).note, /break-glass request chg_1 \(INC-7, by alice\)/);

    // Attack: a genuine break-glass token on a guarded tier without break-glass.
    const stagingGlass = token({ stack: "acme/orders-service/staging", breakGlass: { incident: "INC-7", by: "alice" } });
    const staging = decide(deps(engineEnv("staging", { dryRun: false })), cfg({ approvalToken: stagingGlass, guardedTiers: ["production", "staging"] }));
    assert.equal(staging.kind, "refuse");
    assert.match((staging as { message: string }).message, /\(break-glass-not-allowed: .*no break-glass group/);
});

test("decide_BreakGlassClaimAddedOrStripped_RefusedBySignature", () => {
    const plain = token();
    const glass = token({ breakGlass: { incident: "INC-7", by: "alice" } });
    const added = `igt1.${glass.split(".")[1]}.${plain.split(".")[2]}`;
    const stripped = `igt1.${plain.split(".")[1]}.${glass.split(".")[2]}`;
    for (const t of [added, stripped]) {
        const v = kindOf("prod", false, cfg({ approvalToken: t }));
        assert.equal(v.kind, "refuse");
        assert.match((v as { message: string }).message, /\(bad-signature:/);
    }
});

test("decide_MalformedBreakGlassInPolicyFile_FailsClosed", () => {
    const text = "tiers:\n  production:\n    stacks: [prod]\n    break-glass: sre-leads\n";
    const v = decide(deps(engineEnv("prod", { dryRun: false }), () => NOW, () => parsePolicyFile(text, "policy.yaml")), cfg({ approvalToken: token() }));
    assert.equal(v.kind, "refuse");
    assert.match((v as { message: string }).message, /policy\.yaml:4:18: tiers\.production\.break-glass must be a map with group/);
});

test("decide_MisconfiguredOrBlind_FailsClosed", () => {
    const noKeys = kindOf("prod", false, { approvalToken: token() });
    assert.equal(noKeys.kind, "refuse");
    assert.match((noKeys as { message: string }).message, /misconfigured: publicKeys must be an object/);
    assert.equal(decide(deps({}), cfg({ approvalToken: token() })).kind, "refuse", "stack unknown");
    const noFile = decide(deps(engineEnv("prod", { dryRun: false }), () => NOW, () => { throw new PolicyFileError("policy.yaml not found"); }), cfg());
    assert.equal(noFile.kind, "refuse");
    assert.match((noFile as { message: string }).message, /policy\.yaml not found/);
});

test("decide_StackConfigCannotTurnTheGuardOff", () => {
    const v = decide(deps(engineEnv("prod", { dryRun: false, config: { "infraguard:tier": "development" } })), cfg());
    assert.equal(v.kind, "refuse");
});

test("guardPolicies_Update_ReportsOnEveryResourceAndKeepsFirstVerdict", async () => {
    let now = NOW;
    const d = deps(engineEnv("prod", { dryRun: false, extra: { INFRAGUARD_APPROVAL_TOKEN: token({ exp: NOW + 10 }) } }), () => now);
    const [approval] = guardPolicies(d);
    const stack = { type: "pulumi:pulumi:Stack", name: "orders-service-prod", props: {} };
    assert.deepEqual(await violations(approval as never, stack, cfg()), []);
    now = NOW + 3600; // the token expires during a long update: the run started valid and stays valid
    assert.deepEqual(await violations(approval as never, { type: "aws:rds/instance:Instance", name: "db", props: {} }, cfg()), []);

    const [refusing] = guardPolicies(deps(engineEnv("prod", { dryRun: false })));
    assert.equal((await violations(refusing as never, stack, cfg())).length, 1);
    assert.equal((await violations(refusing as never, stack, cfg())).length, 1, "every resource in an update");
});

test("guardPolicies_RawPreview_OneAdvisoryNoticeAndNoRefusal", async () => {
    const [approval, notice] = guardPolicies(deps(engineEnv("prod", { dryRun: true })));
    const r = { type: "pulumi:pulumi:Stack", name: "s", props: {} };
    const first = [...(await violations(approval as never, r, cfg())), ...(await violations(notice as never, r))];
    const second = [...(await violations(approval as never, r, cfg())), ...(await violations(notice as never, r))];
    assert.equal(first.length, 1);
    assert.match(first[0], /ran outside InfraGuard; `pulumi up` on this stack will be refused/);
    assert.deepEqual(second, [], "reported once per run");
    assert.equal(notice.enforcementLevel, "advisory");
    assert.equal(approval.enforcementLevel, "mandatory");
});

test("guardPolicies_PreviewWithBadToken_RefusesOnce", async () => {
    const [approval] = guardPolicies(deps(engineEnv("prod", { dryRun: true, extra: { INFRAGUARD_APPROVAL_TOKEN: token({}, OTHER) } })));
    const r = { type: "aws:s3/bucketV2:BucketV2", name: "b", props: {} };
    assert.equal((await violations(approval as never, r, cfg())).length, 1);
    assert.equal((await violations(approval as never, r, cfg())).length, 0);
});
