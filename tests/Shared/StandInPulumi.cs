using System.Diagnostics;

namespace InfraGuard.Testing;

/// <summary>
/// Locates (and if needed builds) the stand-in <c>pulumi</c> from tests/StandIn.Pulumi, and prepares a PATH with it
/// first. Test projects that use it should add
/// <c>&lt;ProjectReference Include="..\StandIn.Pulumi\StandIn.Pulumi.csproj" ReferenceOutputAssembly="false" /&gt;</c>
/// so a normal build keeps it fresh; without that it is built here once (same configuration as the tests).
/// Its environment-variable contract is in tests/StandIn.Pulumi/README.md.
/// </summary>
internal static class StandInPulumi
{
    private static readonly Lazy<string> DirectoryPath = new(Locate);

    /// <summary>The folder holding the stand-in's <c>pulumi</c> executable.</summary>
    public static string Directory => DirectoryPath.Value;

    /// <summary>The stand-in executable itself.</summary>
    public static string Executable => Path.Combine(Directory, OperatingSystem.IsWindows() ? "pulumi.exe" : "pulumi");

    /// <summary>A scenario folder under tests/StandIn.Pulumi/Scenarios.</summary>
    public static string Scenario(string name) => Repo.File("tests", "StandIn.Pulumi", "Scenarios", name);

    /// <summary>PATH with the stand-in first, then the current PATH.</summary>
    public static string PathWithStandInFirst() =>
        Directory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");

    private static string Locate()
    {
        // The test assembly lives in bin/<Configuration>/<tfm>/; the stand-in is built the same way.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testOutput.Name;
        var configuration = testOutput.Parent?.Name ?? "Debug";
        var project = Repo.File("tests", "StandIn.Pulumi");
        var output = Path.Combine(project, "bin", configuration, tfm);
        var executable = Path.Combine(output, OperatingSystem.IsWindows() ? "pulumi.exe" : "pulumi");
        if (System.IO.File.Exists(executable))
        {
            return output;
        }

        using var mutex = new Mutex(false, "InfraGuard.StandInPulumi.Build");
        mutex.WaitOne(TimeSpan.FromMinutes(5));
        try
        {
            if (!System.IO.File.Exists(executable))
            {
                Build(project, configuration);
            }
        }
        finally
        {
            mutex.ReleaseMutex();
        }

        return System.IO.File.Exists(executable)
            ? output
            : throw new InvalidOperationException($"The stand-in pulumi was not found at {executable} after building {project}.");
    }

    private static void Build(string project, string configuration)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "build", project, "-c", configuration, "-nologo", "-v:q" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"Building the stand-in pulumi failed:\n{output.Result}\n{error}");
        }
    }
}
