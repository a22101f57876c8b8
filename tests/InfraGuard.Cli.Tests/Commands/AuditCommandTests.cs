using Microsoft.Data.Sqlite;

namespace InfraGuard.Cli.Tests.Commands;

public sealed class AuditCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ig-audit-cmd-").FullName;

    private string Db => Path.Combine(_root, "store", "infraguard.db");

    private Dictionary<string, string> Environment => new()
    {
        ["HOME"] = _root,
        ["INFRAGUARD_DB"] = Db,
        ["INFRAGUARD_KEY_FILE"] = Path.Combine(_root, "keys", "audit-key.pem"),
    };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("ed25519:../../../elsewhere/PWNED")]
    [InlineData("ed25519:0123456789abcdef/../../../PWNED")]
    [InlineData("/tmp/PWNED")]
    public async Task Export_KeyIdShapedLikeAPath_RefusedNamingItAndWritesNothing(string keyId)
    {
        // Security review F7: a key id from the database chose where the export wrote.
        Assert.Equal(ExitCodes.Ok, (await RunAsync("audit", "export", "--out", Path.Combine(_root, "first"))).ExitCode);
        await ExecuteAsync($"INSERT INTO audit_key (key_id, public_key, added_at) VALUES ('{keyId}', 'IPSSjVshdFWj9BIKjYQlD02YUt3UofNbjSque2RAy/w=', 'x')");
        var export = Path.Combine(_root, "ex", "sub");

        var result = await RunAsync("audit", "export", "--out", export);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains($"the key id '{keyId}' is not ed25519: followed by 16 to 64 lower-case hex digits", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root, "ex")));
        Assert.Empty(Directory.GetFiles(_root, "PWNED*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Verify_EntriesAfterTheLastCheckpoint_ReportsTheTailInTextAndJson()
    {
        await RunAsync("tokens", "create", "--identity", "github:alice", "--scope", "approver");
        await RunAsync("tokens", "create", "--identity", "github:bob", "--scope", "approver");

        var before = System.Text.Json.Nodes.JsonNode.Parse((await RunAsync("audit", "verify", "--format", "json")).Out)!["tail"]!;
        Assert.Equal(ExitCodes.Ok, (await RunAsync("keys", "rotate", "--reason", "yearly rotation")).ExitCode);
        await RunAsync("tokens", "create", "--identity", "github:carol", "--scope", "auditor");
        var after = await RunAsync("audit", "verify");

        Assert.Equal(2, (long)before["entriesAfterLastCheckpoint"]!);
        Assert.Null(before["lastCheckpointSize"]);
        Assert.Equal(ExitCodes.Ok, after.ExitCode);
        Assert.Contains("\ntail        1 entry after the last checkpoint (size 3, 2026-11-25T02:00:00.000Z, 0s ago); no checkpoint vouches for them yet", after.Out, StringComparison.Ordinal);
        Assert.EndsWith("Result: 4 entries, 1 checkpoints, 0 findings. Valid.\n", after.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokensList_PostgresOutOfReach_ExitsUnavailableSayingWhatAndWhatToDo()
    {
        // Security review F8: this was exit 70, "This is a bug in InfraGuard".
        var result = await RunAsync("tokens", "list", "--db", "postgres://ig:s3cret-pw@127.0.0.1:1/ig");

        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.Contains("\nError: the store (postgres ig@127.0.0.1:1/ig) is unavailable: cannot reach the server (", result.Error, StringComparison.Ordinal);
        Assert.Contains("then retry", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("bug", result.Error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret-pw", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_StoreOutOfReach_StopsAtStartWithUnavailable()
    {
        var result = await RunAsync("serve", "--urls", "http://127.0.0.1:0", "--db", "postgres://ig:s3cret-pw@127.0.0.1:1/ig");

        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.Contains("Error: the store (postgres ig@127.0.0.1:1/ig) is unavailable: cannot reach the server", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task KeysInitAndFirstStoreUse_CreateOwnerOnlyFiles()
    {
        // Security review U5: the database (with the saved plans) was created 0644.
        var key = Path.Combine(_root, "keys", "audit-key.pem");

        Assert.Equal(ExitCodes.Ok, (await RunAsync("keys", "init")).ExitCode);
        Assert.Equal(ExitCodes.Ok, (await RunAsync("tokens", "create", "--identity", "github:alice", "--scope", "approver")).ExitCode);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Db));
    }

    private Task<CliResult> RunAsync(params string[] args) => Cli.RunAsync(args, Environment, _root);

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Db, Pooling = false }.ToString());
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
