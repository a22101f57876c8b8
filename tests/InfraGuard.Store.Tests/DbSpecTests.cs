using Npgsql;

namespace InfraGuard.Store.Tests;

public class DbSpecTests
{
    [Fact]
    public void ToNpgsql_PostgresUrl_MapsEveryPart()
    {
        var builder = new NpgsqlConnectionStringBuilder(DbSpec.ToNpgsql("postgres://app%40corp:p%3Ass@db.internal:6543/infra?schema=audit&sslmode=require"));

        Assert.Equal("app@corp", builder.Username);
        Assert.Equal("p:ss", builder.Password);
        Assert.Equal("db.internal", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("infra", builder.Database);
        Assert.Equal("audit", builder.SearchPath);
        Assert.Equal(SslMode.Require, builder.SslMode);
    }

    [Theory]
    [InlineData("postgres://u:p@h/db", true)]
    [InlineData("postgresql://u@h:5432/db", true)]
    [InlineData("Host=h;Database=db;Username=u", true)]
    [InlineData("./infraguard.db", false)]
    [InlineData("sqlite:/var/lib/infraguard.db", false)]
    public void IsPostgres_Spec_ChoosesTheBackend(string spec, bool expected) => Assert.Equal(expected, DbSpec.IsPostgres(spec));

    [Fact]
    public void ToSqlite_PrefixedPath_IsDataSource() =>
        Assert.Equal("Data Source=/var/lib/infraguard.db", DbSpec.ToSqlite("sqlite:/var/lib/infraguard.db"));

    [Fact]
    public void ToNpgsql_UnknownOption_SaysWhichAreSupported()
    {
        var ex = Assert.Throws<ArgumentException>(() => DbSpec.ToNpgsql("postgres://u@h/db?pool=3"));
        Assert.Contains("schema, sslmode or max_pool_size", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToNpgsql_MaxPoolSize_SetsThePoolSize() =>
        Assert.Equal(30, new NpgsqlConnectionStringBuilder(DbSpec.ToNpgsql("postgres://u@h/db?max_pool_size=30")).MaxPoolSize);

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    public void ToNpgsql_MaxPoolSizeNotPositive_SaysWhat(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => DbSpec.ToNpgsql($"postgres://u@h/db?max_pool_size={value}"));
        Assert.Contains($"max_pool_size must be a positive whole number, not '{value}'", ex.Message, StringComparison.Ordinal);
    }
}
