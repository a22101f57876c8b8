using System.Text.Json.Nodes;

namespace InfraGuard.Core.Changes;

/// <summary>
/// One property path whose value changes. Values are already redacted: secrets are <see cref="Redaction.SecretMarker"/>,
/// values not known until apply are <see cref="Redaction.UnknownMarker"/>.
/// </summary>
/// <param name="Path">Property path in Pulumi syntax (<c>ingress[1].cidrBlocks[0]</c>, <c>tags["a.b"]</c>).</param>
/// <param name="Kind">Add, delete or update.</param>
/// <param name="Before">Redacted value before, or null when absent.</param>
/// <param name="After">Redacted value after, or null when absent.</param>
/// <param name="ForcesReplace">True when the engine says this path forces a replacement.</param>
public sealed record PropertyChange(string Path, PropertyChangeKind Kind, JsonNode? Before, JsonNode? After, bool ForcesReplace);

/// <summary>
/// One resource's planned change, engine-neutral and redacted. Nothing secret is ever stored here.
/// </summary>
public sealed record ResourceChange
{
    /// <summary>Pulumi URN or Terraform address: the resource's identity in the plan.</summary>
    public required string Address { get; init; }

    /// <summary>Short readable name (Pulumi: the last URN segment; Terraform: the address).</summary>
    public required string Name { get; init; }

    /// <summary>Resource type token (<c>aws:rds/instance:Instance</c>, <c>aws_db_instance</c>).</summary>
    public required string Type { get; init; }

    /// <summary>Provider name or reference, if the engine gave one (<c>aws</c>, <c>registry.terraform.io/hashicorp/aws</c>).</summary>
    public string? Provider { get; init; }

    /// <summary>The logical operation.</summary>
    public required ChangeOp Op { get; init; }

    /// <summary>The engine's own name for the step(s), e.g. <c>create-replacement</c> or <c>delete,create</c>.</summary>
    public required string EngineOp { get; init; }

    /// <summary>For <see cref="ChangeOp.Replace"/>: which half comes first.</summary>
    public ReplaceOrder? ReplaceOrder { get; init; }

    /// <summary>Redacted state before the change, or null (create, read, import).</summary>
    public JsonObject? Before { get; init; }

    /// <summary>Redacted state after the change, or null (delete).</summary>
    public JsonObject? After { get; init; }

    /// <summary>Changed property paths.</summary>
    public IReadOnlyList<PropertyChange> Properties { get; init; } = [];

    /// <summary>Property keys the engine names as forcing replacement.</summary>
    public IReadOnlyList<string> ReplaceReasons { get; init; } = [];

    /// <summary>Engine-provided reason for the action (Terraform <c>action_reason</c>), if any.</summary>
    public string? Reason { get; init; }

    /// <summary>The resource is protected (Pulumi <c>protect</c>).</summary>
    public bool Protected { get; init; }

    /// <summary>The resource is retained on delete (Pulumi <c>retainOnDelete</c>).</summary>
    public bool RetainOnDelete { get; init; }

    /// <summary>Paths the engine marked sensitive or secret; their values are redacted.</summary>
    public IReadOnlyList<string> SensitivePaths { get; init; } = [];

    /// <summary>The engine reported this step as failed during planning (e.g. a delete of a protected resource).</summary>
    public bool Failed { get; init; }
}
