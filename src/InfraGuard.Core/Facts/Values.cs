using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Facts;

/// <summary>Reading redacted JSON values as text, numbers, booleans and orders. Markers are never numbers or booleans.</summary>
internal static partial class Values
{
    private const int MaxDisplay = 160;

    /// <summary>Short display text: strings as is, other values as JSON, null as null; long values cut with "…".</summary>
    public static string? Display(JsonNode? node) => Display(node, Text(node));

    /// <summary><see cref="Display(JsonNode?)"/> when <paramref name="text"/> is already known to be <see cref="Text"/> of the node.</summary>
    public static string? Display(JsonNode? node, string? text)
    {
        if (node is null)
        {
            return null;
        }

        text ??= node.ToJsonString();
        return text.Length <= MaxDisplay ? text : text[..(MaxDisplay - 1)] + "…";
    }

    /// <summary>The scalar as text (<c>true</c>, <c>42</c>, <c>abc</c>); null for objects, arrays and null.</summary>
    public static string? Text(JsonNode? node)
    {
        if (node is not JsonValue v)
        {
            return null;
        }

        return v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
    }

    /// <summary>True for null, unknown or secret: nothing can be concluded from the value.</summary>
    public static bool IsOpaque(JsonNode? node) => node is null || Redaction.IsMarker(node);

    /// <summary>A number from a JSON number, a numeric string, or a Kubernetes quantity (<c>512Mi</c>, <c>2Gi</c>, <c>500m</c>).</summary>
    public static decimal? Number(JsonNode? node)
    {
        if (node is not JsonValue v || Redaction.IsMarker(node))
        {
            return null;
        }

        if (v.GetValueKind() == JsonValueKind.Number)
        {
            return decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
        }

        if (v.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        var s = v.GetValue<string>().Trim();
        if (decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain))
        {
            return plain;
        }

        var m = Quantity().Match(s);
        if (!m.Success || !decimal.TryParse(m.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            return null;
        }

        return n * m.Groups["unit"].Value switch
        {
            "m" => 0.001m,
            "k" => 1e3m,
            "M" => 1e6m,
            "G" => 1e9m,
            "T" => 1e12m,
            "Ki" => 1024m,
            "Mi" => 1024m * 1024m,
            "Gi" => 1024m * 1024m * 1024m,
            _ => 1024m * 1024m * 1024m * 1024m,
        };
    }

    /// <summary>A boolean from a JSON boolean or the strings <c>true</c>/<c>false</c>.</summary>
    public static bool? Bool(JsonNode? node)
    {
        if (node is not JsonValue v || Redaction.IsMarker(node))
        {
            return null;
        }

        return v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(v.GetValue<string>(), out var b) => b,
            _ => null,
        };
    }

    /// <summary>
    /// Orders two values: numbers, booleans (false &lt; true) and instance sizes (<see cref="SizeRank"/>).
    /// Returns the sign of after − before, or null when they cannot be ordered (either is unknown, secret or absent).
    /// </summary>
    public static int? Compare(JsonNode? before, JsonNode? after)
    {
        if (Number(before) is { } nb && Number(after) is { } na)
        {
            return na.CompareTo(nb);
        }

        if (Bool(before) is { } bb && Bool(after) is { } ba)
        {
            return ba.CompareTo(bb);
        }

        if (!IsOpaque(before) && !IsOpaque(after) && Text(before) is { } tb && Text(after) is { } ta)
        {
            return SizeRank.Compare(tb, ta);
        }

        return null;
    }

    [GeneratedRegex(@"^(?<n>\d+(?:\.\d+)?)(?<unit>m|k|M|G|T|Ki|Mi|Gi|Ti)$", RegexOptions.CultureInvariant)]
    private static partial Regex Quantity();
}
