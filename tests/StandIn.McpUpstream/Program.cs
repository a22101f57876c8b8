// A loopback upstream MCP server for the gateway's tests and benchmark, built with the official C# SDK, spoken to over
// stdio, or over Streamable HTTP with `--http URL` (it then checks `Authorization: Bearer $MCP_UPSTREAM_TOKEN` when set).
// Tools: query {sql}, export_table {table, format?}, drop_table {table}; and, for robustness tests, slow {seconds},
// crash {}, huge {bytes}, malformed {}. Every call it receives is appended to the file named by $MCP_UPSTREAM_LOG as one
// JSON line {"tool":…,"arguments":{…}}, so tests can assert what reached it. When the file $MCP_UPSTREAM_EXTRA_TOOL
// appears, it adds the tool `vacuum` and sends notifications/tools/list_changed.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

var log = Environment.GetEnvironmentVariable("MCP_UPSTREAM_LOG");
var logLock = new Lock(); // calls run concurrently; File.AppendAllText seeks to the end, so two at once can overwrite a line
var extraToolFile = Environment.GetEnvironmentVariable("MCP_UPSTREAM_EXTRA_TOOL");
var tools = new List<Tool>
{
    Tool("query", "Runs a read-only SQL query", """{"type":"object","properties":{"sql":{"type":"string"}},"required":["sql"]}"""),
    Tool("export_table", "Exports a whole table as CSV", """{"type":"object","properties":{"table":{"type":"string"},"format":{"type":"string","enum":["csv","json"]}},"required":["table"]}"""),
    Tool("drop_table", "Drops a table", """{"type":"object","properties":{"table":{"type":"string"}},"required":["table"]}"""),
    Tool("slow", "Answers after the given number of seconds", """{"type":"object","properties":{"seconds":{"type":"number"}},"required":["seconds"]}"""),
    Tool("crash", "Exits the upstream process mid-call", """{"type":"object","properties":{}}"""),
    Tool("huge", "Answers a text of the given number of bytes", """{"type":"object","properties":{"bytes":{"type":"integer"}},"required":["bytes"]}"""),
    Tool("malformed", "Answers a message that is not a tool result", """{"type":"object","properties":{}}"""),
};
var stdout = Console.OpenStandardOutput();

var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "standin-upstream", Version = "1.0.0" },
    Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = true } },
    Handlers = new McpServerHandlers
    {
        ListToolsHandler = (_, _) =>
        {
            lock (tools)
            {
                return ValueTask.FromResult(new ListToolsResult { Tools = [.. tools] });
            }
        },
        CallToolHandler = async (request, ct) =>
        {
            var call = request.Params!;
            var arguments = new JsonObject();
            foreach (var (name, value) in call.Arguments ?? new Dictionary<string, JsonElement>())
            {
                arguments[name] = JsonNode.Parse(value.GetRawText());
            }

            if (log is not null)
            {
                lock (logLock)
                {
                    File.AppendAllText(log, new JsonObject { ["tool"] = call.Name, ["arguments"] = arguments }.ToJsonString() + "\n");
                }
            }

            switch (call.Name)
            {
                case "slow":
                    await Task.Delay(TimeSpan.FromSeconds(arguments["seconds"]!.GetValue<double>()), ct);
                    return Text("slept");
                case "crash":
                    Environment.Exit(3);
                    return Text("unreachable");
                case "huge":
                    return Text(new string('x', arguments["bytes"]!.GetValue<int>()));
                case "malformed":
                    // A response to this very request whose result is not a tool result, written past the SDK; then no real answer.
                    var id = request.JsonRpcRequest.Id.ToString();
                    var idJson = int.TryParse(id, out _) ? id : JsonSerializer.Serialize(id);
                    var bad = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":" + idJson + ",\"result\":{\"content\":\"not a list\",\"isError\":\"maybe\"}}\n");
                    lock (stdout)
                    {
                        stdout.Write(bad);
                        stdout.Flush();
                    }

                    await Task.Delay(Timeout.Infinite, ct);
                    return Text("unreachable");
            }

            return call.Name switch
            {
                "query" => new CallToolResult
                {
                    Content = [new TextContentBlock { Text = $"1 row for: {arguments["sql"]}" }],
                    StructuredContent = JsonSerializer.SerializeToElement(new { rows = new[] { new { id = 1, region = "eu" } } }),
                },
                "export_table" => Text($"exported {arguments["table"]} as {arguments["format"]?.ToString() ?? "csv"}"),
                "drop_table" => Text($"dropped {arguments["table"]}"),
                "vacuum" => Text($"vacuumed {arguments["table"]}"),
                _ => new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = $"no tool {call.Name}" }] },
            };
        },
    },
};

if (args is ["--http", var url])
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.UseUrls(url);
    builder.Services.AddMcpServer(o =>
    {
        o.ServerInfo = options.ServerInfo;
        o.Capabilities = options.Capabilities;
        o.Handlers = options.Handlers;
    }).WithHttpTransport();
    var app = builder.Build();
    var token = Environment.GetEnvironmentVariable("MCP_UPSTREAM_TOKEN");
    app.Use(async (context, next) =>
    {
        if (token is { Length: > 0 } && context.Request.Headers.Authorization != $"Bearer {token}")
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }

        await next(context);
    });
    app.MapMcp("/mcp");
    await app.RunAsync();
    return;
}

await using var server = McpServer.Create(new StdioServerTransport(options), options);
if (extraToolFile is not null)
{
    _ = Task.Run(async () =>
    {
        while (!File.Exists(extraToolFile))
        {
            await Task.Delay(50);
        }

        lock (tools)
        {
            tools.Add(Tool("vacuum", "Vacuums a table", """{"type":"object","properties":{"table":{"type":"string"}},"required":["table"]}"""));
        }

        await server.SendNotificationAsync(NotificationMethods.ToolListChangedNotification);
    });
}

await server.RunAsync();

static CallToolResult Text(string text) => new() { Content = [new TextContentBlock { Text = text }] };

static Tool Tool(string name, string description, string schema) =>
    new() { Name = name, Description = description, InputSchema = JsonDocument.Parse(schema).RootElement.Clone() };
