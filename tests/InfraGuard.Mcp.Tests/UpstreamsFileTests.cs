using InfraGuard.Core.Policy;

namespace InfraGuard.Mcp.Tests;

public sealed class UpstreamsFileTests
{
    [Fact]
    public void Parse_ProcessAndHttpUpstreams_ReadsEveryField()
    {
        var upstreams = UpstreamsFile.Parse("""
            upstreams:
              db:
                command: node
                args: [db-server.js, --readonly]
                env: { PGHOST: db.internal }
                target: staging/orders
                tools:
                  query: db.read
                  export_table: { kind: data.export, target: prod/orders }
              cloud:
                url: https://mcp.example.com/mcp
                headers-from-env: { Authorization: CLOUD_MCP_AUTHORIZATION }
                default-kind: cloud.read
            """, "upstreams.yaml");

        Assert.Equal(2, upstreams.Count);
        var db = upstreams[0];
        Assert.Equal(("db", "node", 2), (db.Namespace, db.Command, db.Line));
        Assert.Equal(["db-server.js", "--readonly"], db.Args);
        Assert.Equal("db.internal", db.Env["PGHOST"]);
        Assert.Equal(new ToolMapping("db.read", "staging/orders"), db.MappingFor("query"));
        Assert.Equal(new ToolMapping("data.export", "prod/orders"), db.MappingFor("export_table"));
        Assert.Null(db.MappingFor("drop_table"));
        var cloud = upstreams[1];
        Assert.Equal(new Uri("https://mcp.example.com/mcp"), cloud.Url);
        Assert.Equal("CLOUD_MCP_AUTHORIZATION", cloud.HeadersFromEnv["Authorization"]);
        Assert.Equal(new ToolMapping("cloud.read", null), cloud.MappingFor("anything"));
    }

    [Theory]
    [InlineData("upstreams:\n  db:\n    args: [x]\n    tools: { q: db.read }\n", "upstreams.yaml:2:3: upstream 'db' needs either 'command'")]
    [InlineData("upstreams:\n  db:\n    command: x\n    url: http://h/mcp\n    tools: { q: db.read }\n", "not both")]
    [InlineData("upstreams:\n  db:\n    command: x\n", "upstreams.yaml:2:3: upstream 'db' maps no tool to an action kind")]
    [InlineData("upstreams:\n  db:\n    command: x\n    tools: { q: Read }\n", "upstreams.yaml:4:17: tool 'q' of upstream 'db' must be an action kind")]
    [InlineData("upstreams:\n  db:\n    command: x\n    comand: y\n    tools: { q: db.read }\n", "upstreams.yaml:4:5: unknown field 'comand' in upstream 'db'")]
    [InlineData("upstreams:\n  Db.x:\n    command: x\n    tools: { q: db.read }\n", "upstreams.yaml:2:3: namespace 'Db.x' must be lower-case")]
    [InlineData("upstreams:\n  c:\n    url: http://h/mcp\n    headers-from-env: { Authorization: Bearer abc }\n    default-kind: c.read\n", "must name an environment variable")]
    [InlineData("upstreams:\n  c:\n    url: ftp://h/mcp\n    default-kind: c.read\n", "upstreams.yaml:3:10: upstream 'c' 'url' must be an absolute http or https URL")]
    [InlineData("upstreams: [\n", "upstreams.yaml:2:1: invalid YAML")]
    public void Parse_Mistake_NamesFileLineAndWhatToDo(string yaml, string expected)
    {
        var e = Assert.Throws<PolicyException>(() => UpstreamsFile.Parse(yaml, "upstreams.yaml"));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralMistakes_ReportsEveryOneInFileOrder()
    {
        var e = Assert.Throws<PolicyException>(() => UpstreamsFile.Parse("upstreams:\n  a:\n    command: x\n  b:\n    tools: { q: db.read }\n", "u.yaml"));

        Assert.Equal(["u.yaml:2:3: upstream 'a' maps no tool to an action kind, so it would list nothing; add 'tools: { TOOL: KIND }' or 'default-kind: KIND'",
            "u.yaml:4:3: upstream 'b' needs either 'command' (a process spoken to over stdio) or 'url' (a Streamable HTTP endpoint), not neither"],
            e.Errors.Select(x => x.ToString()));
    }

    [Fact]
    public void Parse_TimeoutAndResultCap_ReadPerUpstream_DefaultsOtherwise()
    {
        var upstreams = UpstreamsFile.Parse("upstreams:\n  a:\n    command: x\n    timeout: 90s\n    max-result-bytes: 65536\n    default-kind: db.read\n  b:\n    command: y\n    default-kind: db.read\n", "u.yaml");

        Assert.Equal(TimeSpan.FromSeconds(90), upstreams[0].Timeout);
        Assert.Equal(65536, upstreams[0].MaxResultBytes);
        Assert.Equal(Upstream.DefaultTimeout, upstreams[1].Timeout);
        Assert.Equal(Upstream.DefaultMaxResultBytes, upstreams[1].MaxResultBytes);
    }

    [Fact]
    public void Parse_BadTimeoutCapOrTheGatewaysOwnNamespace_EachReportedWithItsLine()
    {
        var e = Assert.Throws<PolicyException>(() => UpstreamsFile.Parse("upstreams:\n  infraguard:\n    command: x\n    default-kind: db.read\n  b:\n    command: y\n    timeout: soon\n    max-result-bytes: 12\n    default-kind: db.read\n", "u.yaml"));

        Assert.Equal(["u.yaml:2:3: namespace 'infraguard' is the gateway's own (its status tool is infraguard.request_status); choose another",
            "u.yaml:7:14: upstream 'b' 'timeout' must be a duration such as 30s or 5m, found 'soon'",
            "u.yaml:8:23: upstream 'b' 'max-result-bytes' must be a whole number of bytes, at least 1024, found '12'"],
            e.Errors.Select(x => x.ToString()));
    }
}
