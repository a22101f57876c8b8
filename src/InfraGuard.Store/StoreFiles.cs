namespace InfraGuard.Store;

/// <summary>Files the store creates: readable and writable by their owner only (0600), since they hold saved plans and keys.</summary>
internal static class StoreFiles
{
    /// <summary>A new file with mode 0600 (on Unix; a file that exists is an <see cref="IOException"/>).</summary>
    public static FileStream CreateNew(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, options);
    }

    /// <summary>
    /// Creates an empty SQLite database file with mode 0600 unless it exists (SQLite takes an empty file as a new
    /// database, and gives its <c>-wal</c> and <c>-shm</c> files the database file's mode). In-memory and URI data
    /// sources are left to SQLite.
    /// </summary>
    public static void CreateDatabaseFile(string path)
    {
        if (path.Length == 0 || path == ":memory:" || path.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || File.Exists(path))
        {
            return;
        }

        try
        {
            CreateNew(path).Dispose();
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: SQLite opens that one.
        }
    }
}
