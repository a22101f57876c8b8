using InfraGuard.Core.Changes;

namespace InfraGuard.Terraform.Tests.Readers;

/// <summary>Nothing secret leaves the reader: the whole model is serialised and searched.</summary>
public class TerraformPlanReaderRedactionTests
{
    [Fact]
    public void Read_RdsCreateTf012_PlaintextPasswordNeverInModel()
    {
        var set = TfPlans.Fixture("tfcompliance-rds-create.plan.json");

        Assert.Contains("foobarbaz", File.ReadAllText(TfPlans.FixturePath("tfcompliance-rds-create.plan.json")), StringComparison.Ordinal);
        Assert.DoesNotContain("foobarbaz", TfPlans.Serialise(set), StringComparison.Ordinal);
        var db = Assert.Single(set.Changes);
        Assert.Equal(Redaction.SecretMarker, (string?)db.After!["password"]);
        Assert.Equal(PropertyChangeKind.Add, db.Property("password").Kind);
        Assert.Equal(Redaction.SecretMarker, (string?)db.Property("password").After);
        Assert.Contains("password", db.SensitivePaths);
    }

    [Fact]
    public void Read_Tf014DbPassword_NeverInModel()
    {
        var json = TfPlans.Serialise(TfPlans.Fixture("infracost-rds-ec2-26res-tf014.plan.json"));

        Assert.DoesNotContain("YourPwdShouldBeLongAndSecure!", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SensitiveReplace_ValuesAtSensitivePathsNeverInModel()
    {
        var set = TfPlans.Fixture("tfplancomment-replace-paths.plan.json");
        var json = TfPlans.Serialise(set);

        // before.content / after.content of local_file.test are marked sensitive but present in clear text in the file.
        Assert.DoesNotContain("foo-42", json, StringComparison.Ordinal);
        Assert.DoesNotContain("foobar-42", json, StringComparison.Ordinal);
        var change = set.Change("local_file.test");
        Assert.Equal(["content"], change.SensitivePaths);
        var content = change.Property("content");
        Assert.Equal((Redaction.SecretMarker, Redaction.SecretMarker), ((string?)content.Before, (string?)content.After));
        Assert.True(content.ForcesReplace);
    }

    public static TheoryData<string> Fixtures => new(TfPlans.FixtureNames());

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Read_Fixture_NoValueAtASensitivePathInModel(string name)
    {
        var json = TfPlans.Serialise(TfPlans.Fixture(name));

        foreach (var secret in SensitiveStrings.In(TfPlans.FixturePath(name)))
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SensitiveStrings_KnownFiles_FindsTheMarkedValues()
    {
        Assert.Equal(["foo-42", "foobar-42"], SensitiveStrings.In(TfPlans.FixturePath("tfplancomment-replace-paths.plan.json")).Order(StringComparer.Ordinal));
        Assert.Contains("flag-secret-changed-1414", SensitiveStrings.In(TfPlans.TestDataPath("synthetic-sensitive.plan.json")));
    }

    [Fact]
    public void Read_SyntheticSensitive_NoMarkedValueInModel()
    {
        var json = TfPlans.Serialise(TfPlans.TestData("synthetic-sensitive.plan.json"));
        var secrets = SensitiveStrings.In(TfPlans.TestDataPath("synthetic-sensitive.plan.json"));

        Assert.True(secrets.Count >= 8);
        Assert.All(secrets, secret => Assert.DoesNotContain(secret, json, StringComparison.Ordinal));
    }

    [Fact]
    public void Read_SyntheticSensitive_NoSecretInModel()
    {
        var json = TfPlans.Serialise(TfPlans.TestData("synthetic-sensitive.plan.json"));

        foreach (var secret in (string[])["var-cleartext-Pw-1111", "old-Pw-2222", "same-named-secret-3333", "hidden-host-4444", "conn-user-5555",
                     "conn-pw-6666", "became-sensitive-7777", "flag-secret-8888", "new-Pw-9999", "hidden-host-new-1212", "conn-pw-changed-1313",
                     "flag-secret-changed-1414"])
        {
            Assert.DoesNotContain(secret, json, StringComparison.Ordinal);
        }

        Assert.Contains("public-host-a", json, StringComparison.Ordinal);
        Assert.Contains("db.t4g.medium", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SyntheticSensitive_ChangedSecretsReportedUnchangedOnesNot()
    {
        var change = TfPlans.TestData("synthetic-sensitive.plan.json").Change("aws_db_instance.main");
        var paths = change.Properties.Select(p => p.Path).ToList();

        Assert.Equal(Redaction.SecretMarker, (string?)change.Property("password").After);
        Assert.Equal(Redaction.SecretMarker, (string?)change.Property("connection_info").Before);
        Assert.Equal(Redaction.SecretMarker, (string?)change.Property("settings[0].flags[0].value").After);
        Assert.Equal(PropertyChangeKind.Add, change.Property("hosts[2]").Kind);
        Assert.Equal(Redaction.SecretMarker, (string?)change.Property("hosts[2]").After);
        Assert.DoesNotContain("db_password", paths);     // same value under a secret-looking name
        Assert.DoesNotContain("endpoint_value", paths);  // same value, only became sensitive
        Assert.DoesNotContain("hosts[1]", paths);         // same sensitive list element
        Assert.Equal(("db.r6g.2xlarge", "db.t4g.medium"), ((string?)change.Property("instance_class").Before, (string?)change.Property("instance_class").After));
        Assert.Equal("primary", (string?)change.Property("tags[\"kubernetes.io/role\"]").After);
        Assert.Equal(Redaction.UnknownMarker, (string?)change.Property("arn").After);
    }

    [Fact]
    public void Read_SyntheticSensitive_SensitivePathsListEveryRedactedPath()
    {
        var change = TfPlans.TestData("synthetic-sensitive.plan.json").Change("aws_db_instance.main");

        Assert.Equal(
            ["connection_info", "db_password", "endpoint_value", "hosts[1]", "hosts[2]", "password", "settings[0].flags[0].value"],
            change.SensitivePaths.Order(StringComparer.Ordinal));
        Assert.Equal(Redaction.SecretMarker, (string?)change.Before!["endpoint_value"]); // marked only in after_sensitive
    }

    [Fact]
    public void Read_WholeValueSensitive_EveryAttributeRedacted()
    {
        var set = TfPlans.Text(TfPlans.Plan(TfPlans.Resource("aws_ssm_parameter.p", """["update"]""",
            """ "before":{"value":"whole-a-1","type":"String"},"after":{"value":"whole-b-2","type":"SecureString"},"before_sensitive":true,"after_sensitive":true """)));

        var json = TfPlans.Serialise(set);
        Assert.DoesNotContain("whole-a-1", json, StringComparison.Ordinal);
        Assert.DoesNotContain("whole-b-2", json, StringComparison.Ordinal);
        Assert.DoesNotContain("SecureString", json, StringComparison.Ordinal);
        Assert.Equal(2, set.Changes[0].Properties.Count);
    }

    /// <summary>Every string value found at a path marked true in before_sensitive/after_sensitive of a plan file.</summary>
    private static class SensitiveStrings
    {
        public static List<string> In(string path)
        {
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
            var found = new List<string>();
            foreach (var rc in document.RootElement.GetProperty("resource_changes").EnumerateArray())
            {
                var change = rc.GetProperty("change");
                foreach (var (value, mask) in ((string, string)[])[("before", "before_sensitive"), ("after", "after_sensitive"), ("before", "after_sensitive"), ("after", "before_sensitive")])
                {
                    if (change.TryGetProperty(value, out var v) && change.TryGetProperty(mask, out var m))
                    {
                        Collect(v, m, marked: false, found);
                    }
                }
            }

            return found.Where(s => s.Length >= 4).Distinct().ToList();
        }

        private static void Collect(System.Text.Json.JsonElement value, System.Text.Json.JsonElement mask, bool marked, List<string> found)
        {
            marked |= mask.ValueKind == System.Text.Json.JsonValueKind.True;
            switch (value.ValueKind)
            {
                case System.Text.Json.JsonValueKind.String when marked:
                    found.Add(value.GetString()!);
                    break;
                case System.Text.Json.JsonValueKind.Object:
                    foreach (var p in value.EnumerateObject())
                    {
                        var child = mask.ValueKind == System.Text.Json.JsonValueKind.Object && mask.TryGetProperty(p.Name, out var c) ? c : default;
                        Collect(p.Value, child, marked, found);
                    }

                    break;
                case System.Text.Json.JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        var child = mask.ValueKind == System.Text.Json.JsonValueKind.Array && i < mask.GetArrayLength() ? mask[i] : default;
                        Collect(item, child, marked, found);
                        i++;
                    }

                    break;
            }
        }
    }
}
