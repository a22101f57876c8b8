import * as assert from "node:assert/strict";
import { test } from "node:test";
import { privateBucketsPolicy } from "../src/policies/buckets";
import { deps, engineEnv, stackViolations, type StackResource } from "./helpers";

const prod = privateBucketsPolicy(deps(engineEnv("prod")));
const BUCKET_URN = "urn:pulumi:prod::orders-service::aws:s3/bucketV2:BucketV2::invoices";
const bucket = (tags: Record<string, string>, extra: Record<string, unknown> = {}): StackResource => ({
    type: "aws:s3/bucketV2:BucketV2",
    name: "invoices",
    urn: BUCKET_URN,
    props: { id: "invoices-3f2a1b", bucket: "invoices-3f2a1b", tags, ...extra },
});
const block = (flags: Partial<Record<string, boolean>> = {}, byName = false): StackResource => ({
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    name: "invoices-pab",
    props: { bucket: byName ? "invoices-3f2a1b" : "04da6b54-80e4-46f7-96ec-b56ff0331ba9", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...flags },
    dependsOnBucket: byName ? undefined : BUCKET_URN,
});
const confidential = { "data-classification": "Confidential" };

test("privateBuckets_ClassifiedBucketWithFullAccessBlock_Passes", async () => {
    assert.deepEqual(await stackViolations(prod, [bucket(confidential), block()]), []);
    assert.deepEqual(await stackViolations(prod, [bucket(confidential), block({}, true)]), [], "attached by bucket name");
});

test("privateBuckets_ClassifiedBucketWithoutAccessBlock_Violates", async () => {
    const found = await stackViolations(prod, [bucket(confidential)]);
    assert.equal(found.length, 1);
    assert.equal(found[0].urn, BUCKET_URN);
    assert.match(found[0].message, /^\[production\] aws:s3\/bucketV2:BucketV2 "invoices" is tagged data-classification=Confidential but has no aws:s3:BucketPublicAccessBlock/);
});

test("privateBuckets_AccessBlockWithSwitchOff_NamesTheSwitch", async () => {
    const found = await stackViolations(prod, [bucket(confidential), block({ restrictPublicBuckets: false, ignorePublicAcls: undefined })]);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /leaves ignorePublicAcls=not set, restrictPublicBuckets=false/);
});

test("privateBuckets_PublicAclsGrantsAndPolicies_Violate", async () => {
    const acl: StackResource = { type: "aws:s3/bucketAclV2:BucketAclV2", name: "acl", props: { acl: "public-read" }, dependsOnBucket: BUCKET_URN };
    const grant: StackResource = { type: "aws:s3/bucketAclV2:BucketAclV2", name: "grant", props: { accessControlPolicy: { grants: [{ grantee: { type: "Group", uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ" }] } }, dependsOnBucket: BUCKET_URN };
    const policy: StackResource = { type: "aws:s3/bucketPolicy:BucketPolicy", name: "pol", props: { policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::invoices-3f2a1b/*" }] }) }, dependsOnBucket: BUCKET_URN };
    const found = await stackViolations(prod, [bucket({ "data-classification": "restricted" }, { acl: "public-read-write" }), block(), acl, grant, policy]);
    assert.deepEqual(found.map((f) => f.message.match(/but (.*?)(;| \()/)?.[1]), [
        'has the public ACL "public-read-write"',
        'aws:s3/bucketAclV2:BucketAclV2 "acl" makes it public',
        'aws:s3/bucketAclV2:BucketAclV2 "grant" makes it public',
        'aws:s3/bucketPolicy:BucketPolicy "pol" allows Principal "*" without a condition',
    ]);
});

test("privateBuckets_PolicyWithCondition_IsNotPublic", async () => {
    const policy: StackResource = { type: "aws:s3/bucketPolicy:BucketPolicy", name: "tls-only", props: { policy: { Statement: { Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-123" } } } } }, dependsOnBucket: BUCKET_URN };
    assert.deepEqual(await stackViolations(prod, [bucket(confidential), block(), policy]), []);
});

test("privateBuckets_UnclassifiedOrPublicClassOrOtherTier_NotChecked", async () => {
    assert.deepEqual(await stackViolations(prod, [bucket({}, { acl: "public-read" })]), []);
    assert.deepEqual(await stackViolations(prod, [bucket({ "data-classification": "public" })]), []);
    const dev = privateBucketsPolicy(deps(engineEnv("dev")));
    assert.deepEqual(await stackViolations(dev, [bucket(confidential, { acl: "public-read" })]), []);
});
