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
    var plan = JsonNode.Parse(File.ReadAllBytes(Environment.GetEnvironmentVariable("STANDIN_TF_PLAN") ?? throw new InvalidOperationException("STANDIN_TF_PLAN is not set")))!.AsObject();
    var refreshOnly = argv.Contains("-refresh-only");
    if (refreshOnly)
    {
        // A refresh-only plan proposes no resource changes: only the drift it accepts into state.
        plan["resource_changes"] = new JsonArray();
    }

    var timestamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture);
    Record(new JsonObject { ["event"] = "planned", ["pid"] = pid, ["timestamp"] = timestamp });
    using (var zip = ZipFile.Open(output, ZipArchiveMode.Create))
    {
        Write(zip, "tfplan", PlanMessage(plan, refreshOnly, timestamp));
        Write(zip, "tfstate", Encoding.UTF8.GetBytes(State().ToJsonString()));
    }

    if (Environment.GetEnvironmentVariable("STANDIN_CHANGE_STATE_AFTER_PLAN") == "1")
    {
        Bump();
    }

    var changes = refreshOnly
        ? plan["resource_drift"]?.AsArray().Count > 0
        : plan["resource_changes"]?.AsArray().Any(c => c!["change"]!["actions"]!.AsArray().Select(a => (string)a!).FirstOrDefault() is not ("no-op" or "read")) == true;
    Console.WriteLine(changes ? "Plan: changes to apply." : "No changes. Your infrastructure matches the configuration.");
    return changes ? 2 : 0;
}

// The tfplan entry as protobuf with planfile.proto's field numbers, varying like a real plan between two runs of
// one change: a fresh timestamp (21), the variables map (2) and the resource changes (3) and drift (18) in random
// order. The plan JSON (without timestamp) rides in field 1001, private to the stand-in, for `show -json`.
static byte[] PlanMessage(JsonObject plan, bool refreshOnly, string timestamp)
{
    var message = new List<byte>();
    Varint(message, 1, 3);
    if (refreshOnly)
    {
        Varint(message, 17, 2);
    }

    Text(message, 14, Environment.GetEnvironmentVariable("STANDIN_VERSION") ?? "1.9.5");
    var parts = new List<(int Field, byte[] Body)>();
    foreach (var (name, value) in new[] { ("region", "eu-west-1"), ("size", "small"), ("owner", "platform") })
    {
        parts.Add((2, [.. Field(1, Encoding.UTF8.GetBytes(name)), .. Field(2, Field(1, Encoding.UTF8.GetBytes(value)))]));
    }

    foreach (var (key, field) in new[] { ("resource_changes", 3), ("resource_drift", 18) })
    {
        foreach (var change in plan[key]?.AsArray() ?? [])
        {
            var address = (string?)change!["address"] ?? $"{change["type"]}.{change["name"]}";
            var action = new List<byte>();
            Varint(action, 1, string.Join(",", change["change"]!["actions"]!.AsArray().Select(a => (string?)a)) switch
            {
                "no-op" => 0, "create" => 1, "read" => 2, "update" => 3, "delete" => 5, "delete,create" => 6, "create,delete" => 7, "forget" => 8, "create,forget" => 9, _ => 99,
            });
            byte[] body = [.. action, .. Field(2, Field(1, Encoding.UTF8.GetBytes(change["change"]!.ToJsonString())))];
            parts.Add((field, [.. Field(13, Encoding.UTF8.GetBytes(address)), .. Field(9, body)]));
        }
    }

    foreach (var (field, body) in parts.OrderBy(_ => Random.Shared.Next()))
    {
        message.AddRange(Field(field, body));
    }

    var json = (JsonObject)plan.DeepClone();
    json.Remove("timestamp");
    message.AddRange(Field(1001, Encoding.UTF8.GetBytes(json.ToJsonString())));
    Text(message, 21, timestamp);
    return [.. message];
}

static void Varint(List<byte> message, int field, ulong value)
{
    Raw(message, ((ulong)field << 3) | 0);
    Raw(message, value);
}

static void Text(List<byte> message, int field, string value) => message.AddRange(Field(field, Encoding.UTF8.GetBytes(value)));

static byte[] Field(int field, byte[] body)
{
    var bytes = new List<byte>();
    Raw(bytes, ((ulong)field << 3) | 2);
    Raw(bytes, (ulong)body.Length);
    bytes.AddRange(body);
    return [.. bytes];
}

static void Raw(List<byte> bytes, ulong value)
{
    do
    {
        var b = (byte)(value & 0x7F);
        value >>= 7;
        bytes.Add(value == 0 ? b : (byte)(b | 0x80));
    }
    while (value != 0);
}

// Reads the top-level fields of the stand-in's tfplan (the last of each number wins).
static Dictionary<int, byte[]> Fields(byte[] message)
{
    var fields = new Dictionary<int, byte[]>();
    var position = 0;
    while (position < message.Length)
    {
        var tag = ReadRaw(message, ref position);
        var value = ReadRaw(message, ref position);
        if ((tag & 7) == 2)
        {
            fields[(int)(tag >> 3)] = message[position..(position + (int)value)];
            position += (int)value;
        }
    }

    return fields;
}

static ulong ReadRaw(byte[] data, ref int position)
{
    ulong value = 0;
    for (var shift = 0; ; shift += 7)
    {
        var b = data[position++];
        value |= (ulong)(b & 0x7F) << shift;
        if ((b & 0x80) == 0)
        {
            return value;
        }
    }
}

int Show(string file)
{
    var fields = Fields(Read(file, "tfplan"));
    var plan = JsonNode.Parse(fields[1001])!.AsObject();
    plan["timestamp"] = Encoding.UTF8.GetString(fields[21]);
    Console.Out.Write(plan.ToJsonString());
    return 0;
}

int Apply(string file)
{
    if (!args.Contains("-input=false") || args.Contains("-auto-approve"))
    {
        return Fail("Error: the stand-in expects -input=false and a plan file", 1);
    }

    var serial = (int)JsonNode.Parse(Read(file, "tfstate"))!["serial"]!;
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
    var refreshOnly = Read(file, "tfplan").AsSpan().IndexOf((byte[])[0x88, 0x01, 2]) >= 0;
    Console.WriteLine(refreshOnly ? "Apply complete! Resources: 0 added, 0 changed, 0 destroyed." : "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
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
