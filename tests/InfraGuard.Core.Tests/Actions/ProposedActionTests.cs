using System.Text.Json.Nodes;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Changes;

namespace InfraGuard.Core.Tests.Actions;

public class ProposedActionTests
{
    [Fact]
    public void Hash_AnyChangedArgumentKindOrTarget_IsAnotherAction()
    {
        var approved = ProposedAction.Command("data.export", "prod/orders", ["pg_dump", "--table=customers", "orders"]).Hash();

        Assert.Equal(64, approved.Length);
        Assert.Equal(approved, ProposedAction.Command("data.export", "prod/orders", ["pg_dump", "--table=customers", "orders"]).Hash());
        Assert.NotEqual(approved, ProposedAction.Command("data.export", "prod/orders", ["pg_dump", "--table=customers", "orders", "--data-only"]).Hash());
        Assert.NotEqual(approved, ProposedAction.Command("data.export", "prod/orders", ["pg_dump", "--table=payments", "orders"]).Hash());
        Assert.NotEqual(approved, ProposedAction.Command("data.export", "prod/orders", ["pg_dump", "--table=customers orders"]).Hash());
        Assert.NotEqual(approved, ProposedAction.Command("db.write", "prod/orders", ["pg_dump", "--table=customers", "orders"]).Hash());
        Assert.NotEqual(approved, ProposedAction.Command("data.export", "prod/orders2", ["pg_dump", "--table=customers", "orders"]).Hash());
    }

    [Fact]
    public void Hash_ToolCall_IgnoresKeyOrderButNotValuesAndHashesFloats()
    {
        var a = ProposedAction.ToolCall("data.export", null, "export", JsonNode.Parse("""{"table":"customers","ratio":0.5,"n":1}""")!.AsObject()).Hash();

        Assert.Equal(a, ProposedAction.ToolCall("data.export", null, "export", JsonNode.Parse("""{"n":1,"ratio":0.5,"table":"customers"}""")!.AsObject()).Hash());
        Assert.NotEqual(a, ProposedAction.ToolCall("data.export", null, "export", JsonNode.Parse("""{"n":1,"ratio":0.25,"table":"customers"}""")!.AsObject()).Hash());
        Assert.NotEqual(a, ProposedAction.ToolCall("data.export", null, "export", JsonNode.Parse("""{"n":"1","ratio":0.5,"table":"customers"}""")!.AsObject()).Hash());
    }

    [Fact]
    public void Redacted_PasswordsAndConnectionStrings_NeverSurvive()
    {
        var action = ProposedAction.Command("data.export", "prod/orders", [
            "pg_dump", "--password=hunter2", "--token", "tok-SECRET-1", "postgres://app:s3cr3t@db.internal:5432/orders",
            "host=db password=pw-LIBPQ dbname=orders", "Server=db;Database=orders;User Id=app;Password=Adonet-Secret;", "PGPASSWORD=envpw",
            "--secret-id", "prod/db-credentials", "-H", "Authorization: Bearer eyJ-header-token",
        ]);

        var shown = action.Redacted().Display();

        foreach (var secret in new[] { "hunter2", "tok-SECRET-1", "s3cr3t", "pw-LIBPQ", "Adonet-Secret", "envpw", "eyJ-header-token" })
        {
            Assert.DoesNotContain(secret, shown, StringComparison.Ordinal);
        }

        Assert.Contains("--password=[secret]", shown, StringComparison.Ordinal);
        Assert.Contains("postgres://app:[secret]@db.internal:5432/orders", shown, StringComparison.Ordinal);
        Assert.Contains("prod/db-credentials", shown, StringComparison.Ordinal); // names a secret, holds none
    }

    [Fact]
    public void Redacted_ToolArguments_RedactsSecretNamesAndSecretsInStrings()
    {
        var action = ProposedAction.ToolCall("data.export", null, "export", JsonNode.Parse("""{"password":"pw1","dsn":"mysql://u:pw2@h/db","nested":{"api_key":"k3"},"list":["token=pw4"]}""")!.AsObject());

        var shown = action.Redacted().Arguments!.ToJsonString();

        Assert.DoesNotContain("pw1", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("pw2", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("k3", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("pw4", shown, StringComparison.Ordinal);
        Assert.Contains(Redaction.SecretMarker, shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Problem_ArgvAndToolTogether_IsRefused()
    {
        Assert.NotNull(new ProposedAction("data.export", null, ["pg_dump"], "export", []).Problem());
        Assert.NotNull(new ProposedAction("data.export", null, []).Problem());
        Assert.NotNull(new ProposedAction("data.export", "a\nb", ["pg_dump"]).Problem());
        Assert.Null(ProposedAction.Command("data.export", "prod/orders", ["pg_dump"]).Problem());
    }
}
