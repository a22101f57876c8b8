namespace InfraGuard.Engines;

/// <summary>A temp folder only the current user can read (0700 on Unix), deleted with everything in it on dispose.</summary>
public sealed class PrivateTempDirectory : IDisposable
{
    private PrivateTempDirectory(string path) => Path = path;

    public string Path { get; }

    public static PrivateTempDirectory Create(string? root)
    {
        if (root is null)
        {
            // Directory.CreateTempSubdirectory creates the folder with mode 0700 on Unix.
            return new PrivateTempDirectory(Directory.CreateTempSubdirectory("infraguard-").FullName);
        }

        var path = System.IO.Path.Combine(root, "infraguard-" + Guid.NewGuid().ToString("N")[..12]);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new PrivateTempDirectory(path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still held open (Windows) must not hide the run's real outcome.
        }
        catch (UnauthorizedAccessException)
        {
            // Same as above.
        }
    }
}
