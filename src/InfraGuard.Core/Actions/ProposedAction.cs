using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Changes;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Actions;

/// <summary>
/// The exact privileged action a runner or an agent asks for: a command line (<see cref="Argv"/>) or a tool call
/// (<see cref="Tool"/> + <see cref="Arguments"/>), of an action kind, on a target. Its <see cref="Hash"/> is the thing
/// approved: any other argument is another action. Holds secrets as given; only <see cref="Redacted"/> is stored or shown.
/// </summary>
/// <param name="Kind">The action kind (<c>data.export</c>, <c>iam.assume-role</c> …), as the policy pack defines it.</param>
/// <param name="Target">What it acts on (<c>orders/customers</c>, a role ARN, a namespace); null when the caller names none.</param>
/// <param name="Argv">The exact command line, program first; null for a tool call.</param>
/// <param name="Tool">The tool's name; null for a command line.</param>
/// <param name="Arguments">The tool call's exact arguments; null for a command line.</param>
public sealed record ProposedAction(string Kind, string? Target, IReadOnlyList<string>? Argv, string? Tool = null, JsonObject? Arguments = null)
{
    /// <summary>Longest command line or argument list accepted, in characters.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>A command line.</summary>
    public static ProposedAction Command(string kind, string? target, IReadOnlyList<string> argv) => new(kind, target, argv);

    /// <summary>A tool call (an MCP gateway's).</summary>
    public static ProposedAction ToolCall(string kind, string? target, string tool, JsonObject? arguments) => new(kind, target, null, tool, arguments ?? []);

    /// <summary>The program's file name (<c>pg_dump</c> for <c>/usr/bin/pg_dump</c>), or the tool's name.</summary>
    public string Program => Argv is { Count: > 0 } argv ? argv[0][(argv[0].LastIndexOfAny(['/', '\\']) + 1)..] : Tool ?? string.Empty;

    /// <summary>
    /// What argument matchers look at, exact and unredacted (never stored): the command line's arguments after the
    /// program, or one <c>name=value</c> per leaf of the tool's arguments (<c>table=customers</c>, <c>filter.region=eu</c>).
    /// </summary>
    public IReadOnlyList<string> Words()
    {
        if (Argv is { } argv)
        {
            return [.. argv.Skip(1)];
        }

        var words = new List<string>();
        Flatten(Arguments, string.Empty, words);
        return words;
    }

    /// <summary>Null when the action is well formed; else what is wrong, in words.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Kind))
        {
            return "the action kind is required (e.g. data.export)";
        }

        if ((Argv is null) == (Tool is null))
        {
            return "an action is either a command line (argv) or a tool call (tool and arguments), not both or neither";
        }

        if (Argv is { Count: 0 } || Argv?.Any(a => a is null) == true)
        {
            return "the command line is empty: give the program and its arguments";
        }

        if (Tool is { } tool && string.IsNullOrWhiteSpace(tool))
        {
            return "the tool name is empty";
        }

        if (Target is { } target && (target.Length is 0 or > 300 || target.Any(char.IsControl)))
        {
            return "the target must be 1 to 300 characters without control characters";
        }

        var length = Argv?.Sum(a => a.Length + 1) ?? Arguments?.ToJsonString().Length ?? 0;
        return length > MaxLength ? $"the action is {length} characters long; at most {MaxLength} are accepted" : null;
    }

    /// <summary>
    /// Lower-case hex SHA-256 of the canonical JSON of the exact action: <c>{"argv":[…],"kind":…,"target":…}</c> or
    /// <c>{"arguments":{…},"kind":…,"target":…,"tool":…}</c> (RFC 8785 subset; a number with a fraction or exponent is
    /// hashed as <c>{"$number":"1.5"}</c>, since canonical JSON holds integers only).
    /// </summary>
    public string Hash()
    {
        var node = new JsonObject { ["kind"] = Kind, ["target"] = Target };
        if (Argv is { } argv)
        {
            node["argv"] = new JsonArray([.. argv.Select(a => (JsonNode?)a)]);
        }
        else
        {
            node["tool"] = Tool;
            node["arguments"] = IntegersOnly(Arguments ?? []);
        }

        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(node)));
    }

    /// <summary>The form that may be stored, shown and audited: secrets in the command line or arguments redacted.</summary>
    public ActionRecord Redacted() => new(
        Kind,
        Target is null ? null : Redaction.RedactText(Target),
        Program,
        Argv is null ? null : Redaction.RedactArgv(Argv),
        Tool,
        Arguments is null ? null : Redaction.RedactArguments(Arguments));

    private static void Flatten(JsonNode? node, string prefix, List<string> words)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}", words);
                }

                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    Flatten(arr[i], string.Create(CultureInfo.InvariantCulture, $"{prefix}[{i}]"), words);
                }

                break;
            case JsonValue v:
                words.Add($"{prefix}={(v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString())}");
                break;
            default:
                words.Add($"{prefix}=null");
                break;
        }
    }

    private static JsonNode? IntegersOnly(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Select(p => KeyValuePair.Create(p.Key, IntegersOnly(p.Value)))),
        JsonArray arr => new JsonArray([.. arr.Select(IntegersOnly)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && !long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) =>
            new JsonObject { ["$number"] = v.ToJsonString() },
        _ => node?.DeepClone(),
    };
}
