using System.Text.Json.Nodes;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Tests.Risk;

/// <summary>Hand-built, readable change data for policy and risk tests.</summary>
internal static class Some
{
    public static string Urn(string type, string name, string stack = "prod") => $"urn:pulumi:{stack}::shop::{type}::{name}";

    public static ResourceChange Update(string type, string path, JsonNode? before, JsonNode? after, string name = "main-db") => new()
    {
        Address = type.Contains(':', StringComparison.Ordinal) ? Urn(type, name) : $"{type}.{name}",
        Name = name,
        Type = type,
        Op = ChangeOp.Update,
        EngineOp = "update",
        Properties = [new PropertyChange(path, before is null ? PropertyChangeKind.Add : after is null ? PropertyChangeKind.Delete : PropertyChangeKind.Update, before, after, false)],
    };

    public static ResourceChange Resource(string type, ChangeOp op, string name = "main-db", JsonObject? before = null, JsonObject? after = null, string? engineOp = null) => new()
    {
        Address = type.Contains(':', StringComparison.Ordinal) ? Urn(type, name) : $"{type}.{name}",
        Name = name,
        Type = type,
        Op = op,
        EngineOp = engineOp ?? ChangeOps.Name(op),
        Before = before,
        After = after,
    };

    public static ChangeSet Set(params ResourceChange[] changes) => new()
    {
        Engine = EngineKind.Pulumi,
        Stack = "prod",
        Changes = changes,
        Counts = changes.GroupBy(c => c.Op).ToDictionary(g => g.Key, g => g.Count()),
        Complete = true,
    };

    /// <summary>The 2 a.m. change: the production database scaled down (Pulumi names).</summary>
    public static ResourceChange RdsScaleDown() =>
        Update("aws:rds/instance:Instance", "instanceClass", "db.r6g.2xlarge", "db.t4g.medium");

    /// <summary>The same change under Terraform names.</summary>
    public static ResourceChange TerraformRdsScaleDown() =>
        Update("aws_db_instance", "instance_class", "db.r6g.2xlarge", "db.t4g.medium", name: "main");
}
