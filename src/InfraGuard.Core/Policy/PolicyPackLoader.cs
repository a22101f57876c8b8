using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace InfraGuard.Core.Policy;

/// <summary>
/// Reads policy packs. Core never opens files: callers pass the text and a name for messages. Every problem is
/// reported in one <see cref="PolicyException"/>, each as <c>file:line:column: what is wrong; what is valid</c>.
/// </summary>
public static partial class PolicyPackLoader
{
    /// <summary>Manifest name of the embedded default pack (<c>policy-packs/infraguard/policy.yaml</c>).</summary>
    public const string DefaultResourceName = "InfraGuard.Core.Policy.default-policy.yaml";

    /// <summary>The source name the embedded default pack reports.</summary>
    public const string DefaultSourceName = "embedded:policy-packs/infraguard/policy.yaml";

    private static readonly Lazy<PolicyPack> Default = new(() => Load(DefaultText(), DefaultSourceName));

    /// <summary>Parses and validates a pack. Throws <see cref="PolicyException"/> listing every error found.</summary>
    /// <param name="yamlText">The YAML text.</param>
    /// <param name="sourceName">Name used in messages and in <see cref="PolicyPack.Source"/> (e.g. <c>policy.yaml</c>).</param>
    public static PolicyPack Load(string yamlText, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yamlText);
        ArgumentNullException.ThrowIfNull(sourceName);
        var normalised = Normalise(yamlText);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(normalised));
        }
        catch (YamlException e)
        {
            throw new PolicyException([new PolicyError(sourceName, (int)e.Start.Line, (int)e.Start.Column, "invalid YAML: " + StripMark(e.Message))]);
        }

        if (stream.Documents.Count != 1)
        {
            throw new PolicyException([new PolicyError(sourceName, 1, 1, stream.Documents.Count == 0
                ? "the policy file is empty; start with 'apiVersion: infraguard/v1' and a 'tiers:' section"
                : "the policy file holds more than one YAML document; keep one pack per file")]);
        }

        var parser = new PolicyParser(sourceName, new YamlWalker(sourceName));
        var pack = parser.Parse(stream.Documents[0].RootNode, Hash(normalised));
        return pack ?? throw new PolicyException(parser.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
    }

    /// <summary>The embedded default pack (cached).</summary>
    public static PolicyPack LoadDefault() => Default.Value;

    /// <summary>The text of the embedded default pack.</summary>
    public static string DefaultText()
    {
        using var stream = typeof(PolicyPackLoader).Assembly.GetManifestResourceStream(DefaultResourceName)
                           ?? throw new InvalidOperationException($"embedded resource {DefaultResourceName} is missing from {typeof(PolicyPackLoader).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>SHA-256 (lower-case hex) of the normalised text: BOM removed, CRLF and CR as LF.</summary>
    public static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalise(text))));

    private static string Normalise(string text) =>
        text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: 20) - (Line: 3, Col: 6, Idx: 21): ".
    private static string StripMark(string message) => MarkPrefix().Replace(message, string.Empty);

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex MarkPrefix();
}
