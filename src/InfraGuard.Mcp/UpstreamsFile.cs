using System.Text.RegularExpressions;
using InfraGuard.Core.Policy;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Mcp;

/// <summary>How one upstream tool is guarded: the action kind it is scored as, and what it acts on.</summary>
/// <param name="Kind">The action kind from the policy pack (<c>data.export</c>).</param>
/// <param name="Target">What the tool acts on (decides the tier: <c>prod/orders</c>); null: the pack's default tier.</param>
public sealed record ToolMapping(string Kind, string? Target);

/// <summary>
/// One upstream MCP server: a process (command, args, env) or an HTTP endpoint (url, headers read from the
/// environment), listed to the agent under <see cref="Namespace"/> (<c>db.query</c>).
/// </summary>
/// <param name="Namespace">Prefix of every tool it lists (<c>db</c>).</param>
/// <param name="Command">The program to start (stdio); null for an HTTP upstream.</param>
/// <param name="Args">Its arguments.</param>
/// <param name="Env">Extra environment variables for the process.</param>
/// <param name="Url">The Streamable HTTP endpoint; null for a process.</param>
/// <param name="HeadersFromEnv">HTTP header → the environment variable holding its value (never the value itself).</param>
/// <param name="Tools">Tool name → how it is guarded.</param>
/// <param name="DefaultMapping">How tools not named in <see cref="Tools"/> are guarded; null: they are not listed.</param>
/// <param name="Line">Line of the upstream in the file, for messages.</param>
public sealed record Upstream(
    string Namespace,
    string? Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    Uri? Url,
    IReadOnlyDictionary<string, string> HeadersFromEnv,
    IReadOnlyDictionary<string, ToolMapping> Tools,
    ToolMapping? DefaultMapping,
    int Line)
{
    /// <summary>The default of <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="MaxResultBytes"/> (4 MiB).</summary>
    public const int DefaultMaxResultBytes = 4 * 1024 * 1024;

    /// <summary>How long one forwarded call may take before it is stopped and recorded as failed (<c>timeout</c>).</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>The largest answer relayed to the agent, in bytes of JSON (<c>max-result-bytes</c>); a larger one is a tool error.</summary>
    public int MaxResultBytes { get; init; } = DefaultMaxResultBytes;

    /// <summary>How <paramref name="tool"/> is guarded, or null when it is not exposed.</summary>
    public ToolMapping? MappingFor(string tool) => Tools.TryGetValue(tool, out var mapping) ? mapping : DefaultMapping;
}

/// <summary>
/// The gateway's upstreams file (<c>infraguard mcp --upstreams FILE</c>):
/// <code>
/// upstreams:
///   db:                                  # namespace: the agent sees db.query, db.export_table
///     command: node
///     args: [db-server.js]
///     env: { PGHOST: db.internal }
///     target: staging/orders             # default target of every tool (decides the tier)
///     tools:
///       query: db.read                   # tool: kind
///       export_table: { kind: data.export, target: staging/orders }
///     default-kind: db.write             # tools not listed above (omit: they are hidden)
///     timeout: 2m                        # one call's longest run (default 5m), then it is stopped and recorded as failed
///     max-result-bytes: 1048576          # the largest answer relayed (default 4 MiB), else a tool error
///   cloud:
///     url: https://mcp.example.com/mcp
///     headers-from-env: { Authorization: CLOUD_MCP_AUTHORIZATION }
///     tools: { list_buckets: cloud.read }
/// </code>
/// Kinds are checked against the policy pack by the authority, which refuses a kind it does not define.
/// </summary>
public static partial class UpstreamsFile
{
    private static readonly string[] TopFields = ["upstreams"];
    private static readonly string[] UpstreamFields = ["command", "args", "env", "url", "headers-from-env", "target", "tools", "default-kind", "timeout", "max-result-bytes"];
    private static readonly string[] ToolFields = ["kind", "target"];

    /// <summary>Parses and validates the file; throws <see cref="PolicyException"/> listing every problem with its file:line.</summary>
    public static IReadOnlyList<Upstream> Parse(string yamlText, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yamlText));
        }
        catch (YamlException e)
        {
            throw new PolicyException([new PolicyError(sourceName, (int)e.Start.Line, (int)e.Start.Column, "invalid YAML: " + e.Message)]);
        }

        if (stream.Documents.Count != 1)
        {
            throw new PolicyException([new PolicyError(sourceName, 1, 1, "the upstreams file must hold exactly one YAML document, starting with 'upstreams:' and one entry per upstream MCP server")]);
        }

        var walker = new YamlWalker(sourceName);
        var upstreams = new List<Upstream>();
        if (walker.Mapping(stream.Documents[0].RootNode, "the upstreams file") is { } root)
        {
            var top = walker.Fields(root, "the upstreams file", TopFields);
            walker.Required(root, top, "upstreams", "the upstreams file");
            if (top.TryGetValue("upstreams", out var list) && walker.Mapping(list.Value, "'upstreams' (namespace: upstream)") is { } entries)
            {
                foreach (var (key, value) in entries.Children)
                {
                    if (ParseUpstream(walker, key, value) is { } upstream)
                    {
                        upstreams.Add(upstream);
                    }
                }

                if (entries.Children.Count == 0)
                {
                    walker.Error(list.Value, "'upstreams' lists no upstream; add one, e.g. 'db: { command: node, args: [server.js], tools: { query: db.read } }'");
                }
            }
        }

        return walker.Errors.Count == 0 ? upstreams : throw new PolicyException([.. walker.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column)]);
    }

    private static Upstream? ParseUpstream(YamlWalker walker, YamlNode key, YamlNode value)
    {
        var ns = walker.Scalar(key, "an upstream's namespace") ?? string.Empty;
        var errors = walker.Errors.Count;
        if (!NamePattern().IsMatch(ns))
        {
            walker.Error(key, $"namespace '{ns}' must be lower-case letters, digits, '_' or '-', starting with a letter (it prefixes every tool: {ns}.query)");
        }
        else if (ns == "infraguard")
        {
            walker.Error(key, "namespace 'infraguard' is the gateway's own (its status tool is infraguard.request_status); choose another");
        }

        var where = $"upstream '{ns}'";
        if (walker.Mapping(value, where) is not { } map)
        {
            return null;
        }

        var fields = walker.Fields(map, where, UpstreamFields);
        var command = fields.TryGetValue("command", out var c) ? walker.Scalar(c.Value, $"{where} 'command'") : null;
        Uri? url = null;
        if (fields.TryGetValue("url", out var u) && walker.Scalar(u.Value, $"{where} 'url'") is { } text)
        {
            url = Uri.TryCreate(text, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed
                : Fail<Uri>(walker, u.Value, $"{where} 'url' must be an absolute http or https URL, found '{text}'");
        }

        if (fields.ContainsKey("command") == fields.ContainsKey("url"))
        {
            walker.Error(key, $"{where} needs either 'command' (a process spoken to over stdio) or 'url' (a Streamable HTTP endpoint), not {(fields.ContainsKey("command") ? "both" : "neither")}");
        }

        var args = fields.TryGetValue("args", out var a) ? walker.List(a.Value, $"{where} 'args'").Select(x => x.Value).ToList() : [];
        var env = fields.TryGetValue("env", out var e) ? Pairs(walker, e.Value, $"{where} 'env'") : new Dictionary<string, string>();
        var headers = fields.TryGetValue("headers-from-env", out var h) ? Pairs(walker, h.Value, $"{where} 'headers-from-env'") : new Dictionary<string, string>();
        if (!fields.ContainsKey("url") && headers.Count > 0)
        {
            walker.Error(h.Value, $"{where} 'headers-from-env' applies to an HTTP upstream only; give 'url' or move the values to 'env'");
        }

        if (url is not null && (args.Count > 0 || env.Count > 0))
        {
            walker.Error(key, $"{where} has 'url' and also 'args' or 'env', which apply to a process only; drop them");
        }

        foreach (var (header, variable) in headers)
        {
            if (!EnvNamePattern().IsMatch(variable))
            {
                walker.Error(h.Value, $"{where} header '{header}' must name an environment variable (e.g. CLOUD_MCP_TOKEN), found '{variable}'; secrets never go in this file");
            }
        }

        var target = fields.TryGetValue("target", out var t) ? walker.Scalar(t.Value, $"{where} 'target'") : null;
        var tools = new Dictionary<string, ToolMapping>(StringComparer.Ordinal);
        if (fields.TryGetValue("tools", out var tl) && walker.Mapping(tl.Value, $"{where} 'tools' (tool: kind)") is { } toolMap)
        {
            foreach (var (toolKey, toolValue) in toolMap.Children)
            {
                var tool = walker.Scalar(toolKey, $"a tool name of {where}") ?? string.Empty;
                if (ParseTool(walker, toolValue, $"tool '{tool}' of {where}", target) is { } mapping)
                {
                    tools[tool] = mapping;
                }
            }
        }

        var defaultKind = fields.TryGetValue("default-kind", out var d) ? KindOf(walker, d.Value, $"{where} 'default-kind'") : null;
        var timeout = Upstream.DefaultTimeout;
        if (fields.TryGetValue("timeout", out var to) && walker.Scalar(to.Value, $"{where} 'timeout'") is { } timeoutText)
        {
            if (Duration.TryParse(timeoutText, out var parsedTimeout) && parsedTimeout > TimeSpan.Zero)
            {
                timeout = parsedTimeout;
            }
            else
            {
                walker.Error(to.Value, $"{where} 'timeout' must be a duration such as 30s or 5m, found '{timeoutText}'");
            }
        }

        var maxResult = Upstream.DefaultMaxResultBytes;
        if (fields.TryGetValue("max-result-bytes", out var mr) && walker.Scalar(mr.Value, $"{where} 'max-result-bytes'") is { } maxText)
        {
            if (int.TryParse(maxText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsedMax) && parsedMax >= 1024)
            {
                maxResult = parsedMax;
            }
            else
            {
                walker.Error(mr.Value, $"{where} 'max-result-bytes' must be a whole number of bytes, at least 1024, found '{maxText}'");
            }
        }

        if (tools.Count == 0 && defaultKind is null && walker.Errors.Count == errors)
        {
            walker.Error(key, $"{where} maps no tool to an action kind, so it would list nothing; add 'tools: {{ TOOL: KIND }}' or 'default-kind: KIND'");
        }

        return walker.Errors.Count > errors
            ? null
            : new Upstream(ns, command, args, env, url, headers, tools, defaultKind is null ? null : new ToolMapping(defaultKind, target), (int)key.Start.Line) { Timeout = timeout, MaxResultBytes = maxResult };
    }

    private static ToolMapping? ParseTool(YamlWalker walker, YamlNode node, string where, string? defaultTarget)
    {
        if (node is YamlScalarNode)
        {
            return KindOf(walker, node, $"{where}") is { } kind ? new ToolMapping(kind, defaultTarget) : null;
        }

        if (walker.Mapping(node, $"{where} (a kind, or {{ kind: K, target: T }})") is not { } map)
        {
            return null;
        }

        var fields = walker.Fields(map, where, ToolFields);
        walker.Required(map, fields, "kind", where);
        var kindOf = fields.TryGetValue("kind", out var k) ? KindOf(walker, k.Value, $"{where} 'kind'") : null;
        var target = fields.TryGetValue("target", out var t) ? walker.Scalar(t.Value, $"{where} 'target'") : defaultTarget;
        return kindOf is null ? null : new ToolMapping(kindOf, target);
    }

    private static string? KindOf(YamlWalker walker, YamlNode node, string what)
    {
        var kind = walker.Scalar(node, what);
        if (kind is not null && !KindPattern().IsMatch(kind))
        {
            walker.Error(node, $"{what} must be an action kind of the policy pack, dotted lower-case (e.g. data.export), found '{kind}'");
            return null;
        }

        return kind;
    }

    private static Dictionary<string, string> Pairs(YamlWalker walker, YamlNode node, string what)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (walker.Mapping(node, what) is { } map)
        {
            foreach (var (key, value) in map.Children)
            {
                if (walker.Scalar(key, $"a name in {what}") is { } name && walker.Scalar(value, $"the value of '{name}' in {what}") is { } text)
                {
                    pairs[name] = text;
                }
            }
        }

        return pairs;
    }

    private static T? Fail<T>(YamlWalker walker, YamlNode node, string message)
        where T : class
    {
        walker.Error(node, message);
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9_-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$", RegexOptions.CultureInvariant)]
    private static partial Regex KindPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvNamePattern();
}
