using System.Diagnostics;
using System.Text.Json.Nodes;
using InfraGuard.Testing;

namespace InfraGuard.Cli.Tests.EndToEnd;

/// <summary>
/// One end-to-end world: a temporary Pulumi project folder, its own store and key, and the stand-in <c>pulumi</c>
/// first on PATH, replaying a scenario. Every <see cref="Start"/> starts the real <c>infraguard</c> executable.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    private static readonly string InfraGuard = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "infraguard.exe" : "infraguard");

    private Sandbox(string scenario)
    {
        Root = Directory.CreateTempSubdirectory("ig-e2e-").FullName;
        Project = Directory.CreateDirectory(Path.Combine(Root, "project")).FullName;
        File.WriteAllText(Path.Combine(Project, "Pulumi.yaml"), "name: shop\nruntime: yaml\n");
        Record = Path.Combine(Root, "pulumi-calls.jsonl");
        Environment = new Dictionary<string, string>
        {
            ["PATH"] = StandInPulumi.PathWithStandInFirst(),
            ["HOME"] = Root,
            ["STANDIN_SCENARIO"] = StandInPulumi.Scenario(scenario),
            ["STANDIN_RECORD"] = Record,
            ["STANDIN_STATE"] = Path.Combine(Root, "state.json"),
            ["INFRAGUARD_DB"] = Path.Combine(Root, "store", "infraguard.db"),
            ["INFRAGUARD_KEY_FILE"] = Path.Combine(Root, "keys", "audit-key.pem"),
            ["INFRAGUARD_REQUESTER"] = "github:carol-example",
            ["INFRAGUARD_POLICY"] = LocalPolicy(Root),
            ["NO_COLOR"] = "1",
        };
    }

    public string Root { get; }

    public string Project { get; }

    public string Record { get; }

    public Dictionary<string, string> Environment { get; }

    public static Sandbox For(string scenario) => new(scenario);

    /// <summary>A Terraform project folder (<c>main.tf</c>) with the stand-in <c>terraform</c>/<c>tofu</c> first on PATH, replaying a fixture plan.</summary>
    public static Sandbox ForTerraform(string fixture)
    {
        var box = new Sandbox("synthetic-dev-scale-down");
        File.Delete(Path.Combine(box.Project, "Pulumi.yaml"));
        File.WriteAllText(Path.Combine(box.Project, "main.tf"), "# replayed by the stand-in terraform\n");
        box.Environment["PATH"] = StandInTerraform.BinFolder(box.Root) + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH");
        box.Environment["STANDIN_TF_PLAN"] = Repo.Fixture("terraform", fixture + ".plan.json");
        box.Environment.Remove("STANDIN_SCENARIO");
        return box;
    }

    /// <summary>
    /// The default pack with production's require-server and require-attested-requester off: these tests drive local
    /// mode end to end (the store and key on this machine). Production through the server is tested in the server tests.
    /// </summary>
    private static string LocalPolicy(string root)
    {
        var folder = Directory.CreateDirectory(Path.Combine(root, "policy")).FullName;
        File.WriteAllText(Path.Combine(folder, "policy.yaml"), File.ReadAllText(Repo.File("policy-packs", "infraguard", "policy.yaml"))
            .Replace("require-server: true", "require-server: false", StringComparison.Ordinal)
            .Replace("require-attested-requester: true", "require-attested-requester: false", StringComparison.Ordinal));
        return folder;
    }

    /// <summary>Starts <c>infraguard ARGS</c> in the project folder; <paramref name="identity"/> sets INFRAGUARD_IDENTITY.</summary>
    public ProcessRun Start(IEnumerable<string> args, string? identity = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var info = new ProcessStartInfo(InfraGuard)
        {
            WorkingDirectory = Project,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in Environment)
        {
            info.Environment[k] = v;
        }

        foreach (var k in info.Environment.Keys.Where(k => k.StartsWith("GITHUB_", StringComparison.Ordinal) || k is "CI" or "GITLAB_CI" or "TF_BUILD" or "BUILDKITE" or "CIRCLECI" or "JENKINS_URL").ToList())
        {
            info.Environment.Remove(k);
        }

        if (identity is not null)
        {
            info.Environment["INFRAGUARD_IDENTITY"] = identity;
        }

        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }

        return new ProcessRun(Process.Start(info)!);
    }

    /// <summary>Runs <c>infraguard ARGS</c> to the end.</summary>
    public Task<ProcessRun> RunAsync(IEnumerable<string> args, string? identity = null, IReadOnlyDictionary<string, string>? extra = null) =>
        Start(args, identity, extra).WaitAsync();

    /// <summary>The stand-in's record: one JSON object per line.</summary>
    public IReadOnlyList<JsonObject> Calls() =>
        File.Exists(Record)
            ? File.ReadAllLines(Record).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList()
            : [];

    /// <summary>The argv of every started pulumi command whose first word is <paramref name="command"/>.</summary>
    public IReadOnlyList<string[]> Argv(string command) =>
        Calls().Where(c => (string?)c["event"] == "started")
            .Select(c => c["argv"]!.AsArray().Select(a => (string)a!).ToArray())
            .Where(a => a.Length > 0 && a[0] == command)
            .ToList();

    /// <summary>Makes the project a git repository whose HEAD commit is authored by <paramref name="email"/>.</summary>
    public void CommitAs(string email)
    {
        foreach (var args in new[] { "init -q", "add -A", $"-c user.name=Author -c user.email={email} commit -q -m change" })
        {
            using var git = Process.Start(new ProcessStartInfo("git", args) { WorkingDirectory = Project, UseShellExecute = false })!;
            git.WaitForExit();
            Assert.Equal(0, git.ExitCode);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment; the temp folder is cleaned by the OS.
        }
    }
}
