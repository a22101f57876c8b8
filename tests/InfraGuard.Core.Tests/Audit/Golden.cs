namespace InfraGuard.Core.Tests.Audit;

/// <summary>Golden vectors in Vectors/golden-v1.txt (<c>name value</c> lines). A diff means a format change: bump the tag.</summary>
internal static class Golden
{
    public static Dictionary<string, string> Lines() =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Audit", "Vectors", "golden-v1.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
}
