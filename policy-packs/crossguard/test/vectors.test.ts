// Cross-language token vectors. This test mints test/vectors/node-minted.json (the C# test verifies it) and
// verifies test/vectors/csharp-minted.json (minted by tests/InfraGuard.Core.Tests/Approvals/ApprovalTokenVectorTests.cs).
// Ed25519 and the canonical payload are deterministic, so both sides must also produce identical tokens.
// Regenerate with INFRAGUARD_UPDATE_VECTORS=1 npm test.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { canonicalJson, keyId, mintToken, parseKeyRing, parseStackIdentity, rawPublicKeyFromSeed, signPayloadText, verifyToken, type MintRequest, type Purpose, type VerifyStatus } from "../src/token";
import { packRoot } from "./helpers";

const TRUSTED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex"); // RFC 8032 TEST 1
const UNTRUSTED = Buffer.from("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "hex"); // RFC 8032 TEST 2
const PLAN = "ccebcb7005114873314adc8da1f8b77e4ee3af06a6e1b9501db58996857433c1";
const OTHER_PLAN = "b8ff55f311117f104fe13a6866a465c6147cef528b0a87806f1c5a29acd2c858";
const NOW = 1767225600;
const dir = path.join(packRoot, "test", "vectors");
const GLASS = { incident: "INC-4711", by: "alice" };

interface Vector {
    name: string;
    token: string;
    expect: { stack: string; plan: string; purpose: Purpose; now: number; breakGlassAllowed?: boolean };
    result: VerifyStatus;
}
interface VectorFile {
    description: string;
    generator: string;
    trustedKeys: Record<string, string>;
    signers: Record<string, { seed: string; kid: string }>;
    vectors: Vector[];
}

function nodeVectors(): VectorFile {
    const base: MintRequest = { stack: "acme/orders-service/prod", req: "chg_01JB8YQ3ZK", plan: PLAN, purpose: "apply", exp: NOW + 900 };
    const expect = { stack: "acme/orders-service/prod", plan: PLAN, purpose: "apply" as Purpose, now: NOW };
    const m = (over: Partial<MintRequest> = {}, seed = TRUSTED) => mintToken(seed, { ...base, ...over });
    const trustedKid = keyId(rawPublicKeyFromSeed(TRUSTED));
    const basePayload = canonicalJson({ exp: base.exp, kid: trustedKid, plan: PLAN, purpose: "apply", req: base.req, stack: base.stack, v: 1 });
    const valid = m();
    const glass = m({ breakGlass: GLASS });
    const glassPayload = (purpose: Purpose, withBy: boolean) =>
        canonicalJson({ breakglass: GLASS.incident, ...(withBy ? { breakglass_by: GLASS.by } : {}), exp: base.exp, kid: trustedKid, plan: PLAN, purpose, req: base.req, stack: base.stack, v: 1 });
    const allowed = { breakGlassAllowed: true };
    const v = (name: string, token: string, result: VerifyStatus, over: Partial<Vector["expect"]> = {}): Vector => ({ name, token, expect: { ...expect, ...over }, result });
    return {
        description: "igt1 approval-token vectors; see docs/crossguard.md#token-format. Keys are the RFC 8032 section 7.1 TEST 1 (trusted) and TEST 2 (untrusted) keys.",
        generator: "policy-packs/crossguard/test/vectors.test.ts",
        trustedKeys: { [trustedKid]: rawPublicKeyFromSeed(TRUSTED).toString("base64") },
        signers: {
            trusted: { seed: TRUSTED.toString("hex"), kid: trustedKid },
            untrusted: { seed: UNTRUSTED.toString("hex"), kid: keyId(rawPublicKeyFromSeed(UNTRUSTED)) },
        },
        vectors: [
            v("valid-apply", valid, "valid"),
            v("valid-preview", m({ purpose: "preview" }), "valid", { purpose: "preview" }),
            v("valid-bare-stack-with-project", m({ stack: "prod", project: "orders-service" }), "valid"),
            v("expired", m({ exp: NOW - 1 }), "expired"),
            v("expired-at-exp", m({ exp: NOW }), "expired"),
            v("wrong-stack", m({ stack: "acme/orders-service/staging" }), "wrong-stack"),
            v("wrong-project-claim", m({ stack: "prod", project: "billing" }), "wrong-stack"),
            v("wrong-plan", m({ plan: OTHER_PLAN }), "wrong-plan"),
            v("wrong-purpose", m({ purpose: "preview" }), "wrong-purpose"),
            v("unknown-key", m({}, UNTRUSTED), "unknown-key"),
            v("forged-kid", signPayloadText(UNTRUSTED, basePayload), "bad-signature"),
            v("tampered-payload", `igt1.${m({ stack: "acme/orders-service/staging" }).split(".")[1]}.${valid.split(".")[2]}`, "bad-signature"),
            v("padded-signature", `${valid}==`, "bad-format"),
            v("non-canonical-payload", signPayloadText(TRUSTED, basePayload.replace(",", ", ")), "bad-format"),
            v("valid-break-glass", glass, "valid", allowed),
            v("break-glass-tier-without", glass, "break-glass-not-allowed"),
            v("break-glass-claim-stripped", `igt1.${valid.split(".")[1]}.${glass.split(".")[2]}`, "bad-signature", allowed),
            v("break-glass-claim-added", `igt1.${glass.split(".")[1]}.${valid.split(".")[2]}`, "bad-signature", allowed),
            v("break-glass-half-claim", signPayloadText(TRUSTED, glassPayload("apply", false)), "bad-format", allowed),
            v("break-glass-on-preview", signPayloadText(TRUSTED, glassPayload("preview", true)), "bad-format", { purpose: "preview", ...allowed }),
        ],
    };
}

function readVectors(name: string): VectorFile {
    const file = path.join(dir, name);
    assert.ok(fs.existsSync(file), `${file} is missing; regenerate it with INFRAGUARD_UPDATE_VECTORS=1 (see the header of this test)`);
    return JSON.parse(fs.readFileSync(file, "utf8")) as VectorFile;
}

function check(file: VectorFile): void {
    const keys = parseKeyRing(file.trustedKeys);
    for (const vec of file.vectors) {
        const result = verifyToken(vec.token, keys, {
            stack: parseStackIdentity(vec.expect.stack),
            plan: vec.expect.plan,
            purposes: [vec.expect.purpose],
            now: vec.expect.now,
            breakGlassAllowed: vec.expect.breakGlassAllowed === true,
        });
        assert.equal(result.status, vec.result, `${vec.name}: ${result.detail}`);
    }
}

test("nodeMintedVectors_MatchCheckedInFile", () => {
    const fresh = nodeVectors();
    if (process.env.INFRAGUARD_UPDATE_VECTORS === "1") {
        fs.writeFileSync(path.join(dir, "node-minted.json"), JSON.stringify(fresh, null, 2) + "\n");
    }
    assert.deepEqual(readVectors("node-minted.json"), fresh);
});

test("nodeMintedVectors_VerifyToTheirExpectedResults", () => {
    const file = nodeVectors();
    check(file);
    const results = new Set(file.vectors.map((x) => x.result));
    for (const r of ["valid", "bad-format", "bad-signature", "unknown-key", "expired", "wrong-stack", "wrong-plan", "wrong-purpose", "break-glass-not-allowed"]) {
        assert.ok(results.has(r as VerifyStatus), `no vector yields ${r}`);
    }
});

test("csharpMintedVectors_VerifyInThePack", () => {
    const file = readVectors("csharp-minted.json");
    assert.ok(file.vectors.length >= 10, "the C# file should carry the full vector set");
    check(file);
});

test("csharpMintedVectors_AreByteIdenticalToNodeMinted", () => {
    const cs = readVectors("csharp-minted.json");
    const node = new Map(nodeVectors().vectors.map((x) => [x.name, x.token]));
    for (const vec of cs.vectors) {
        assert.equal(vec.token, node.get(vec.name), `${vec.name}: C# and Node mint different tokens for the same claims`);
    }
    assert.deepEqual(cs.trustedKeys, nodeVectors().trustedKeys);
});
