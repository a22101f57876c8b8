using System.Globalization;
using System.Text;

namespace InfraGuard.Benchmarks;

/// <summary>
/// Writes realistic large inputs whose shapes are copied from the fixtures: Pulumi event-log lines like
/// shared/fixtures/pulumi/event-logs/up-4.json (resourcePreEvent + resOutputsEvent per step, full old/new states,
/// __defaults, detailedDiff), Terraform plans like tfcompliance-aws-vpc-nat-29res.plan.json (resource_changes with
/// before/after/after_unknown/*_sensitive, plus prior_state and planned_values that a reader must skip).
/// Mix per 100 resources: 80 same, 12 update, 4 create, 2 delete, 2 replace.
/// </summary>
public static class Generator
{
    private static readonly string[] PulumiTypes =
    [
        "aws:ec2/instance:Instance", "aws:s3/bucketV2:BucketV2", "aws:ec2/securityGroup:SecurityGroup",
        "aws:iam/role:Role", "aws:lambda/function:Function", "aws:rds/instance:Instance",
    ];

    private static readonly string[] TerraformTypes =
    [
        "aws_instance", "aws_s3_bucket", "aws_security_group", "aws_iam_role", "aws_lambda_function", "aws_db_instance",
    ];

    public static string OpFor(int i) => (i % 100) switch
    {
        < 80 => "same",
        < 92 => "update",
        < 96 => "create",
        < 98 => "delete",
        _ => "replace",
    };

    public static byte[] PulumiEventLog(int resources)
    {
        var sb = new StringBuilder(resources * 2600);
        var seq = 0;
        sb.Append("{\"sequence\":").Append(seq++).Append(",\"timestamp\":1764036000,\"preludeEvent\":{\"config\":{\"aws:region\":\"eu-west-1\"}}}\n");
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < resources; i++)
        {
            var op = OpFor(i);
            var type = PulumiTypes[i % PulumiTypes.Length];
            var urn = $"urn:pulumi:prod::bench::{type}::res-{i}";
            counts[op] = counts.GetValueOrDefault(op) + 1;
            var oldState = op == "create" ? "null" : PulumiState(urn, type, i, 0);
            var newState = op == "delete" ? "null" : PulumiState(urn, type, i, op is "update" or "replace" ? 1 : 0);
            var diff = op switch
            {
                "update" => ",\"diffs\":[\"tags\",\"instanceClass\"],\"detailedDiff\":{\"tags.version\":{\"diffKind\":\"update\",\"inputDiff\":false},\"instanceClass\":{\"diffKind\":\"update\",\"inputDiff\":false}}",
                "replace" => ",\"keys\":[\"userData\"],\"diffs\":[\"userData\"],\"detailedDiff\":{\"userData\":{\"diffKind\":\"update-replace\",\"inputDiff\":false}}",
                _ => ",\"detailedDiff\":null",
            };
            var steps = op == "replace" ? new[] { "create-replacement", "replace", "delete-replaced" } : [op];
            foreach (var step in steps)
            {
                foreach (var kind in new[] { "resourcePreEvent", "resOutputsEvent" })
                {
                    sb.Append("{\"sequence\":").Append(seq++).Append(",\"timestamp\":1764036000,\"").Append(kind)
                      .Append("\":{\"metadata\":{\"op\":\"").Append(step).Append("\",\"urn\":\"").Append(urn)
                      .Append("\",\"type\":\"").Append(type).Append("\",\"old\":").Append(oldState).Append(",\"new\":").Append(newState)
                      .Append(diff).Append(",\"logical\":true,\"provider\":\"urn:pulumi:prod::bench::pulumi:providers:aws::default_6_52_0::7b99a6ae-5f4b-4a59-9b36-1c2d7e0b1f10\"},\"planning\":true}}\n");
                }
            }
        }

        sb.Append("{\"sequence\":").Append(seq++).Append(",\"timestamp\":1764036000,\"summaryEvent\":{\"maybeCorrupt\":false,\"durationSeconds\":30,\"resourceChanges\":{")
          .AppendJoin(',', counts.Select(c => $"\"{c.Key}\":{c.Value.ToString(CultureInfo.InvariantCulture)}"))
          .Append("},\"PolicyPacks\":{},\"isPreview\":true,\"result\":\"succeeded\"}}\n");
        sb.Append("{\"sequence\":").Append(seq).Append(",\"timestamp\":1764036000,\"cancelEvent\":{}}\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string PulumiState(string urn, string type, int i, int version)
    {
        var inputs = $"{{\"__defaults\":[\"name\"],\"ami\":\"ami-0c55b159cbfafe1f0\",\"instanceClass\":\"{(version == 0 ? "db.r6g.2xlarge" : "db.r6g.xlarge")}\",\"name\":\"res-{i}\",\"subnetId\":\"subnet-0a1b2c3d\",\"tags\":{{\"team\":\"payments\",\"version\":\"{version}\"}},\"userData\":\"#!/bin/bash\\necho v{version}\",\"vpcSecurityGroupIds\":[\"sg-0123456789abcdef0\"]}}";
        var outputs = $"{{\"__meta\":\"{{\\\"schema_version\\\":\\\"1\\\"}}\",\"arn\":\"arn:aws:service:eu-west-1:123456789012:res/res-{i}\",\"id\":\"id-{i}\",\"ami\":\"ami-0c55b159cbfafe1f0\",\"name\":\"res-{i}\",\"privateIp\":\"10.0.{i % 250}.{i % 200}\",\"tags\":{{\"team\":\"payments\",\"version\":\"{version}\"}},\"tagsAll\":{{\"team\":\"payments\",\"version\":\"{version}\"}}}}";
        return $"{{\"type\":\"{type}\",\"urn\":\"{urn}\",\"custom\":true,\"id\":\"id-{i}\",\"parent\":\"urn:pulumi:prod::bench::pulumi:pulumi:Stack::bench-prod\",\"inputs\":{inputs},\"outputs\":{outputs},\"provider\":\"\"}}";
    }

    public static byte[] TerraformPlan(int resources)
    {
        var sb = new StringBuilder(resources * 3000);
        sb.Append("{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.5\",\"planned_values\":{\"root_module\":{\"resources\":[");
        for (var i = 0; i < resources; i++)
        {
            if (OpFor(i) == "delete")
            {
                continue;
            }

            sb.Append(i == 0 ? "" : ",").Append("{\"address\":\"").Append(TerraformAddress(i)).Append("\",\"mode\":\"managed\",\"type\":\"")
              .Append(TerraformTypes[i % TerraformTypes.Length]).Append("\",\"name\":\"r\",\"index\":").Append(i)
              .Append(",\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\"schema_version\":1,\"values\":").Append(TerraformValues(i, 1)).Append(",\"sensitive_values\":{\"tags\":{}}}");
        }

        sb.Append("]}},\"resource_changes\":[");
        for (var i = 0; i < resources; i++)
        {
            var op = OpFor(i);
            var actions = op switch
            {
                "same" => "\"no-op\"",
                "replace" => "\"create\",\"delete\"",
                _ => $"\"{op}\"",
            };
            var before = op == "create" ? "null" : TerraformValues(i, 0);
            var after = op == "delete" ? "null" : TerraformValues(i, op is "update" or "replace" ? 1 : 0);
            sb.Append(i == 0 ? "" : ",").Append("{\"address\":\"").Append(TerraformAddress(i)).Append("\",\"mode\":\"managed\",\"type\":\"")
              .Append(TerraformTypes[i % TerraformTypes.Length]).Append("\",\"name\":\"r\",\"index\":").Append(i)
              .Append(",\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\"change\":{\"actions\":[").Append(actions)
              .Append("],\"before\":").Append(before).Append(",\"after\":").Append(after)
              .Append(",\"after_unknown\":{\"arn\":").Append(op == "create" ? "true" : "false")
              .Append("},\"before_sensitive\":{\"password\":true},\"after_sensitive\":{\"password\":true}")
              .Append(op == "replace" ? ",\"replace_paths\":[[\"user_data\"]]" : "").Append("}}");
        }

        sb.Append("],\"prior_state\":{\"format_version\":\"1.0\",\"values\":{\"root_module\":{\"resources\":[");
        for (var i = 0; i < resources; i++)
        {
            if (OpFor(i) == "create")
            {
                continue;
            }

            sb.Append(i == 0 ? "" : ",").Append("{\"address\":\"").Append(TerraformAddress(i)).Append("\",\"mode\":\"managed\",\"type\":\"")
              .Append(TerraformTypes[i % TerraformTypes.Length]).Append("\",\"name\":\"r\",\"index\":").Append(i).Append(",\"values\":").Append(TerraformValues(i, 0)).Append('}');
        }

        sb.Append("]}}},\"configuration\":{\"provider_config\":{\"aws\":{\"name\":\"aws\",\"full_name\":\"registry.terraform.io/hashicorp/aws\"}}}}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static string TerraformAddress(int i) => $"{TerraformTypes[i % TerraformTypes.Length]}.r[{i}]";

    private static string TerraformValues(int i, int version) =>
        $"{{\"ami\":\"ami-0c55b159cbfafe1f0\",\"arn\":\"arn:aws:service:eu-west-1:123456789012:res/r-{i}\",\"instance_class\":\"{(version == 0 ? "db.r6g.2xlarge" : "db.r6g.xlarge")}\",\"password\":\"s3cr3t-{i}\",\"subnet_id\":\"subnet-0a1b2c3d\",\"tags\":{{\"team\":\"payments\",\"version\":\"{version}\"}},\"user_data\":\"echo v{version}\",\"vpc_security_group_ids\":[\"sg-0123456789abcdef0\"]}}";
}
