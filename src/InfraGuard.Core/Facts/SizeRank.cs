using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace InfraGuard.Core.Facts;

/// <summary>
/// Orders cloud instance sizes. The rank is an estimate of memory in GiB (vCPUs × GiB per vCPU for the family),
/// so both a smaller size in the same family (<c>m5.4xlarge → m5.large</c>) and a family change that shrinks the
/// machine (<c>db.r6g.2xlarge → db.t4g.medium</c>) rank lower. Two names compare only within one scheme
/// (AWS, GCP, Azure); anything else has no rank and is never called a downgrade.
/// </summary>
public static partial class SizeRank
{
    /// <summary>A parsed size: its naming scheme and its rank (about GiB of memory).</summary>
    /// <param name="Scheme"><c>aws</c>, <c>gcp</c>, <c>azure</c> or <c>azure-vcore</c>.</param>
    /// <param name="Rank">Comparable size estimate.</param>
    public readonly record struct Size(string Scheme, decimal Rank);

    // A plan repeats the same few size names thousands of times: remember the ranks of the first names seen
    // (bounded, so a stream of distinct names cannot grow it without end).
    private const int MaxRemembered = 1024;
    private static readonly ConcurrentDictionary<string, Size?> Remembered = new(StringComparer.Ordinal);

    /// <summary>Ranks <paramref name="name"/>, or null when it is not a recognised size name.</summary>
    public static Size? TryRank(string name)
    {
        if (Remembered.TryGetValue(name, out var known))
        {
            return known;
        }

        var n = name.Trim();
        var size = Aws(n) ?? Gcp(n) ?? Azure(n);
        if (Remembered.Count < MaxRemembered)
        {
            Remembered.TryAdd(name, size);
        }

        return size;
    }

    /// <summary>
    /// -1 when <paramref name="after"/> is smaller, 1 when larger, 0 when equal; null when either has no rank or
    /// they are from different schemes.
    /// </summary>
    public static int? Compare(string before, string after)
    {
        if (TryRank(before) is not { } b || TryRank(after) is not { } a || b.Scheme != a.Scheme)
        {
            return null;
        }

        return a.Rank.CompareTo(b.Rank);
    }

    private static Size? Aws(string n)
    {
        var m = AwsShape().Match(n);
        if (!m.Success)
        {
            return null;
        }

        var size = m.Groups["size"].Value.ToUpperInvariant();
        decimal vcpu = size switch
        {
            "NANO" => 0.125m,
            "MICRO" => 0.25m,
            "SMALL" => 0.5m,
            "MEDIUM" => 1m,
            "LARGE" => 2m,
            "XLARGE" => 4m,
            "METAL" => 96m,
            _ when size.StartsWith("METAL-", StringComparison.Ordinal) => 4m * Number(size["METAL-".Length..^2]),
            _ => 4m * Number(size[..^"XLARGE".Length]),
        };
        var family = m.Groups["family"].Value.ToUpperInvariant();
        decimal perVcpu = family[0] switch
        {
            'X' => 16m,
            'U' => 24m,
            'R' or 'Z' or 'I' or 'D' => 8m,
            'C' or 'A' => 2m,
            _ => 4m,
        };
        return new Size("aws", vcpu * perVcpu);
    }

    private static Size? Gcp(string n)
    {
        var m = GcpPredefined().Match(n);
        if (m.Success)
        {
            decimal perVcpu = m.Groups["class"].Value.ToUpperInvariant() switch
            {
                "HIGHCPU" => 1m,
                "STANDARD" => 4m,
                "HIGHMEM" or "HYPERMEM" => 8m,
                "MEGAMEM" => 14m,
                "ULTRAMEM" => 24m,
                _ => 12m,
            };
            return new Size("gcp", Number(m.Groups["n"].Value) * perVcpu);
        }

        m = GcpCustom().Match(n);
        if (m.Success)
        {
            return new Size("gcp", Number(m.Groups["mem"].Value) / 1024m);
        }

        m = GcpSharedCore().Match(n);
        if (m.Success)
        {
            return new Size("gcp", m.Groups["name"].Value.ToUpperInvariant() switch
            {
                "E2-MICRO" => 1m,
                "E2-SMALL" => 2m,
                "E2-MEDIUM" => 4m,
                "F1-MICRO" => 0.6m,
                _ => 1.7m,
            });
        }

        m = GcpPerfOptimized().Match(n);
        return m.Success ? new Size("gcp", Number(m.Groups["n"].Value) * 8m) : null;
    }

    private static Size? Azure(string n)
    {
        var m = AzureVm().Match(n);
        if (m.Success)
        {
            var family = m.Groups["family"].Value.ToUpperInvariant();
            decimal perVcpu = family[0] switch
            {
                'E' or 'L' or 'H' => 8m,
                'M' => 16m,
                'F' or 'A' => 2m,
                'N' => 6m,
                _ => 4m,
            };
            return new Size("azure", Number(m.Groups["n"].Value) * perVcpu);
        }

        m = AzureVCore().Match(n);
        return m.Success ? new Size("azure-vcore", Number(m.Groups["n"].Value) * 5m) : null;
    }

    private static decimal Number(string digits) =>
        decimal.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var d) ? d : 1m;

    // db.r6g.2xlarge, m5.large, cache.t4g.micro, r6g.large.search, ra3.4xlarge, c7g.metal, m7i.metal-48xl
    [GeneratedRegex(@"^(?:(?:db|cache|search|ml|dax)\.)?(?<family>[a-z][a-z0-9-]*)\.(?<size>nano|micro|small|medium|large|\d*xlarge|metal(?:-\d+xl)?)(?:\.(?:search|elasticsearch))?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AwsShape();

    // n2-standard-8, db-n1-highmem-4, c2-standard-60, a2-highgpu-1g
    [GeneratedRegex(@"^(?:db-)?[a-z]\d+[a-z]?-(?<class>standard|highmem|highcpu|megamem|ultramem|hypermem|highgpu|megagpu|ultragpu|edgegpu)-(?<n>\d+)[a-z]?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GcpPredefined();

    // custom-4-15360, n2-custom-4-15360-ext, db-custom-4-15360
    [GeneratedRegex(@"^(?:db-|[a-z]\d+[a-z]?-)?custom-(?<cpu>\d+)-(?<mem>\d+)(?:-ext)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GcpCustom();

    // e2-micro, db-f1-micro, db-g1-small
    [GeneratedRegex(@"^(?:db-)?(?<name>e2-micro|e2-small|e2-medium|f1-micro|g1-small)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GcpSharedCore();

    // db-perf-optimized-N-8
    [GeneratedRegex(@"^db-perf-optimized-n-(?<n>\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GcpPerfOptimized();

    // Standard_D4s_v3, Standard_E16-4ds_v5, Standard_B2ms, Standard_NC6s_v3, GP_Standard_D4s_v3 (flexible server)
    [GeneratedRegex(@"^(?:(?:B|GP|MO)_)?(?:Standard|Basic)_(?<family>[A-Za-z]+)(?<n>\d+)(?:-\d+)?[a-z]*(?:_[A-Z]\d+)?(?:_v\d+)?(?:_Promo)?$", RegexOptions.CultureInvariant)]
    private static partial Regex AzureVm();

    // GP_Gen5_8, BC_Gen5_4, GP_S_Gen5_2, HS_Gen5_4
    [GeneratedRegex(@"^(?:GP|BC|HS)_(?:S_)?Gen\d+_(?<n>\d+)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AzureVCore();
}
