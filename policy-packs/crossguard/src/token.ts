// InfraGuard approval tokens (format igt1), the TypeScript twin of
// src/InfraGuard.Core/Approvals/ApprovalToken.cs. Both sides must agree byte for byte; the cross-language
// vectors in test/vectors/ prove it.
//
//   token     = "igt1." + base64url(payload) + "." + base64url(signature)      (no padding)
//   payload   = UTF-8 canonical JSON: keys sorted ordinal, no whitespace, integers only
//               {"breakglass"?:"<incident>","breakglass_by"?:"<person>",   (both or neither; apply tokens only)
//                "exp":<unix s>,"kid":"ed25519:<16 hex>","plan":"<sha256 hex>","project"?:"<name>",
//                "purpose":"apply"|"preview","req":"<request id>","stack":"<org/project/stack | stack>","v":1}
//   signature = Ed25519 over the ASCII bytes of "igt1." + base64url(payload)
//   kid       = "ed25519:" + first 16 hex chars of SHA-256(raw 32-byte public key)
import * as crypto from "node:crypto";

export const TOKEN_PREFIX = "igt1.";

export type Purpose = "apply" | "preview";

/** The signed claims of a token. `project` is optional and, when present, must equal the engine's project. */
export interface ApprovalClaims {
    /** Break-glass: the incident id. Present exactly when `breakglass_by` is. */
    breakglass?: string;
    /** Break-glass: the person who broke the glass. */
    breakglass_by?: string;
    exp: number;
    kid: string;
    plan: string;
    project?: string;
    purpose: Purpose;
    req: string;
    stack: string;
    v: 1;
}

/** Why a token was accepted or refused. The order of checks is fixed (see `verifyToken`). */
export type VerifyStatus =
    | "valid"
    | "bad-format"
    | "bad-signature"
    | "unknown-key"
    | "expired"
    | "wrong-stack"
    | "wrong-plan"
    | "wrong-purpose"
    | "break-glass-not-allowed";

export interface VerifyResult {
    status: VerifyStatus;
    /** Human-readable detail; never contains the token or key material. */
    detail: string;
    /** The claims, when the payload parsed (even if the token was refused later). */
    claims?: ApprovalClaims;
}

/** The stack a run targets, as the engine reports it. Organization may be unknown (older CLIs, some backends). */
export interface StackIdentity {
    organization?: string;
    project?: string;
    stack: string;
}

export interface Expectation {
    stack: StackIdentity;
    /** When set, the token's plan hash must equal it. The policy pack cannot see the plan, so it leaves this unset. */
    plan?: string;
    /** Purposes accepted for this run. */
    purposes: readonly Purpose[];
    /** Current time in Unix seconds. The token is expired when now >= exp. */
    now: number;
    /** True only when the stack's tier has a `break-glass` group; a break-glass token is refused otherwise (fail closed). */
    breakGlassAllowed?: boolean;
}

export type KeyRing = ReadonlyMap<string, crypto.KeyObject>;

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const KID_RE = /^ed25519:[0-9a-f]{16}$/;
const PLAN_RE = /^[0-9a-f]{64}$/;
const ALLOWED_KEYS = new Set(["breakglass", "breakglass_by", "exp", "kid", "plan", "project", "purpose", "req", "stack", "v"]);
const REQUIRED_KEYS = ["exp", "kid", "plan", "purpose", "req", "stack", "v"];

/** kid = "ed25519:" + first 16 hex chars of SHA-256(raw public key). */
export function keyId(rawPublicKey: Uint8Array): string {
    if (rawPublicKey.length !== 32) {
        throw new Error(`an Ed25519 public key has 32 bytes, got ${rawPublicKey.length}`);
    }
    return "ed25519:" + crypto.createHash("sha256").update(rawPublicKey).digest("hex").slice(0, 16);
}

export function publicKeyFromRaw(rawPublicKey: Uint8Array): crypto.KeyObject {
    return crypto.createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(rawPublicKey)]),
        format: "der",
        type: "spki",
    });
}

export function privateKeyFromSeed(seed: Uint8Array): crypto.KeyObject {
    if (seed.length !== 32) {
        throw new Error(`an Ed25519 seed has 32 bytes, got ${seed.length}`);
    }
    return crypto.createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(seed)]),
        format: "der",
        type: "pkcs8",
    });
}

export function rawPublicKeyFromSeed(seed: Uint8Array): Buffer {
    const spki = crypto.createPublicKey(privateKeyFromSeed(seed)).export({ format: "der", type: "spki" });
    return Buffer.from(spki.subarray(ED25519_SPKI_PREFIX.length));
}

/**
 * Builds a key ring from policy config: `{"ed25519:<16 hex>": "<base64 raw 32-byte public key>"}`.
 * Throws when a key is malformed or its id does not match the key, so a typo cannot silently disable a key.
 */
export function parseKeyRing(config: unknown): KeyRing {
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new Error("publicKeys must be an object mapping key ids to base64 Ed25519 public keys");
    }
    const ring = new Map<string, crypto.KeyObject>();
    for (const [kid, value] of Object.entries(config as Record<string, unknown>)) {
        if (typeof value !== "string" || !/^[A-Za-z0-9+/]{43}=$/.test(value)) {
            throw new Error(`publicKeys["${kid}"] must be the base64 of a raw 32-byte Ed25519 public key`);
        }
        const raw = Buffer.from(value, "base64");
        const expected = keyId(raw);
        if (kid !== expected) {
            throw new Error(`publicKeys: key id "${kid}" does not match its key; it should be "${expected}"`);
        }
        ring.set(kid, publicKeyFromRaw(raw));
    }
    if (ring.size === 0) {
        throw new Error("publicKeys is empty; add the InfraGuard public key(s)");
    }
    return ring;
}

/** Canonical JSON of a flat object of strings and safe integers: keys sorted ordinal, no whitespace. */
export function canonicalJson(value: Record<string, string | number>): string {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const parts = keys.map((k) => {
        const v = value[k];
        if (typeof v === "number") {
            if (!Number.isSafeInteger(v)) {
                throw new Error(`canonical JSON allows integers only; "${k}" is ${v}`);
            }
            return `${JSON.stringify(k)}:${String(v)}`;
        }
        if (typeof v !== "string") {
            throw new Error(`canonical JSON here allows strings and integers only; "${k}" is ${typeof v}`);
        }
        return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    return `{${parts.join(",")}}`;
}

export function base64UrlEncode(bytes: Uint8Array): string {
    return Buffer.from(bytes).toString("base64url");
}

/** Strict base64url: alphabet only, no padding, and the text must be the canonical encoding of its bytes. */
export function base64UrlDecodeStrict(text: string): Buffer | undefined {
    if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
        return undefined;
    }
    const bytes = Buffer.from(text, "base64url");
    return bytes.toString("base64url") === text ? bytes : undefined;
}

export interface MintRequest {
    stack: string;
    req: string;
    plan: string;
    purpose: Purpose;
    /** Unix seconds. */
    exp: number;
    project?: string;
    /** Break-glass: the incident and the person. */
    breakGlass?: { incident: string; by: string };
}

/** Mints a token. InfraGuard mints in C#; this exists for the cross-language vectors and local experiments. */
export function mintToken(seed: Uint8Array, request: MintRequest): string {
    const claims: Record<string, string | number> = {
        exp: request.exp,
        kid: keyId(rawPublicKeyFromSeed(seed)),
        plan: request.plan,
        purpose: request.purpose,
        req: request.req,
        stack: request.stack,
        v: 1,
    };
    if (request.project !== undefined) {
        claims.project = request.project;
    }
    if (request.breakGlass !== undefined) {
        claims.breakglass = request.breakGlass.incident;
        claims.breakglass_by = request.breakGlass.by;
    }
    const problem = claimsProblem(claims);
    if (problem) {
        throw new Error(`cannot mint: ${problem}`);
    }
    return signPayloadText(seed, canonicalJson(claims));
}

/**
 * Signs an arbitrary payload text with the igt1 framing. Used by the vectors to build refusals (forged kid,
 * non-canonical payload); real tokens come from `mintToken`.
 */
export function signPayloadText(seed: Uint8Array, payloadText: string): string {
    const signingInput = TOKEN_PREFIX + base64UrlEncode(Buffer.from(payloadText, "utf8"));
    const signature = crypto.sign(null, Buffer.from(signingInput, "ascii"), privateKeyFromSeed(seed));
    return `${signingInput}.${base64UrlEncode(signature)}`;
}

/**
 * Verifies a token. Checks run in this order and the first failure wins (the C# verifier uses the same order):
 * bad-format, unknown-key, bad-signature, expired, wrong-stack, wrong-plan, wrong-purpose, break-glass-not-allowed.
 */
export function verifyToken(token: string, keys: KeyRing, expect: Expectation): VerifyResult {
    if (typeof token !== "string" || !token.startsWith(TOKEN_PREFIX)) {
        return { status: "bad-format", detail: `token does not start with "${TOKEN_PREFIX}"` };
    }
    const parts = token.slice(TOKEN_PREFIX.length).split(".");
    if (parts.length !== 2) {
        return { status: "bad-format", detail: "token must have exactly two base64url parts after the prefix" };
    }
    const payloadBytes = base64UrlDecodeStrict(parts[0]);
    const signature = base64UrlDecodeStrict(parts[1]);
    if (!payloadBytes || !signature) {
        return { status: "bad-format", detail: "token parts must be unpadded base64url" };
    }
    if (signature.length !== 64) {
        return { status: "bad-format", detail: "an Ed25519 signature has 64 bytes" };
    }
    let payloadText: string;
    let parsed: unknown;
    try {
        payloadText = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(payloadBytes);
        parsed = JSON.parse(payloadText);
    } catch {
        return { status: "bad-format", detail: "payload is not UTF-8 JSON" };
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        return { status: "bad-format", detail: "payload is not a JSON object" };
    }
    const problem = claimsProblem(parsed as Record<string, unknown>);
    if (problem) {
        return { status: "bad-format", detail: problem };
    }
    const claims = parsed as ApprovalClaims;
    if (canonicalJson(claims as unknown as Record<string, string | number>) !== payloadText) {
        return { status: "bad-format", detail: "payload is not canonical JSON", claims };
    }
    const key = keys.get(claims.kid);
    if (!key) {
        return { status: "unknown-key", detail: `key ${claims.kid} is not among the trusted InfraGuard keys`, claims };
    }
    const signingInput = Buffer.from(TOKEN_PREFIX + parts[0], "ascii");
    if (!crypto.verify(null, signingInput, key, signature)) {
        return { status: "bad-signature", detail: "signature does not verify", claims };
    }
    if (expect.now >= claims.exp) {
        return { status: "expired", detail: `token expired at ${new Date(claims.exp * 1000).toISOString()}`, claims };
    }
    if (!stackMatches(claims, expect.stack)) {
        return {
            status: "wrong-stack",
            detail: `token is for stack "${claims.stack}", this run is for "${describeStack(expect.stack)}"`,
            claims,
        };
    }
    if (expect.plan !== undefined && claims.plan !== expect.plan) {
        return { status: "wrong-plan", detail: "token is bound to a different plan", claims };
    }
    if (!expect.purposes.includes(claims.purpose)) {
        return {
            status: "wrong-purpose",
            detail: `token purpose is "${claims.purpose}", this run needs ${expect.purposes.map((p) => `"${p}"`).join(" or ")}`,
            claims,
        };
    }
    if (claims.breakglass !== undefined && expect.breakGlassAllowed !== true) {
        return {
            status: "break-glass-not-allowed",
            detail: `token is a break-glass (${claims.breakglass}, by ${claims.breakglass_by}) and this stack's tier has no break-glass group`,
            claims,
        };
    }
    if (claims.breakglass !== undefined) {
        return { status: "valid", detail: `break-glass request ${claims.req} (${claims.breakglass}, by ${claims.breakglass_by})`, claims };
    }
    return { status: "valid", detail: `approved request ${claims.req}`, claims };
}

/**
 * A three-part token stack "org/project/stack" matches when project and stack are equal and the organization is
 * equal or unknown to the engine. A bare token stack matches the stack name. A `project` claim must match too.
 */
export function stackMatches(claims: Pick<ApprovalClaims, "stack" | "project">, id: StackIdentity): boolean {
    if (claims.project !== undefined && claims.project !== id.project) {
        return false;
    }
    const parts = claims.stack.split("/");
    if (parts.length === 1) {
        return parts[0] === id.stack;
    }
    const [org, project, stack] = parts;
    return (
        id.project !== undefined &&
        project === id.project &&
        stack === id.stack &&
        (id.organization === undefined || org === id.organization)
    );
}

/** Parses "org/project/stack" or "stack" into an identity (used for expectations given as strings). */
export function parseStackIdentity(text: string): StackIdentity {
    const parts = text.split("/");
    if (parts.length === 3) {
        return { organization: parts[0], project: parts[1], stack: parts[2] };
    }
    if (parts.length === 1) {
        return { stack: parts[0] };
    }
    throw new Error(`stack "${text}" must be "org/project/stack" or a bare stack name`);
}

export function describeStack(id: StackIdentity): string {
    return [id.organization, id.project, id.stack].filter((p) => p !== undefined && p !== "").join("/");
}

function claimsProblem(c: Record<string, unknown>): string | undefined {
    for (const k of Object.keys(c)) {
        if (!ALLOWED_KEYS.has(k)) {
            return `unknown claim "${k}"`;
        }
    }
    for (const k of REQUIRED_KEYS) {
        if (!(k in c)) {
            return `missing claim "${k}"`;
        }
    }
    if (c.v !== 1) {
        return "unsupported token version (v must be 1)";
    }
    if (typeof c.exp !== "number" || !Number.isSafeInteger(c.exp) || c.exp <= 0) {
        return "exp must be a positive integer (Unix seconds)";
    }
    if (typeof c.kid !== "string" || !KID_RE.test(c.kid)) {
        return 'kid must be "ed25519:" + 16 lowercase hex chars';
    }
    if (typeof c.plan !== "string" || !PLAN_RE.test(c.plan)) {
        return "plan must be 64 lowercase hex chars (SHA-256)";
    }
    if (c.purpose !== "apply" && c.purpose !== "preview") {
        return 'purpose must be "apply" or "preview"';
    }
    if (typeof c.req !== "string" || c.req.length === 0 || c.req.length > 200) {
        return "req must be a request id of 1-200 characters";
    }
    if (typeof c.stack !== "string" || !isStackName(c.stack)) {
        return 'stack must be "org/project/stack" or a bare stack name';
    }
    if ("project" in c && (typeof c.project !== "string" || c.project.length === 0 || c.project.includes("/"))) {
        return "project must be a non-empty name without '/'";
    }
    if (("breakglass" in c) !== ("breakglass_by" in c)) {
        return "breakglass and breakglass_by go together";
    }
    if (
        "breakglass" in c &&
        (typeof c.breakglass !== "string" || c.breakglass.length === 0 || c.breakglass.length > 100 ||
            typeof c.breakglass_by !== "string" || c.breakglass_by.length === 0 || c.breakglass_by.length > 200)
    ) {
        return "breakglass must be an incident id of 1-100 characters and breakglass_by a person of 1-200 characters";
    }
    if ("breakglass" in c && c.purpose !== "apply") {
        return "only an apply token may carry breakglass";
    }
    return undefined;
}

function isStackName(text: string): boolean {
    const parts = text.split("/");
    return text.length <= 400 && (parts.length === 1 || parts.length === 3) && parts.every((p) => p.length > 0);
}
