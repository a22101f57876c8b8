using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Policy;
using InfraGuard.Pulumi.Readers;
using InfraGuard.Terraform.Readers;
using InfraGuard.Core.Risk;
using InfraGuard.Testing;

namespace InfraGuard.Core.Tests.Risk;

/// <summary>
/// Every shared fixture (Pulumi event logs, Terraform plans) assessed under the default pack and under a pack of
/// property rules that sees every changed leaf, for several tiers, actors and jobs, compared line by line with
/// Golden/assessments.txt. The golden was written by the assessment code before its performance rework; a diff
/// means findings, scores or decisions changed. Set INFRAGUARD_UPDATE_GOLDEN=1 to rewrite it on purpose.
/// </summary>
public sealed class AssessmentGoldenTests
{
    // Property rules: every changed leaf (path "*"), leaf-name and full-path globs, from/to, both directions,
    // providers, types, tags, jobs; detectors with non-default options.
    private const string LeafPack = """
        apiVersion: infraguard/v1
        tiers:
          production: { stacks: [prod], review-at: 40, block-at: 100000, actor-weights: { agent: 2.5 }, job-weights: { cost-optimisation: 1.5 } }
          dev: { default: true, review-at: 1000 }
        rules:
          - id: every-leaf
            summary: Any changed leaf
            match: { actors: [pipeline], change: { path: "*" } }
            score: 1
          - id: sizes-down
            summary: Size or count goes down
            match: { change: { path: [instanceClass, instance_class, "*size*", "*count*", "*Count*"], direction: down } }
            score: 7
          - id: flags-up
            summary: A flag or number goes up
            match: { providers: [aws, "registry.terraform.io/*", google, random], change: { path: "*", direction: up } }
            score: 3
          - id: tags-version
            summary: Tag version moves
            match: { types: ["aws:*", "aws_*"], change: { path: ["tags.*", "tags[*]*", "tagsAll.*"], from: ["0", "1", "v1"], to: ["1", "2", "v2"] } }
            score: 2
          - id: nested-paths
            summary: Nested property in an array
            match: { actors: [pipeline, human], change: { path: ["*[0]*", "*.*.*"] } }
            score: 1
          - id: cost-job-deletes
            summary: A cost job deletes things
            match: { ops: [delete, replace, forget], jobs: ["cost-*"] }
            score: 9
          - id: tagged-team
            summary: A change of something tagged
            match: { tags: { team: [payments, web, Platform] } }
            score: 4
          - id: mass
            detector: mass-deletion
            with: { min-count: 2 }
            score: 11
          - id: stateful
            detector: stateful-delete
            with: { forget-factor: 0.5 }
            score: 13
          - id: size
            detector: size-downgrade
            score: 17
          - id: capacity
            detector: capacity-decrease
            score: 5
          - id: protection
            detector: protection-removed
            score: 6
          - id: retention
            detector: retention-cut
            score: 8
          - id: exposure
            detector: public-exposure
            score: 12
          - id: secrets
            detector: secret-material
            score: 3
          - id: iam
            detector: iam-privilege
            score: 14
        stateful-types: ["aws:ec2/*", "aws_instance", "random*"]
        """;

    private static readonly AssessmentContext[] Contexts =
    [
        new("prod", ActorKind.Pipeline),
        new("prod", ActorKind.Agent, "cost-optimisation"),
        new("staging", ActorKind.Human),
        new("dev", ActorKind.Agent, "deploy"),
    ];

    private static string GoldenPath => Repo.File("tests", "InfraGuard.Core.Tests", "Risk", "Golden", "assessments.txt");

    [Fact]
    public void Assess_EveryFixture_MatchesGolden()
    {
        var actual = Render();
        if (Environment.GetEnvironmentVariable("INFRAGUARD_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(GoldenPath, actual);
        }

        var expected = File.ReadAllText(GoldenPath).ReplaceLineEndings("\n");
        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; i < Math.Min(expectedLines.Length, actualLines.Length); i++)
        {
            Assert.True(expectedLines[i] == actualLines[i], $"{GoldenPath}:{i + 1}: expected\n{expectedLines[i]}\nbut got\n{actualLines[i]}");
        }

        Assert.Equal(expectedLines.Length, actualLines.Length);
    }

    [Fact]
    public void Golden_CoversEveryDetectorAndPropertyRule_FindsSomething()
    {
        var text = File.ReadAllText(GoldenPath);

        foreach (var rule in new[] { "every-leaf", "sizes-down", "flags-up", "tags-version", "nested-paths", "cost-job-deletes", "tagged-team", "mass", "stateful", "size", "protection", "retention", "exposure", "secrets", "iam", "unknown-op", "failed-step", "engine-violation", "stateful-delete", "public-exposure", "secret-material", "availability-reduction" })
        {
            Assert.Contains($" rule={rule} ", text, StringComparison.Ordinal);
        }
    }

    private static string Render()
    {
        var packs = new[] { PolicyPackLoader.LoadDefault(), PolicyPackLoader.Load(LeafPack, "leaf-pack.yaml") };
        var sb = new StringBuilder();
        foreach (var (name, changes) in Fixtures())
        {
            foreach (var pack in packs)
            {
                foreach (var context in Contexts)
                {
                    var a = RiskEngine.Assess(changes, pack, context);
                    sb.Append(CultureInfo.InvariantCulture,
                        $"== {name} pack={pack.Source} stack={context.Stack} actor={context.ActorKind} job={context.JobType} tier={a.Tier} decision={a.Decision} score={a.Score} findings={a.Findings.Count}\n");
                    foreach (var f in a.Findings)
                    {
                        sb.Append(CultureInfo.InvariantCulture,
                            $"  rule={f.RuleId} points={f.Points} blocking={f.Blocking} op={f.Op} type={f.Type} address={f.Address} path={f.Path} before={Escape(f.Before)} after={Escape(f.After)} reason={Escape(f.Reason)}\n");
                    }

                    foreach (var note in a.Notes)
                    {
                        sb.Append("  note=").Append(Escape(note)).Append('\n');
                    }
                }
            }
        }

        return sb.ToString();
    }

    private static string? Escape(string? s) => s?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);

    private static IEnumerable<(string Name, ChangeSet Changes)> Fixtures()
    {
        foreach (var path in Directory.GetFiles(Repo.Fixture("pulumi", "event-logs")).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(path);
            yield return ("pulumi/" + Path.GetFileName(path), PulumiEventLogReader.Read(stream, Path.GetFileName(path)));
        }

        foreach (var path in Directory.GetFiles(Repo.Fixture("terraform"), "*.json").Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(path);
            yield return ("terraform/" + Path.GetFileName(path), TerraformPlanReader.Read(stream, Path.GetFileName(path)));
        }

        var synthetic = Repo.File("tests", "InfraGuard.Core.Tests", "Risk", "Golden", "synthetic-detectors.plan.json");
        using (var stream = File.OpenRead(synthetic))
        {
            yield return ("synthetic/synthetic-detectors.plan.json", TerraformPlanReader.Read(stream, "synthetic-detectors.plan.json"));
        }

        yield return ("synthetic/in-memory", InMemory());
    }

    // Shapes the readers rarely produce: whole states without a property diff, nested diffs, quoted keys, markers,
    // arrays of different lengths, protected / retained / failed / forgotten resources, an unknown op.
    private static ChangeSet InMemory()
    {
        static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
        var db = "aws:rds/instance:Instance";
        ResourceChange[] changes =
        [
            Some.Resource(db, ChangeOp.Update, "whole-state",
                before: Obj("""{"instanceClass":"db.r6g.2xlarge","deletionProtection":true,"allocatedStorage":100,"tags":{"a.b":"1","team":"payments","data-classification":"Confidential"},"list":[1,2,3],"nested":{"x":{"y":[{"z":"old"}]}}}"""),
                after: Obj("""{"instanceClass":"db.t4g.medium","deletionProtection":false,"allocatedStorage":"50","tags":{"a.b":"2","team":"payments","data-classification":"Confidential"},"list":[1,2],"nested":{"x":{"y":[{"z":"new"},{"z":"more"}]}},"masterPassword":"[secret]"}""")),
            Some.Resource(db, ChangeOp.Create, "created",
                after: Obj("""{"instanceClass":"db.t4g.medium","publiclyAccessible":true,"password":"[secret]","tags":{"team":"web"}}""")),
            Some.Resource(db, ChangeOp.Unknown, "strange", engineOp: "teleport",
                before: Obj("""{"instanceClass":"db.r6g.2xlarge"}"""), after: Obj("""{"instanceClass":"[unknown]"}""")),
            Some.Resource(db, ChangeOp.Replace, "replaced",
                before: Obj("""{"instanceClass":"db.r6g.2xlarge","backupRetentionPeriod":7}"""),
                after: Obj("""{"instanceClass":"db.r6g.xlarge","backupRetentionPeriod":"[unknown]"}""")) with { ReplaceOrder = ReplaceOrder.DeleteBeforeCreate },
            Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Delete, "kept", before: Obj("""{"tags":{"data-classification":"restricted"}}""")) with { RetainOnDelete = true },
            Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Forget, "forgotten", before: Obj("""{"bucket":"x"}""")),
            Some.Resource("aws:s3/bucket:Bucket", ChangeOp.Delete, "protected", before: Obj("""{"bucket":"y"}""")) with { Protected = true, Failed = true },
            Some.Resource("aws:ec2/instance:Instance", ChangeOp.Delete, "vm", before: Obj("""{"instanceType":"m5.large"}""")) with { Provider = "urn:pulumi:prod::shop::pulumi:providers:aws::default" },
            Some.Resource("aws:ec2/instance:Instance", ChangeOp.Update, "diffed") with
            {
                Before = Obj("""{"instanceType":"m5.4xlarge"}"""),
                After = Obj("""{"instanceType":"m5.large"}"""),
                Properties =
                [
                    new PropertyChange("instanceType", PropertyChangeKind.Update, JsonValue.Create("m5.4xlarge"), JsonValue.Create("m5.large"), false),
                    new PropertyChange("rootBlockDevice", PropertyChangeKind.Update, Obj("""{"volumeSize":100,"deleteOnTermination":true}"""), Obj("""{"volumeSize":20}"""), true),
                    new PropertyChange("disableApiTermination", PropertyChangeKind.Delete, JsonValue.Create(true), null, false),
                    new PropertyChange("tags[\"x.y\"]", PropertyChangeKind.Add, null, JsonValue.Create("v2"), false),
                    new PropertyChange("instanceType", PropertyChangeKind.Update, JsonValue.Create("dup"), JsonValue.Create("dup2"), false),
                    new PropertyChange("securityGroups", PropertyChangeKind.Update, new JsonArray("a"), new JsonArray("a", "0.0.0.0/0"), false),
                ],
                SensitivePaths = ["rootBlockDevice"],
            },
        ];
        return new ChangeSet
        {
            Engine = EngineKind.Pulumi,
            Stack = "prod",
            Changes = changes,
            Counts = changes.GroupBy(c => c.Op).ToDictionary(g => g.Key, g => g.Count()),
            Violations =
            [
                new EngineViolation("aws", "no-public", "mandatory", "bucket is public", changes[4].Address, "high"),
                new EngineViolation("aws", "tags", "advisory", "missing tag", null, null),
                new EngineViolation("aws", "off", "disabled", "ignored", null, null),
            ],
            Complete = false,
            IncompleteReason = "synthetic",
        };
    }
}
