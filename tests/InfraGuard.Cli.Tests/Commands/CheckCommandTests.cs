using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Testing;

namespace InfraGuard.Cli.Tests.Commands;

public class CheckCommandTests
{
    private static readonly string TwoAm = Repo.File("examples", "2am-agent-rds-scale-down.synthetic.eventlog.jsonl");
    private static readonly string DevTag = Repo.File("examples", "dev-tag-change.synthetic.eventlog.jsonl");
    private static readonly string ProdDelete = Repo.File("examples", "prod-db-delete.synthetic.eventlog.jsonl");

    [Fact]
    public async Task Check_TwoAmAgentScaleDown_ExitsReviewWithSizeFinding()
    {
        var result = await Cli.RunAsync(["check", "--event-log", TwoAm, "--actor-kind", "agent", "--format", "json"]);

        Assert.Equal(ExitCodes.ReviewRequired, result.ExitCode);
        var json = JsonNode.Parse(result.Out)!;
        Assert.Equal("review", (string?)json["decision"]);
        Assert.Equal("production", (string?)json["tier"]);
        Assert.Equal("prod", (string?)json["stack"]);
        Assert.Equal(1, (int?)json["counts"]!["update"]);
        var finding = json["findings"]!.AsArray().Single(f => (string?)f!["path"] == "instanceClass");
        Assert.Equal("db.r6g.2xlarge", (string?)finding!["before"]);
        Assert.Equal("db.t4g.medium", (string?)finding["after"]);
        Assert.Equal("update", (string?)finding["op"]);
        Assert.True((int)json["score"]! >= (int)json["reviewAt"]!);
        Assert.Equal(string.Empty, result.Error);
    }

    [Fact]
    public async Task Check_SameChangeByHuman_ScoresLowerThanByAgent()
    {
        var agent = JsonNode.Parse((await Cli.RunAsync(["check", "--event-log", TwoAm, "--actor-kind", "agent", "--format", "json"])).Out)!;
        var human = JsonNode.Parse((await Cli.RunAsync(["check", "--event-log", TwoAm, "--actor-kind", "human", "--format", "json"])).Out)!;

        Assert.True((int)agent["score"]! > (int)human["score"]!);
    }

    [Fact]
    public async Task Check_DevTagChange_AllowsWithExitZero()
    {
        var result = await Cli.RunAsync(["check", "--event-log", DevTag, "--format", "json"]);

        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Equal("allow", (string?)JsonNode.Parse(result.Out)!["decision"]);
    }

    [Fact]
    public async Task Check_ProdDatabaseDelete_NeedsApprovalOrBlocks()
    {
        var result = await Cli.RunAsync(["check", "--event-log", ProdDelete, "--format", "json"]);

        Assert.Contains(result.ExitCode, new[] { ExitCodes.ReviewRequired, ExitCodes.Blocked });
        var findings = JsonNode.Parse(result.Out)!["findings"]!.AsArray();
        Assert.Contains(findings, f => (string?)f!["op"] == "delete" && ((string?)f["resource"])!.EndsWith("::payments-db", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    [InlineData("markdown")]
    public async Task Check_TwoAmScenario_MatchesGoldenOutput(string format)
    {
        var result = await Cli.RunAsync(["check", "--event-log", "examples/2am-agent-rds-scale-down.synthetic.eventlog.jsonl", "--actor-kind", "agent", "--format", format]);

        Golden.Match($"check-2am.{format}", result.Out);
    }

    [Fact]
    public async Task Check_GithubStepSummarySet_AppendsMarkdown()
    {
        var summary = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(summary, "previous\n", TestContext.Current.CancellationToken);
            var result = await Cli.RunAsync(["check", "--event-log", TwoAm, "--actor-kind", "agent"], new Dictionary<string, string> { ["GITHUB_STEP_SUMMARY"] = summary });

            var text = await File.ReadAllTextAsync(summary, TestContext.Current.CancellationToken);
            Assert.StartsWith("previous\n### InfraGuard: ⚠️ Approval required", text, StringComparison.Ordinal);
            Assert.Equal(ExitCodes.ReviewRequired, result.ExitCode);
        }
        finally
        {
            File.Delete(summary);
        }
    }

    [Fact]
    public async Task Check_NoInput_IsUsageError()
    {
        var result = await Cli.RunAsync(["check", "--stack", "prod"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("exactly one of --event-log, --preview-json or --plan-json", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Out);
    }

    [Fact]
    public async Task Check_TwoInputs_IsUsageError()
    {
        var result = await Cli.RunAsync(["check", "--event-log", TwoAm, "--plan-json", TwoAm]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
    }

    [Fact]
    public async Task Check_UnknownFormat_IsUsageError()
    {
        var result = await Cli.RunAsync(["check", "--event-log", TwoAm, "--format", "yaml"]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("yaml", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_MissingFile_IsBadInputNamingThePath()
    {
        var result = await Cli.RunAsync(["check", "--event-log", "no/such/log.json", "--stack", "prod"]);

        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("no/such/log.json: file not found", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_TruncatedLog_IsBadInputWithLocation()
    {
        var path = Path.GetTempFileName();
        try
        {
            var text = await File.ReadAllTextAsync(TwoAm, TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(path, text[..(text.Length / 2)], TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["check", "--event-log", path, "--stack", "prod"]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains(path + ":", result.Error, StringComparison.Ordinal);
            Assert.Equal(string.Empty, result.Out);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string, string, string> BadInputs() => new()
    {
        { "empty", "--event-log", "", "the file is empty" },
        { "binary", "--event-log", "\u0000\u0001\u0002PK\u0003\u0004\u00ff\u00fe", "binary" },
        { "malformed", "--event-log", "{\"sequence\":1,\"timestamp\":1,\"preludeEvent\":{\"config\":{}}\n{\"sequence\":2,,}\n", "malformed JSON" },
        { "no-cancel", "--event-log", "{\"sequence\":1,\"timestamp\":1,\"preludeEvent\":{\"config\":{}}}\n", "without cancelEvent" },
        { "tf-v2", "--plan-json", "{\"format_version\":\"2.0\",\"resource_changes\":[]}", "2.0" },
        { "tf-truncated", "--plan-json", "{\"format_version\":\"1.2\",\"resource_changes\":[{\"address\":", "truncated" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Check_BadInput_ExitsSixtyFiveNamingFileAndProblem(string name, string option, string content, string problem)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ig-bad-{name}-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(path, content, TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["check", option, path, "--stack", "prod"]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains(path, result.Error, StringComparison.Ordinal);
            Assert.Contains(problem, result.Error, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(string.Empty, result.Out);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Check_InvalidUtf8InEventLog_IsBadInputWithLocation()
    {
        // Security review F6: this log was allowed (exit 0) on the dev stack.
        var path = Path.Combine(Path.GetTempPath(), $"ig-bad-utf8-{Guid.NewGuid():N}.jsonl");
        try
        {
            var bytes = await File.ReadAllBytesAsync(DevTag, TestContext.Current.CancellationToken);
            var at = bytes.AsSpan().IndexOf("cost-centre"u8);
            bytes[at] = 0xFF;
            bytes[at + 1] = 0xFE;
            await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["check", "--event-log", path, "--stack", "dev"]);

            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains($"{path}:3:", result.Error, StringComparison.Ordinal);
            Assert.Contains("the input holds text that is not valid UTF-8", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Check_UnknownOperation_FailsClosedWithBlock()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ig-unknown-op-{Guid.NewGuid():N}.jsonl");
        try
        {
            var text = await File.ReadAllTextAsync(DevTag, TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(path, text.Replace("\"op\":\"update\"", "\"op\":\"teleport\"", StringComparison.Ordinal), TestContext.Current.CancellationToken);

            var result = await Cli.RunAsync(["check", "--event-log", path, "--format", "json"]);

            Assert.Equal(ExitCodes.Blocked, result.ExitCode);
            var json = JsonNode.Parse(result.Out)!;
            Assert.Equal("block", (string?)json["decision"]);
            Assert.Equal(1, (int?)json["counts"]!["unknown"]);
            Assert.Contains(json["findings"]!.AsArray(), f => (string?)f!["rule"] == "unknown-op");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Check_TerraformPlanWithoutStack_IsUsageError()
    {
        var result = await Cli.RunAsync(["check", "--plan-json", Repo.Fixture("terraform", "tofu-basic-delete.plan.json")]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("--stack", result.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string> TerraformFixtures() =>
        new(Directory.GetFiles(Repo.Fixture("terraform"), "*.plan.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(TerraformFixtures))]
    public async Task Check_TerraformFixture_NeverPrintsSensitiveValues(string file)
    {
        var path = Repo.Fixture("terraform", file);
        var secrets = SensitiveValues(JsonNode.Parse(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken))!);
        if (file == "tfcompliance-rds-create.plan.json")
        {
            secrets.Add("foobarbaz");
        }

        foreach (var format in new[] { "text", "json", "markdown" })
        {
            var result = await Cli.RunAsync(["check", "--plan-json", path, "--stack", "prod", "--format", format]);

            Assert.Contains(result.ExitCode, new[] { ExitCodes.Ok, ExitCodes.ReviewRequired, ExitCodes.Blocked });
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, result.Out, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, result.Error, StringComparison.Ordinal);
            }
        }
    }

    // Every scalar value found under a path that a *_sensitive mask marks true, in before and after of every change.
    private static HashSet<string> SensitiveValues(JsonNode plan)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in new[] { "resource_changes", "resource_drift" })
        {
            foreach (var rc in plan[section]?.AsArray() ?? [])
            {
                var change = rc!["change"]!;
                Collect(change["before"], change["before_sensitive"], found);
                Collect(change["after"], change["after_sensitive"], found);
            }
        }

        return found;
    }

    private static void Collect(JsonNode? value, JsonNode? mask, HashSet<string> found)
    {
        switch (mask)
        {
            case JsonValue v when v.TryGetValue<bool>(out var b) && b:
                AddScalars(value, found);
                break;
            case JsonObject m when value is JsonObject o:
                foreach (var (key, sub) in m)
                {
                    Collect(o[key], sub, found);
                }

                break;
            case JsonArray m when value is JsonArray a:
                for (var i = 0; i < Math.Min(m.Count, a.Count); i++)
                {
                    Collect(a[i], m[i], found);
                }

                break;
        }
    }

    private static void AddScalars(JsonNode? value, HashSet<string> found)
    {
        switch (value)
        {
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length >= 4:
                found.Add(v.GetValue<string>());
                break;
            case JsonObject o:
                foreach (var (_, sub) in o)
                {
                    AddScalars(sub, found);
                }

                break;
            case JsonArray a:
                foreach (var sub in a)
                {
                    AddScalars(sub, found);
                }

                break;
        }
    }
}
