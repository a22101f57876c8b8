using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

// A stand-in for the `pulumi` CLI, for tests only. It behaves like the real CLI for the commands InfraGuard runs and
// is driven by STANDIN_* environment variables; the contract is in README.md next to this file.
return StandIn.Pulumi.Cli.Run(args);

namespace StandIn.Pulumi
{
    internal static class Cli
    {
        private const int ExitFailed = 1;
        private const int ExitBadFlags = 2;
        private const int ExitAuth = 3;
        private const int ExitStackNotFound = 6;
        private const int ExitInternal = 255;

        public static int Run(string[] args)
        {
            var parsed = Args.Parse(args);
            Record.Started(args);
            try
            {
                return parsed.Command switch
                {
                    "version" => Version(),
                    "whoami" => WhoAmI(),
                    "stack export" => WithStack(parsed, StackExport),
                    "preview" => WithStack(parsed, Preview),
                    "up" => WithStack(parsed, Up),
                    _ => Fail(ExitBadFlags, $"error: unknown command \"{parsed.Command}\" for \"pulumi\""),
                };
            }
            catch (IOException e)
            {
                return Fail(ExitInternal, "error: " + e.Message);
            }
        }

        private static int Version()
        {
            Console.Out.WriteLine(Env("STANDIN_VERSION") ?? "v3.259.0");
            return 0;
        }

        private static int WhoAmI()
        {
            if (Env("STANDIN_FAIL") == "whoami")
            {
                return Fail(ExitAuth, "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions");
            }

            Console.Out.WriteLine(Env("STANDIN_USER") ?? "standin-user");
            return 0;
        }

        private static int WithStack(Args args, Func<Args, string, int> command)
        {
            if (args.Unknown is { } unknown)
            {
                return Fail(ExitBadFlags, $"error: unknown flag: {unknown}");
            }

            var stack = args.Value("--stack");
            if (stack is null)
            {
                return Fail(ExitFailed, "error: no stack selected; please use `pulumi stack select` to choose one");
            }

            var known = Env("STANDIN_STACKS");
            if (known is not null && !known.Split(',').Contains(stack, StringComparer.Ordinal))
            {
                return Fail(ExitStackNotFound, $"error: no stack named '{stack}' found");
            }

            return command(args, stack);
        }

        private static int StackExport(Args args, string stack)
        {
            Console.Out.Write(State.Read());
            Console.Out.WriteLine();
            return 0;
        }

        private static int Preview(Args args, string stack)
        {
            var eventLogPath = args.Value("--event-log");
            var planPath = args.Value("--save-plan");
            using var log = eventLogPath is null ? null : new EventSink(File.Create(eventLogPath));
            Console.Out.WriteLine($"Previewing update ({stack}):");

            if (Env("STANDIN_FAIL") == "preview")
            {
                EmitFailure(log, isPreview: true);
                return FailWithExtraStderr(ExitFailed, "error: preview failed");
            }

            var replay = Replay(Scenario.File("preview.jsonl"), log, hang: Env("STANDIN_HANG") == "preview", isPreview: true);
            if (replay is { } interruptedExit)
            {
                return interruptedExit;
            }

            if (Scenario.LastResult(Scenario.File("preview.jsonl")) == "failed")
            {
                return FailWithExtraStderr(ExitFailed, "error: preview failed");
            }

            if (planPath is not null)
            {
                File.WriteAllBytes(planPath, Scenario.Plan());
                Console.Out.WriteLine($"Update plan written to '{planPath}'");
            }

            if (Env("STANDIN_CHANGE_STATE_AFTER_PREVIEW") == "1")
            {
                State.ChangeRealValue();
            }

            return 0;
        }

        private static int Up(Args args, string stack)
        {
            if (!args.Has("--yes"))
            {
                return Fail(ExitBadFlags, "error: --yes or --skip-preview must be passed in to proceed when running in non-interactive mode");
            }

            if (!args.Has("--json"))
            {
                return Fail(ExitBadFlags, "error: the stand-in only implements `up --json`");
            }

            var planPath = args.Value("--plan");
            if (planPath is not null && !File.Exists(planPath))
            {
                return Fail(ExitFailed, $"error: failed to read plan '{planPath}': open {planPath}: no such file or directory");
            }

            var sink = new EventSink(Console.OpenStandardOutput());
            var events = Scenario.Lines(Scenario.File("up.jsonl"));
            var firstPhaseEnd = events.FindIndex(line => line.Contains("\"cancelEvent\"", StringComparison.Ordinal));
            var previewPhase = events.Take(firstPhaseEnd + 1).ToList();

            if (planPath is not null && !PlanMatches(planPath))
            {
                sink.Write(previewPhase.Where(line => line.Contains("\"preludeEvent\"", StringComparison.Ordinal)));
                sink.Diagnostic("error", "resource urn:pulumi:standin::plan violates plan: the plan file differs from the one this preview saved\n");
                sink.Summary(isPreview: true, "failed");
                sink.Cancel();
                return FailWithExtraStderr(ExitFailed, "error: update failed");
            }

            if (Env("STANDIN_FAIL") == "up")
            {
                sink.Write(previewPhase);
                EmitFailure(sink, isPreview: false);
                return FailWithExtraStderr(ExitFailed, "error: update failed");
            }

            var hang = Env("STANDIN_HANG") == "up";
            sink.Write(previewPhase);
            var updatePhase = events.Skip(firstPhaseEnd + 1).ToList();
            var interrupted = ReplayLines(updatePhase, sink, hang, isPreview: false);
            return interrupted ?? (Scenario.LastResult(updatePhase) == "failed" ? FailWithExtraStderr(ExitFailed, "error: update failed") : 0);
        }

        private static bool PlanMatches(string planPath) =>
            JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllBytes(planPath)), JsonNode.Parse(Scenario.Plan()));

        private static int? Replay(string path, EventSink? sink, bool hang, bool isPreview) =>
            ReplayLines(Scenario.Lines(path), sink, hang, isPreview);

        // Writes the lines; with hang, stops before the first step of the run and waits for SIGINT like a slow engine.
        private static int? ReplayLines(List<string> lines, EventSink? sink, bool hang, bool isPreview)
        {
            foreach (var line in lines)
            {
                if (hang && line.Contains("\"resourcePreEvent\"", StringComparison.Ordinal))
                {
                    return WaitForInterrupt(sink, isPreview);
                }

                sink?.Write([line]);
            }

            return null;
        }

        private static int WaitForInterrupt(EventSink? sink, bool isPreview)
        {
            using var interrupted = new ManualResetEventSlim();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                interrupted.Set();
            });
            Record.Event("waiting");
            if (!interrupted.Wait(TimeSpan.FromSeconds(120)))
            {
                Record.Event("gave-up");
                return ExitInternal;
            }

            Record.Event("interrupted");
            sink?.Diagnostic("error", "update canceled\n");
            sink?.Summary(isPreview, "canceled");
            sink?.Cancel();
            Console.Error.WriteLine("error: update canceled");
            return ExitInternal;
        }

        private static void EmitFailure(EventSink? sink, bool isPreview)
        {
            sink?.Write([Scenario.Prelude()]);
            sink?.Diagnostic("error", "an unhandled error occurred: Program exited with non-zero exit code: 1 (STANDIN_FAIL)\n");
            sink?.Summary(isPreview, "failed");
            sink?.Cancel();
        }

        private static int FailWithExtraStderr(int code, string message)
        {
            if (Env("STANDIN_STDERR") is { } extra)
            {
                Console.Error.WriteLine(extra);
            }

            return Fail(code, message);
        }

        private static int Fail(int code, string message)
        {
            Console.Error.WriteLine(message);
            Record.Event("exit " + code.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return code;
        }

        public static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
    }

    /// <summary>The argv as the real CLI's flag parser sees it, for the flags InfraGuard uses.</summary>
    internal sealed class Args
    {
        private static readonly HashSet<string> ValueFlags =
        [
            "--stack", "--event-log", "--save-plan", "--plan", "--color", "--policy-pack", "--policy-pack-config",
            "--cwd", "--message", "--target", "--exec-kind", "--config", "--parallel", "--target-replace", "--replace",
        ];

        private static readonly Dictionary<string, string> Short = new()
        {
            ["-s"] = "--stack", ["-y"] = "--yes", ["-j"] = "--json", ["-f"] = "--skip-preview", ["-t"] = "--target",
            ["-m"] = "--message", ["-C"] = "--cwd", ["-c"] = "--config", ["-p"] = "--parallel",
        };

        private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

        public string Command { get; private set; } = "";

        public string? Unknown { get; private set; }

        public static Args Parse(string[] argv)
        {
            var result = new Args();
            var words = new List<string>();
            var debugCommands = Cli.Env("PULUMI_DEBUG_COMMANDS") == "true";
            for (var i = 0; i < argv.Length; i++)
            {
                var token = argv[i];
                if (!token.StartsWith('-'))
                {
                    words.Add(token);
                    continue;
                }

                var equals = token.IndexOf('=', StringComparison.Ordinal);
                var name = equals < 0 ? token : token[..equals];
                name = Short.GetValueOrDefault(name, name);
                string value;
                if (equals >= 0)
                {
                    value = token[(equals + 1)..];
                }
                else if (ValueFlags.Contains(name) && i + 1 < argv.Length)
                {
                    value = argv[++i];
                }
                else
                {
                    value = "true";
                }

                // The real CLI registers --event-log only when PULUMI_DEBUG_COMMANDS=true.
                if (name == "--event-log" && !debugCommands)
                {
                    result.Unknown ??= name;
                }

                if (!result._values.TryGetValue(name, out var list))
                {
                    result._values[name] = list = [];
                }

                list.Add(value);
            }

            result.Command = words is ["stack", "export", ..] ? "stack export" : words.FirstOrDefault() ?? "";
            return result;
        }

        public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

        public bool Has(string name) => _values.ContainsKey(name);
    }

    /// <summary>Files of the scenario named by STANDIN_SCENARIO.</summary>
    internal static class Scenario
    {
        public static string File(string name)
        {
            var dir = Cli.Env("STANDIN_SCENARIO") ?? throw new IOException("STANDIN_SCENARIO is not set (the stand-in needs a scenario folder)");
            return Path.Combine(dir, name);
        }

        public static List<string> Lines(string path) =>
            System.IO.File.ReadAllLines(path).Where(line => line.Length > 0).ToList();

        public static string? LastResult(string path) => LastResult(Lines(path));

        public static string? LastResult(List<string> lines) =>
            lines.Where(line => line.Contains("\"summaryEvent\"", StringComparison.Ordinal))
                .Select(line => (string?)JsonNode.Parse(line)!["summaryEvent"]!["result"])
                .LastOrDefault();

        public static string Prelude() =>
            Lines(File("preview.jsonl")).FirstOrDefault(line => line.Contains("\"preludeEvent\"", StringComparison.Ordinal))
            ?? """{"sequence":0,"timestamp":0,"preludeEvent":{"config":{}}}""";

        public static byte[] Plan()
        {
            var own = File("plan.json");
            var path = System.IO.File.Exists(own) ? own : Cli.Env("STANDIN_PLAN")
                ?? throw new IOException($"no plan: put plan.json in the scenario or set STANDIN_PLAN");
            return System.IO.File.ReadAllBytes(path);
        }
    }

    /// <summary>The stack's state: STANDIN_STATE (a mutable copy, created from the scenario on first use) or the scenario's state.json.</summary>
    internal static class State
    {
        public static string Read()
        {
            var mutable = Cli.Env("STANDIN_STATE");
            if (mutable is null)
            {
                return System.IO.File.ReadAllText(Scenario.File("state.json"));
            }

            if (!System.IO.File.Exists(mutable))
            {
                System.IO.File.Copy(Scenario.File("state.json"), mutable);
            }

            return System.IO.File.ReadAllText(mutable);
        }

        // A real state change between preview and apply (drift): the last resource gets a new output value.
        public static void ChangeRealValue()
        {
            var path = Cli.Env("STANDIN_STATE") ?? throw new IOException("STANDIN_CHANGE_STATE_AFTER_PREVIEW needs STANDIN_STATE");
            var state = JsonNode.Parse(Read())!;
            var resource = state["deployment"]!["resources"]!.AsArray()[^1]!;
            var outputs = resource["outputs"] as JsonObject ?? [];
            resource["outputs"] = outputs;
            outputs["standinDrift"] = ((int?)outputs["standinDrift"] ?? 0) + 1;
            System.IO.File.WriteAllText(path, state.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentSize = 4 }));
        }
    }

    /// <summary>Writes engine events, one JSON object a line, flushed line by line like the real CLI.</summary>
    internal sealed class EventSink(Stream stream) : IDisposable
    {
        private readonly StreamWriter _writer = new(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        private int _sequence = 1000;

        public void Write(IEnumerable<string> lines)
        {
            foreach (var line in lines)
            {
                _writer.WriteLine(line);
            }
        }

        public void Diagnostic(string severity, string message) =>
            Emit("diagnosticEvent", new JsonObject { ["prefix"] = severity + ": ", ["message"] = message, ["color"] = "never", ["severity"] = severity });

        public void Summary(bool isPreview, string result) =>
            Emit("summaryEvent", new JsonObject
            {
                ["maybeCorrupt"] = false, ["durationSeconds"] = 1, ["resourceChanges"] = new JsonObject(),
                ["PolicyPacks"] = new JsonObject(), ["isPreview"] = isPreview, ["result"] = result,
            });

        public void Cancel() => Emit("cancelEvent", new JsonObject());

        public void Dispose() => _writer.Dispose();

        private void Emit(string kind, JsonObject payload)
        {
            var line = new JsonObject { ["sequence"] = _sequence++, ["timestamp"] = 1700000000, [kind] = payload };
            _writer.WriteLine(line.ToJsonString());
        }
    }

    /// <summary>Appends one JSON line per invocation (and per notable event) to STANDIN_RECORD.</summary>
    internal static class Record
    {
        private static readonly string[] RecordedEnvironment =
        [
            "PULUMI_DEBUG_COMMANDS", "PULUMI_EXPERIMENTAL", "PULUMI_SKIP_UPDATE_CHECK", "PULUMI_AUTOMATION_API",
            "INFRAGUARD_APPROVAL_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_HOME",
        ];

        public static void Started(string[] argv)
        {
            var env = new JsonObject();
            foreach (var name in RecordedEnvironment)
            {
                env[name] = Environment.GetEnvironmentVariable(name);
            }

            Append(new JsonObject
            {
                ["event"] = "started",
                ["pid"] = Environment.ProcessId,
                ["argv"] = new JsonArray(argv.Select(a => (JsonNode?)a).ToArray()),
                ["cwd"] = Environment.CurrentDirectory,
                ["env"] = env,
            });
        }

        public static void Event(string name) =>
            Append(new JsonObject { ["event"] = name, ["pid"] = Environment.ProcessId });

        private static void Append(JsonObject line)
        {
            if (Cli.Env("STANDIN_RECORD") is { } path)
            {
                System.IO.File.AppendAllText(path, line.ToJsonString() + "\n");
            }
        }
    }
}
