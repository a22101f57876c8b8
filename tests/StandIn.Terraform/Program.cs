using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

// A stand-in `terraform` for tests: replays a recorded plan JSON (STANDIN_TF_PLAN) through `plan -out` and
// `show -json`, keeps a state file whose serial each apply bumps, and records every argv and environment. See README.md.
var record = Environment.GetEnvironmentVariable("STANDIN_RECORD");
var pid = Environment.ProcessId;
Record(new JsonObject
{
    ["event"] = "started",
    ["pid"] = pid,
    ["argv"] = new JsonArray([.. args.Select(a => (JsonNode)a)]),
    ["cwd"] = Environment.CurrentDirectory,
    ["env"] = new JsonObject
    {
        ["TF_IN_AUTOMATION"] = Environment.GetEnvironmentVariable("TF_IN_AUTOMATION"),
        ["TF_INPUT"] = Environment.GetEnvironmentVariable("TF_INPUT"),
        ["TF_WORKSPACE"] = Environment.GetEnvironmentVariable("TF_WORKSPACE"),
    },
});

var code = args switch
{
    ["version", "-json"] => Print($$"""{"terraform_version":"{{Environment.GetEnvironmentVariable("STANDIN_VERSION") ?? "1.9.5"}}","platform":"linux_amd64"}"""),
    ["state", "pull"] => Print(State().ToJsonString()),
    ["init", ..] => Print("Terraform has been successfully initialized!"),
    ["plan", ..] => Plan(args),
    ["show", "-json", .., var file] => Show(file),
    ["apply", .., var file] => Apply(file),
    _ => Fail($"Error: the stand-in does not know `{string.Join(' ', args)}`", 1),
};
Record(new JsonObject { ["event"] = $"exit {code}", ["pid"] = pid });
return code;

int Plan(string[] argv)
{
    if (!argv.Contains("-input=false") || !argv.Contains("-detailed-exitcode"))
    {
        return Fail("Error: the stand-in expects -input=false and -detailed-exitcode", 1);
    }

    if (Hang("plan") is { } stopped)
    {
        return stopped;
    }

    if (Environment.GetEnvironmentVariable("STANDIN_FAIL") == "plan")
    {
        Console.Error.WriteLine(Environment.GetEnvironmentVariable("STANDIN_STDERR") ?? "");
        return Fail("Error: Invalid reference\n\n  on main.tf line 3: A reference to a resource type must be followed by at least one attribute access.", 1);
    }

    var output = argv.Single(a => a.StartsWith("-out=", StringComparison.Ordinal))["-out=".Length..];
    var plan = File.ReadAllBytes(Environment.GetEnvironmentVariable("STANDIN_TF_PLAN") ?? throw new InvalidOperationException("STANDIN_TF_PLAN is not set"));
    using (var zip = ZipFile.Open(output, ZipArchiveMode.Create))
    {
        Write(zip, "tfplan", [.. plan, .. Encoding.UTF8.GetBytes($"\nserial={(int)State()["serial"]!}")]);
        Write(zip, "tfstate", Encoding.UTF8.GetBytes(State().ToJsonString()));
    }

    if (Environment.GetEnvironmentVariable("STANDIN_CHANGE_STATE_AFTER_PLAN") == "1")
    {
        Bump();
    }

    var changes = JsonNode.Parse(plan)!["resource_changes"]?.AsArray().Any(c => c!["change"]!["actions"]!.AsArray().Select(a => (string)a!).FirstOrDefault() is not ("no-op" or "read")) == true;
    Console.WriteLine(changes ? "Plan: changes to apply." : "No changes. Your infrastructure matches the configuration.");
    return changes ? 2 : 0;
}

int Show(string file)
{
    var plan = Encoding.UTF8.GetString(Read(file, "tfplan"));
    Console.Out.Write(plan[..plan.LastIndexOf("\nserial=", StringComparison.Ordinal)]);
    return 0;
}

int Apply(string file)
{
    if (!args.Contains("-input=false") || args.Contains("-auto-approve"))
    {
        return Fail("Error: the stand-in expects -input=false and a plan file", 1);
    }

    var plan = Encoding.UTF8.GetString(Read(file, "tfplan"));
    var serial = int.Parse(plan[(plan.LastIndexOf("\nserial=", StringComparison.Ordinal) + 8)..], System.Globalization.CultureInfo.InvariantCulture);
    if (serial != (int)State()["serial"]! || Environment.GetEnvironmentVariable("STANDIN_STALE_ON_APPLY") == "1")
    {
        return Fail("╷\n│ Error: Saved plan is stale\n│\n│ The given plan file can no longer be applied because the state was changed by another operation after the plan was created.\n╵", 1);
    }

    if (Hang("apply") is { } stopped)
    {
        return stopped;
    }

    if (Environment.GetEnvironmentVariable("STANDIN_FAIL") == "apply")
    {
        return Fail("Error: creating RDS DB Instance: InvalidParameterCombination", 1);
    }

    Bump();
    Console.WriteLine("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    return 0;
}

int? Hang(string command)
{
    if (Environment.GetEnvironmentVariable("STANDIN_HANG") != command)
    {
        return null;
    }

    using var interrupted = new ManualResetEventSlim();
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; interrupted.Set(); });
    Record(new JsonObject { ["event"] = "waiting", ["pid"] = pid });
    if (!interrupted.Wait(TimeSpan.FromSeconds(120)))
    {
        Record(new JsonObject { ["event"] = "gave-up", ["pid"] = pid });
        return Fail("Error: the stand-in gave up waiting for an interrupt", 1);
    }

    Record(new JsonObject { ["event"] = "interrupted", ["pid"] = pid });
    return Fail("Interrupt received. Gracefully shutting down...\nError: operation canceled; releasing state lock", 1);
}

JsonObject State()
{
    var path = Environment.GetEnvironmentVariable("STANDIN_STATE") ?? throw new InvalidOperationException("STANDIN_STATE is not set");
    if (!File.Exists(path))
    {
        File.WriteAllText(path, """{"version":4,"terraform_version":"1.9.5","serial":1,"lineage":"3f0c-standin","outputs":{},"resources":[],"check_results":null}""");
    }

    return JsonNode.Parse(File.ReadAllText(path))!.AsObject();
}

void Bump()
{
    var state = State();
    state["serial"] = (int)state["serial"]! + 1;
    File.WriteAllText(Environment.GetEnvironmentVariable("STANDIN_STATE")!, state.ToJsonString());
}

static void Write(ZipArchive zip, string name, byte[] content)
{
    using var stream = zip.CreateEntry(name).Open();
    stream.Write(content);
}

static byte[] Read(string file, string name)
{
    using var zip = ZipFile.OpenRead(file);
    using var stream = zip.GetEntry(name)!.Open();
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    return copy.ToArray();
}

static int Print(string text)
{
    Console.WriteLine(text);
    return 0;
}

static int Fail(string message, int exitCode)
{
    Console.Error.WriteLine(message);
    return exitCode;
}

void Record(JsonObject line)
{
    if (record is not null)
    {
        File.AppendAllText(record, line.ToJsonString() + "\n");
    }
}
