// A loopback upstream MCP server for the gateway's tests, built with the official C# SDK and spoken to over stdio.
// Tools: query {sql}, export_table {table, format?}, drop_table {table}. Every call it receives is appended to the
// file named by $MCP_UPSTREAM_LOG as one JSON line {"tool":…,"arguments":{…}}, so tests can assert what reached it.
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

var log = Environment.GetEnvironmentVariable("MCP_UPSTREAM_LOG");
var tools = new[]
{
    Tool("query", "Runs a read-only SQL query", """{"type":"object","properties":{"sql":{"type":"string"}},"required":["sql"]}"""),
    Tool("export_table", "Exports a whole table as CSV", """{"type":"object","properties":{"table":{"type":"string"},"format":{"type":"string","enum":["csv","json"]}},"required":["table"]}"""),
    Tool("drop_table", "Drops a table", """{"type":"object","properties":{"table":{"type":"string"}},"required":["table"]}"""),
};

var options = new McpServerOptions
{
    ServerInfo = new Implementation { Name = "standin-upstream", Version = "1.0.0" },
    Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
    Handlers = new McpServerHandlers
    {
        ListToolsHandler = (_, _) => ValueTask.FromResult(new ListToolsResult { Tools = tools }),
        CallToolHandler = (request, _) =>
        {
            var call = request.Params!;
            var arguments = new JsonObject();
            foreach (var (name, value) in call.Arguments ?? new Dictionary<string, JsonElement>())
            {
                arguments[name] = JsonNode.Parse(value.GetRawText());
            }

            if (log is not null)
            {
                File.AppendAllText(log, new JsonObject { ["tool"] = call.Name, ["arguments"] = arguments }.ToJsonString() + "\n");
            }

            var result = call.Name switch
            {
                "query" => new CallToolResult
                {
                    Content = [new TextContentBlock { Text = $"1 row for: {arguments["sql"]}" }],
                    StructuredContent = JsonSerializer.SerializeToElement(new { rows = new[] { new { id = 1, region = "eu" } } }),
                },
                "export_table" => new CallToolResult { Content = [new TextContentBlock { Text = $"exported {arguments["table"]} as {arguments["format"]?.ToString() ?? "csv"}" }] },
                "drop_table" => new CallToolResult { Content = [new TextContentBlock { Text = $"dropped {arguments["table"]}" }] },
                _ => new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = $"no tool {call.Name}" }] },
            };
            return ValueTask.FromResult(result);
        },
    },
};

await using var server = McpServer.Create(new StdioServerTransport(options), options);
await server.RunAsync();

static Tool Tool(string name, string description, string schema) =>
    new() { Name = name, Description = description, InputSchema = JsonDocument.Parse(schema).RootElement.Clone() };
