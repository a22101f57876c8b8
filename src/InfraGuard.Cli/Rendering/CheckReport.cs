using System.Text.Json.Serialization;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Risk;
using InfraGuard.Core;

namespace InfraGuard.Cli.Rendering;

/// <summary>
/// The machine contract of <c>infraguard check --format json</c> (docs/check-output.md). Every other format is
/// rendered from this one projection, so text, markdown and JSON never disagree.
/// </summary>
internal sealed record CheckReport(
    [property: JsonPropertyName("schema")] string Schema,
    [property: JsonPropertyName("decision")] string Decision,
    [property: JsonPropertyName("tier")] string Tier,
    [property: JsonPropertyName("score")] int Score,
    [property: JsonPropertyName("reviewAt")] int ReviewAt,
    [property: JsonPropertyName("blockAt")] int BlockAt,
    [property: JsonPropertyName("stack")] string Stack,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("actorKind")] string ActorKind,
    [property: JsonPropertyName("complete")] bool Complete,
    [property: JsonPropertyName("counts")] IReadOnlyDictionary<string, int> Counts,
    [property: JsonPropertyName("approvals")] CheckReport.ApprovalsJson? Approvals,
    [property: JsonPropertyName("findings")] IReadOnlyList<CheckReport.FindingJson> Findings,
    [property: JsonPropertyName("resources")] IReadOnlyList<CheckReport.ResourceJson> Resources,
    [property: JsonPropertyName("violations")] IReadOnlyList<CheckReport.ViolationJson> Violations,
    [property: JsonPropertyName("notes")] IReadOnlyList<string> Notes,
    [property: JsonPropertyName("policyHash")] string PolicyHash)
{
    public const string SchemaId = "infraguard.check/v1";

    internal sealed record ApprovalsJson(
        [property: JsonPropertyName("count")] int Count,
        [property: JsonPropertyName("from")] IReadOnlyList<string> From,
        [property: JsonPropertyName("expiresAfterMinutes")] long ExpiresAfterMinutes);

    internal sealed record FindingJson(
        [property: JsonPropertyName("rule")] string Rule,
        [property: JsonPropertyName("resource")] string Resource,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("op")] string Op,
        [property: JsonPropertyName("path")] string? Path,
        [property: JsonPropertyName("before")] string? Before,
        [property: JsonPropertyName("after")] string? After,
        [property: JsonPropertyName("points")] int Points,
        [property: JsonPropertyName("reason")] string Reason);

    /// <summary>One changed resource with the points its findings add up to and the decision those alone would give.</summary>
    internal sealed record ResourceJson(
        [property: JsonPropertyName("resource")] string Resource,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("op")] string Op,
        [property: JsonPropertyName("points")] int Points,
        [property: JsonPropertyName("decision")] string Decision);

    internal sealed record ViolationJson(
        [property: JsonPropertyName("policyPack")] string PolicyPack,
        [property: JsonPropertyName("policy")] string Policy,
        [property: JsonPropertyName("enforcementLevel")] string EnforcementLevel,
        [property: JsonPropertyName("resource")] string? Resource,
        [property: JsonPropertyName("message")] string Message);

    public static CheckReport From(ChangeSet changes, Assessment assessment, string stack, string policyHash)
    {
        var points = assessment.Findings
            .GroupBy(f => f.Address, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(f => f.Points), StringComparer.Ordinal);
        var resources = changes.Changes
            .Select(c =>
            {
                var p = points.GetValueOrDefault(c.Address);
                return new ResourceJson(c.Address, c.Name, c.Type, ChangeOps.Name(c.Op), p, DecisionName(Classify(p, c.Op, assessment)));
            })
            .OrderByDescending(r => r.Points)
            .ThenBy(r => r.Resource, StringComparer.Ordinal)
            .ToList();

        return new CheckReport(
            SchemaId,
            DecisionName(assessment.Decision),
            assessment.Tier,
            assessment.Score,
            assessment.ReviewAt,
            assessment.BlockAt,
            stack,
            changes.Engine == EngineKind.Pulumi ? "pulumi" : "terraform",
            assessment.ActorKind.ToString().ToLowerInvariant(),
            changes.Complete,
            ChangeOps.All.Where(op => changes.Counts.GetValueOrDefault(op) > 0)
                .ToDictionary(ChangeOps.Name, op => changes.Counts[op], StringComparer.Ordinal),
            assessment.Approvals is { } a ? new ApprovalsJson(a.Count, a.From, (long)a.ExpiresAfter.TotalMinutes) : null,
            FindingsOf(assessment),
            resources,
            changes.Violations.Select(v => new ViolationJson(v.PolicyPack, v.Policy, v.EnforcementLevel, v.Address, v.Message)).ToList(),
            assessment.Notes,
            policyHash);
    }

    /// <summary>The assessment's findings as the report lists them.</summary>
    public static List<FindingJson> FindingsOf(Assessment assessment) =>
        [.. assessment.Findings.Select(f => new FindingJson(f.RuleId, f.Address, f.Type, ChangeOps.Name(f.Op), f.Path, f.Before, f.After, f.Points, f.Reason))];

    public static string DecisionName(Decision decision) => Names.Of(decision);

    // A resource on its own: unknown ops are always block (fail closed); otherwise by the tier's thresholds.
    private static Decision Classify(int points, ChangeOp op, Assessment assessment) =>
        op == ChangeOp.Unknown || points >= assessment.BlockAt ? Core.Risk.Decision.Block
        : points >= assessment.ReviewAt ? Core.Risk.Decision.Review
        : Core.Risk.Decision.Allow;
}

[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(CheckReport))]
internal sealed partial class CheckReportJsonContext : JsonSerializerContext;
