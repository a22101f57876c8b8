namespace InfraGuard.Testing;

/// <summary>Paths to the repository and to the shared, read-only fixtures beside it.</summary>
internal static class Repo
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository root (the folder holding InfraGuard.sln).</summary>
    public static string Root => RootPath.Value;

    /// <summary>The shared folder: <c>INFRAGUARD_SHARED</c> when set, else <c>../shared</c> beside the repository.</summary>
    public static string Shared =>
        Environment.GetEnvironmentVariable("INFRAGUARD_SHARED") is { Length: > 0 } s
            ? s
            : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>A file or folder under <c>shared/fixtures</c>, e.g. <c>Fixture("pulumi", "event-logs", "up.json")</c>.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Shared, "fixtures", .. parts]);

    /// <summary>A file or folder under the repository root.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "InfraGuard.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("InfraGuard.sln not found above " + AppContext.BaseDirectory);
    }
}
