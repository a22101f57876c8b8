import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import { test } from "node:test";
import {
    base64UrlDecodeStrict,
    canonicalJson,
    keyId,
    mintToken,
    parseKeyRing,
    parseStackIdentity,
    rawPublicKeyFromSeed,
    signPayloadText,
    stackMatches,
    verifyToken,
    type Expectation,
} from "../src/token";

// RFC 8032 section 7.1, TEST 1: a published key pair, so the public key below is independently known.
const SEED = Buffer.from("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "hex");
const RFC_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const OTHER_SEED = Buffer.from("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "hex");
const PLAN = "ccebcb7005114873314adc8da1f8b77e4ee3af06a6e1b9501db58996857433c1";
const NOW = 1767225600;

const keys = parseKeyRing({ [keyId(rawPublicKeyFromSeed(SEED))]: rawPublicKeyFromSeed(SEED).toString("base64") });
const expect = (over: Partial<Expectation> = {}): Expectation => ({
    stack: parseStackIdentity("acme/orders-service/prod"),
    plan: PLAN,
    purposes: ["apply"],
    now: NOW,
    ...over,
});
const mint = (over: Partial<Parameters<typeof mintToken>[1]> = {}, seed = SEED) =>
    mintToken(seed, { stack: "acme/orders-service/prod", req: "chg_01JB8YQ3ZK", plan: PLAN, purpose: "apply", exp: NOW + 900, ...over });

test("rawPublicKeyFromSeed_Rfc8032Test1_MatchesPublishedKey", () => {
    assert.equal(rawPublicKeyFromSeed(SEED).toString("hex"), RFC_PUBLIC);
});

test("keyId_Rfc8032Key_IsPrefixOfSha256", () => {
    const expected = "ed25519:" + crypto.createHash("sha256").update(Buffer.from(RFC_PUBLIC, "hex")).digest("hex").slice(0, 16);
    assert.equal(keyId(Buffer.from(RFC_PUBLIC, "hex")), expected);
    assert.match(expected, /^ed25519:[0-9a-f]{16}$/);
});

test("canonicalJson_SortsKeysOrdinalAndEscapesLikeJsonStringify", () => {
    assert.equal(canonicalJson({ b: 1, a: "x\"y\\\n\u0001é", B: 2 }), '{"B":2,"a":"x\\"y\\\\\\n\\u0001é","b":1}');
    assert.throws(() => canonicalJson({ a: 1.5 }), /integers only/);
});

test("mintToken_ThenVerify_IsValidAndCarriesClaims", () => {
    const token = mint();
    assert.match(token, /^igt1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/);
    const payload = Buffer.from(token.split(".")[1], "base64url").toString("utf8");
    assert.equal(payload, `{"exp":${NOW + 900},"kid":"${keyId(Buffer.from(RFC_PUBLIC, "hex"))}","plan":"${PLAN}","purpose":"apply","req":"chg_01JB8YQ3ZK","stack":"acme/orders-service/prod","v":1}`);
    const result = verifyToken(token, keys, expect());
    assert.equal(result.status, "valid");
    assert.equal(result.claims?.req, "chg_01JB8YQ3ZK");
});

test("verifyToken_EachRefusal_ReportsItsReason", () => {
    const cases: [string, string, Expectation][] = [
        ["expired at exp", mint({ exp: NOW }), expect()],
        ["wrong stack", mint({ stack: "acme/orders-service/staging" }), expect()],
        ["wrong project", mint({ stack: "acme/billing/prod" }), expect()],
        ["wrong org", mint({ stack: "evil/orders-service/prod" }), expect()],
        ["wrong plan", mint({ plan: "b8ff55f311117f104fe13a6866a465c6147cef528b0a87806f1c5a29acd2c858" }), expect()],
        ["wrong purpose", mint({ purpose: "preview" }), expect()],
        ["unknown key", mint({}, OTHER_SEED), expect()],
    ];
    const wanted = ["expired", "wrong-stack", "wrong-stack", "wrong-stack", "wrong-plan", "wrong-purpose", "unknown-key"];
    cases.forEach(([name, token, ex], i) => assert.equal(verifyToken(token, keys, ex).status, wanted[i], name));
});

test("verifyToken_TamperedOrMalformed_IsRefused", () => {
    const token = mint();
    const [, payload, sig] = token.split(".");
    const otherPayload = mint({ stack: "acme/orders-service/staging" }).split(".")[1];
    const flipped = Buffer.from(sig, "base64url");
    flipped[0] ^= 1;
    assert.equal(verifyToken(`igt1.${otherPayload}.${sig}`, keys, expect()).status, "bad-signature");
    assert.equal(verifyToken(`igt1.${payload}.${flipped.toString("base64url")}`, keys, expect()).status, "bad-signature");
    assert.equal(verifyToken(`${token}==`, keys, expect()).status, "bad-format");
    assert.equal(verifyToken(token.replace("igt1.", "igt2."), keys, expect()).status, "bad-format");
    assert.equal(verifyToken(`${token}.x`, keys, expect()).status, "bad-format");
    assert.equal(verifyToken("", keys, expect()).status, "bad-format");
    // Signed by the trusted key but not canonical (a space) or with an extra claim: still refused.
    const kid = keyId(rawPublicKeyFromSeed(SEED));
    const spaced = `{"exp":${NOW + 900}, "kid":"${kid}","plan":"${PLAN}","purpose":"apply","req":"r","stack":"prod","v":1}`;
    assert.equal(verifyToken(signPayloadText(SEED, spaced), keys, expect()).status, "bad-format");
    const extra = `{"admin":1,"exp":${NOW + 900},"kid":"${kid}","plan":"${PLAN}","purpose":"apply","req":"r","stack":"prod","v":1}`;
    assert.equal(verifyToken(signPayloadText(SEED, extra), keys, expect()).status, "bad-format");
    const float = `{"exp":${NOW + 900}.5,"kid":"${kid}","plan":"${PLAN}","purpose":"apply","req":"r","stack":"prod","v":1}`;
    assert.equal(verifyToken(signPayloadText(SEED, float), keys, expect()).status, "bad-format");
});

test("verifyToken_ForgedKidOfTrustedKey_IsBadSignature", () => {
    const kid = keyId(rawPublicKeyFromSeed(SEED));
    const payload = canonicalJson({ exp: NOW + 900, kid, plan: PLAN, purpose: "apply", req: "r", stack: "acme/orders-service/prod", v: 1 });
    assert.equal(verifyToken(signPayloadText(OTHER_SEED, payload), keys, expect()).status, "bad-signature");
});

test("base64UrlDecodeStrict_RejectsPaddingForeignCharsAndNonCanonicalBits", () => {
    assert.deepEqual(base64UrlDecodeStrict("AQI"), Buffer.from([1, 2]));
    assert.equal(base64UrlDecodeStrict("AQI="), undefined);
    assert.equal(base64UrlDecodeStrict("AQ+/"), undefined);
    assert.equal(base64UrlDecodeStrict("AQJ"), undefined); // trailing bits set
});

test("stackMatches_BareAndQualifiedNames", () => {
    const id = { organization: "acme", project: "orders-service", stack: "prod" };
    assert.equal(stackMatches({ stack: "prod" }, id), true);
    assert.equal(stackMatches({ stack: "prod", project: "billing" }, id), false);
    assert.equal(stackMatches({ stack: "acme/orders-service/prod" }, { project: "orders-service", stack: "prod" }), true, "org unknown to the engine");
    assert.equal(stackMatches({ stack: "acme/orders-service/prod" }, { stack: "prod" }), false, "project unknown: fail closed");
});

test("parseKeyRing_KidNotMatchingKey_Throws", () => {
    const pub = rawPublicKeyFromSeed(SEED).toString("base64");
    assert.throws(() => parseKeyRing({ "ed25519:0000000000000000": pub }), /does not match its key; it should be "ed25519:[0-9a-f]{16}"/);
    assert.throws(() => parseKeyRing({}), /empty/);
    assert.throws(() => parseKeyRing(undefined), /must be an object/);
    assert.throws(() => parseKeyRing({ [keyId(rawPublicKeyFromSeed(SEED))]: "not-base64" }), /base64/);
});
