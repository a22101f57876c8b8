using System.IO.Compression;
using System.Text;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Readers;

namespace InfraGuard.Terraform.Tests;

/// <summary>
/// The plan hash identifies the change, not the bytes of one <c>plan</c> run: what real Terraform varies between two
/// plans of one change (the plan timestamp, map and unordered-set order, zip entry times) does not alter it, and
/// anything else does (attack side: a changed attribute, action, address, target or state is a new change).
/// </summary>
public class TerraformPlanFileTests
{
    private static readonly byte[] State = Encoding.UTF8.GetBytes("""{"version":4,"serial":3,"lineage":"l-1","resources":[]}""");

    // planfile.proto: Plan.variables = 2 (map entry: key 1, value 2 = DynamicValue{msgpack 1}),
    // resource_changes = 3 (ResourceInstanceChange: addr 13, change 9 = Change{action 1 (enum), values 2, before_sensitive_paths 3}),
    // target_addrs = 5, terraform_version = 14, timestamp = 21.
    private static byte[] Plan(
        string timestamp = "2026-12-08T02:00:00Z",
        string[]? variableOrder = null,
        string[]? changeOrder = null,
        string rdsClass = "db.t3.micro",
        ulong action = 5,
        string[]? sensitiveOrder = null,
        string? target = null,
        int timestampField = 21)
    {
        var message = new List<byte>();
        Varint(message, 1, 3);
        Bytes(message, 14, "1.9.5");
        foreach (var name in variableOrder ?? ["region", "size"])
        {
            Bytes(message, 2, [.. Field(1, name), .. Field(2, Field(1, "v-" + name))]);
        }

        foreach (var address in changeOrder ?? ["aws_db_instance.main", "aws_s3_bucket.logs"])
        {
            var change = new List<byte>();
            Varint(change, 1, action);
            Bytes(change, 2, Field(1, address == "aws_db_instance.main" ? $"instance_class={rdsClass}" : "bucket=logs"));
            foreach (var path in sensitiveOrder ?? ["password", "token"])
            {
                Bytes(change, 3, Field(1, path));
            }

            Bytes(message, 3, [.. Field(13, address), .. Field(9, [.. change])]);
        }

        if (target is not null)
        {
            Bytes(message, 5, target);
        }

        Bytes(message, timestampField, timestamp);
        return [.. message];
    }

    private static byte[] Zip(byte[] tfplan, byte[]? state = null)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in new[] { ("tfplan", tfplan), ("tfstate", state ?? State), ("tfconfig/m-/main.tf", Encoding.UTF8.GetBytes("resource \"x\" \"y\" {}")) })
            {
                var entry = zip.CreateEntry(name);
                entry.LastWriteTime = DateTimeOffset.UtcNow.AddSeconds(Random.Shared.Next(1, 10_000));
                using var stream = entry.Open();
                stream.Write(content);
            }
        }

        return output.ToArray();
    }

    private static string Hash(byte[] tfplan, byte[]? state = null) => TerraformPlanFile.Hash(Zip(tfplan, state), "test plan");

    [Fact]
    public void Hash_TwoPlansOfOneChangeAtDifferentTimes_SameHash()
    {
        Assert.Equal(Hash(Plan(timestamp: "2026-12-08T02:00:00Z")), Hash(Plan(timestamp: "2026-12-08T02:17:43.123456Z")));
    }

    [Fact]
    public void Hash_MapsAndUnorderedSetsInAnotherOrder_SameHash()
    {
        var reordered = Plan(variableOrder: ["size", "region"], changeOrder: ["aws_s3_bucket.logs", "aws_db_instance.main"], sensitiveOrder: ["token", "password"]);

        Assert.Equal(Hash(Plan()), Hash(reordered));
    }

    [Fact]
    public void Hash_ArchiveBytesDiffer_SameHash()
    {
        var plan = Plan();
        var first = Zip(plan);
        var second = Zip(plan);

        Assert.NotEqual(first, second);
        Assert.Equal(TerraformPlanFile.Hash(first, "a"), TerraformPlanFile.Hash(second, "b"));
    }

    [Theory]
    [InlineData("attribute")]
    [InlineData("action")]
    [InlineData("address")]
    [InlineData("target")]
    [InlineData("variable")]
    [InlineData("state")]
    [InlineData("timestamp-in-another-field")]
    public void Hash_AnythingButTheTimestampChanged_NewHash(string what)
    {
        var original = Hash(Plan());

        var changed = what switch
        {
            "attribute" => Hash(Plan(rdsClass: "db.r6g.4xlarge")),
            "action" => Hash(Plan(action: 3)),
            "address" => Hash(Plan(changeOrder: ["aws_db_instance.main", "aws_s3_bucket.audit"])),
            "target" => Hash(Plan(target: "aws_db_instance.main")),
            "variable" => Hash(Plan(variableOrder: ["region", "size", "owner"])),
            "state" => Hash(Plan(), Encoding.UTF8.GetBytes("""{"version":4,"serial":4,"lineage":"l-1","resources":[]}""")),
            _ => Hash(Plan(timestampField: 20, timestamp: "2026-12-08T02:00:01Z")),
        };

        Assert.NotEqual(original, changed);
    }

    [Fact]
    public void Hash_TimestampFieldNestedInAChange_IsKept()
    {
        // Only the Plan message's own field 21 is the plan time; the same number inside a resource change is content.
        byte[] Nested(string value)
        {
            var message = new List<byte>();
            Bytes(message, 3, [.. Field(13, "aws_db_instance.main"), .. Field(21, value)]);
            return [.. message];
        }

        Assert.NotEqual(Hash(Nested("a")), Hash(Nested("b")));
    }

    [Fact]
    public void Hash_TfplanNotProtobuf_HashedAsItIsAndStillDistinguished()
    {
        byte[] notProto = [0xFF, 0xFF, 0xFF];

        Assert.NotEqual(Hash(notProto), Hash([0xFF, 0xFF, 0xFE]));
        Assert.Null(PlanProto.Canonical(notProto));
    }

    [Fact]
    public void Hash_NotAZip_PlanReadError()
    {
        var e = Assert.Throws<PlanReadException>(() => TerraformPlanFile.Hash(Encoding.UTF8.GetBytes("{}"), "test plan"));

        Assert.Contains("not a saved plan file", e.Message, StringComparison.Ordinal);
    }

    private static void Varint(List<byte> message, int field, ulong value)
    {
        Raw(message, (ulong)field << 3);
        Raw(message, value);
    }

    private static void Bytes(List<byte> message, int field, string value) => message.AddRange(Field(field, value));

    private static void Bytes(List<byte> message, int field, byte[] value) => message.AddRange(Field(field, value));

    private static byte[] Field(int field, string value) => Field(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Field(int field, byte[] body)
    {
        var bytes = new List<byte>();
        Raw(bytes, ((ulong)field << 3) | 2);
        Raw(bytes, (ulong)body.Length);
        bytes.AddRange(body);
        return [.. bytes];
    }

    private static void Raw(List<byte> bytes, ulong value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
    }
}

/// <summary>
/// A refresh-only run applies a refresh-only plan and nothing else (attack side: the runner says refresh-only but
/// submits a plan that changes resources, or submits a refresh-only plan as an ordinary run).
/// </summary>
public class TerraformPlanFileRunKindTests
{
    private static byte[] PlanFile(ulong mode, ulong action)
    {
        var change = new List<byte> { 1 << 3, (byte)action };
        byte[] resource = [.. Field(13, "aws_security_group.lambda_sg"u8.ToArray()), .. Field(9, [.. change])];
        byte[] tfplan = [1 << 3, 3, 0x88, 0x01, (byte)mode, .. Field(mode == 2 ? 18 : 3, resource)]; // field 17's tag is the varint 0x88 0x01
        if (mode == 2 && action != 0)
        {
            tfplan = [.. tfplan, .. Field(3, resource)];
        }

        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var stream = zip.CreateEntry("tfplan").Open();
            stream.Write(tfplan);
        }

        return output.ToArray();
    }

    private static byte[] Field(int field, byte[] body) =>
        field < 16 ? [(byte)((field << 3) | 2), (byte)body.Length, .. body] : [(byte)(((field << 3) | 2) & 0x7F | 0x80), (byte)((field << 3) >> 7), (byte)body.Length, .. body];

    private static ChangeSet Changes(RunKind kind) => new()
    {
        Engine = EngineKind.Terraform,
        Kind = kind,
        Changes = [new ResourceChange { Address = "aws_security_group.lambda_sg", Name = "aws_security_group.lambda_sg", Type = "aws_security_group", Op = ChangeOp.Delete, EngineOp = "delete" }],
        Counts = new Dictionary<ChangeOp, int> { [ChangeOp.Delete] = 1 },
        Complete = true,
    };

    [Fact]
    public void Mismatch_RefreshOnlyRunAndRefreshOnlyPlan_None()
    {
        Assert.Null(TerraformPlanFile.Mismatch(Changes(RunKind.RefreshOnly), PlanFile(mode: 2, action: 0), "plan"));
    }

    [Fact]
    public void Mismatch_RefreshOnlyRunButNormalPlan_Refused()
    {
        var why = TerraformPlanFile.Mismatch(Changes(RunKind.RefreshOnly), PlanFile(mode: 0, action: 5), "plan");

        Assert.Contains("not made with `plan -refresh-only`", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatch_RefreshOnlyPlanThatProposesADeletion_Refused()
    {
        var why = TerraformPlanFile.Mismatch(Changes(RunKind.RefreshOnly), PlanFile(mode: 2, action: 5), "plan");

        Assert.Contains("proposes resource changes", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatch_RefreshOnlyPlanSubmittedAsAnOrdinaryRun_Refused()
    {
        var why = TerraformPlanFile.Mismatch(Changes(RunKind.Update), PlanFile(mode: 2, action: 0), "plan");

        Assert.Contains("infraguard up --refresh-only", why, StringComparison.Ordinal);
    }
}
