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
