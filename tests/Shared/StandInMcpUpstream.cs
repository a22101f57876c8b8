using System.Diagnostics;

namespace InfraGuard.Testing;

/// <summary>
/// Locates (and if needed builds) the loopback upstream MCP server from tests/StandIn.McpUpstream (tools
/// <c>query</c>, <c>export_table</c>, <c>drop_table</c>; every call it receives is appended to <c>$MCP_UPSTREAM_LOG</c>).
/// Test projects that use it reference the project with <c>ReferenceOutputAssembly="false"</c> so a build keeps it fresh.
/// </summary>
internal static class StandInMcpUpstream
{
    private static readonly Lazy<string> ExecutablePath = new(Locate);

    /// <summary>The upstream's executable.</summary>
    public static string Executable => ExecutablePath.Value;

    private static string Locate()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = testOutput.Parent?.Name ?? "Debug";
        var project = Repo.File("tests", "StandIn.McpUpstream");
        var executable = Path.Combine(project, "bin", configuration, testOutput.Name, OperatingSystem.IsWindows() ? "mcp-upstream.exe" : "mcp-upstream");
        if (!File.Exists(executable))
        {
            using var mutex = new Mutex(false, "InfraGuard.StandInMcpUpstream.Build");
            mutex.WaitOne(TimeSpan.FromMinutes(5));
            try
            {
                if (!File.Exists(executable))
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
                        throw new InvalidOperationException($"Building the stand-in MCP upstream failed:\n{output.Result}\n{error}");
                    }
                }
            }
            finally
            {
                mutex.ReleaseMutex();
            }
        }

        return File.Exists(executable) ? executable : throw new InvalidOperationException($"The stand-in MCP upstream was not found at {executable} after building {project}.");
    }
}
