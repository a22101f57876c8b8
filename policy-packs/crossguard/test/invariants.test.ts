import * as assert from "node:assert/strict";
import { test } from "node:test";
import { backupRetentionPolicy, statefulProtectionPolicy } from "../src/policies/invariants";
import { deps, engineEnv, fixture, resourceFromStackExport, violations, type Resource } from "./helpers";

const prod = deps(engineEnv("prod", { dryRun: false }));
const dev = deps(engineEnv("dev", { dryRun: false }));

// A real `pulumi stack export` (pulumi-aws provider test, CLI v3.86.0): an RDS PostgreSQL instance created without
// deletion protection or backups (inputs lack both; outputs say deletionProtection=false, backupRetentionPeriod=0).
const exportedDb = (): Resource => resourceFromStackExport(fixture("pulumi", "stack-exports", "rds-instance-5.42.0-state.json"), "aws:rds/instance:Instance");

test("statefulProtection_ExportedRdsInstanceOnProduction_NeedsProtectAndDeletionProtection", async () => {
    const db = exportedDb();
    assert.equal(db.props.engine, "postgres", "fixture sanity");
    const found = await violations(statefulProtectionPolicy(prod), db);
    assert.equal(found.length, 2);
    assert.match(found[0], /^\[production\] aws:rds\/instance:Instance "tested-resource" holds data and must keep the `protect: true` resource option/);
    assert.match(found[1], /must set deletionProtection: true \(found not set; invariants\.production\.deletion-protection\)/);
    assert.ok(!found.join("\n").includes("mypassword"), "messages never echo property values such as the password");
});

test("backupRetention_ExportedRdsInstanceOnProduction_BelowFloor", async () => {
    const found = await violations(backupRetentionPolicy(prod), exportedDb());
    assert.equal(found.length, 1);
    assert.match(found[0], /backupRetentionPeriod >= 7 days \(found not set \(the provider default is 1 day\)/);
    // The exported outputs carry backupRetentionPeriod 0, as AnalyzeStack would see them.
    const withOutputs = { ...exportedDb(), props: { ...exportedDb().props, backupRetentionPeriod: 0, deletionProtection: false } };
    assert.match((await violations(backupRetentionPolicy(prod), withOutputs))[0], /found 0;/);
});

test("invariants_ExportedRdsInstanceOnDevelopment_NoViolations", async () => {
    assert.deepEqual(await violations(statefulProtectionPolicy(dev), exportedDb()), []);
    assert.deepEqual(await violations(backupRetentionPolicy(dev), exportedDb()), []);
});

test("invariants_WellConfiguredProductionDatabase_Passes", async () => {
    const db: Resource = { ...exportedDb(), protect: true, props: { ...exportedDb().props, deletionProtection: true, backupRetentionPeriod: 14 } };
    assert.deepEqual(await violations(statefulProtectionPolicy(prod), db), []);
    assert.deepEqual(await violations(backupRetentionPolicy(prod), db), []);
    assert.deepEqual(await violations(backupRetentionPolicy(prod), { ...db, props: { ...db.props, backupRetentionPeriod: 7 } }), [], "the floor itself is enough");
});

test("invariants_DynamoDbAndBucketsAndStatelessTypes", async () => {
    const table: Resource = { type: "aws:dynamodb/table:Table", name: "orders", props: { deletionProtectionEnabled: true, pointInTimeRecovery: { enabled: false } }, protect: true };
    assert.deepEqual(await violations(statefulProtectionPolicy(prod), table), []);
    assert.match((await violations(backupRetentionPolicy(prod), table))[0], /must enable pointInTimeRecovery/);
    const bucket: Resource = { type: "aws:s3/bucketV2:BucketV2", name: "invoices", props: {} };
    assert.deepEqual((await violations(statefulProtectionPolicy(prod), bucket)).length, 1, "buckets need protect only");
    const sg: Resource = { type: "aws:ec2/securityGroup:SecurityGroup", name: "db", props: {} };
    assert.deepEqual(await violations(statefulProtectionPolicy(prod), sg), []);
});

test("invariants_StackConfigRaisesTier_AppliesProductionRules", async () => {
    const forced = deps(engineEnv("feature-x", { dryRun: true, config: { "infraguard:tier": "production" } }));
    assert.equal((await violations(statefulProtectionPolicy(forced), exportedDb())).length, 2);
});

test("invariants_PolicyFileMissing_ReportsInsteadOfPassing", async () => {
    const broken = deps(engineEnv("prod"), undefined, () => {
        throw new Error("policy.yaml not found (looked in x)");
    });
    assert.match((await violations(statefulProtectionPolicy(broken), exportedDb()))[0], /cannot check tier invariants: policy\.yaml not found/);
});
