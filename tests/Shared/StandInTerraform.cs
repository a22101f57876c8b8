namespace InfraGuard.Testing;

/// <summary>
/// The stand-in <c>terraform</c> from tests/StandIn.Terraform (see its README.md), built beside the tests by a
/// <c>ProjectReference ... ReferenceOutputAssembly="false"</c> in the test project.
/// </summary>
internal static class StandInTerraform
{
    /// <summary>The folder holding the built stand-in (the same configuration as the running tests).</summary>
    public static string Directory
    {
        get
        {
            var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var output = Path.Combine(Repo.File("tests", "StandIn.Terraform"), "bin", testOutput.Parent?.Name ?? "Debug", testOutput.Name);
            return System.IO.File.Exists(Path.Combine(output, "terraform"))
                ? output
                : throw new InvalidOperationException($"The stand-in terraform is not built at {output}: build tests/StandIn.Terraform with the same configuration.");
        }
    }

    /// <summary>A folder with the stand-in under both names, <c>terraform</c> and <c>tofu</c>, for PATH.</summary>
    public static string BinFolder(string root)
    {
        var bin = System.IO.Directory.CreateDirectory(Path.Combine(root, "tf-bin")).FullName;
        foreach (var name in new[] { "terraform", "tofu" })
        {
            System.IO.File.WriteAllText(Path.Combine(bin, name), $"#!/bin/sh\nexec \"{Path.Combine(Directory, "terraform")}\" \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                System.IO.File.SetUnixFileMode(Path.Combine(bin, name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        return bin;
    }
}
