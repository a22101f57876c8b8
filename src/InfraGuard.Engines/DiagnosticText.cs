using System.Text;
using System.Text.RegularExpressions;
using InfraGuard.Core.Changes;

namespace InfraGuard.Engines;

/// <summary>
/// Builds the text shown to the user when a run fails: the engine's error diagnostics, then the stderr tail, with
/// secrets redacted. Pulumi already blinds secret config in its events; this also removes values of secret-looking
/// <c>key=value</c> / <c>key: value</c> pairs, Pulumi access tokens, AWS access key ids and any value InfraGuard
/// itself passed to the engine in a secret-looking environment variable.
/// </summary>
public static partial class DiagnosticText
{
    public static string Build(string command, int exitCode, IEnumerable<string> errors, IReadOnlyCollection<string> stderrTail, IEnumerable<string> knownSecrets)
    {
        var text = new StringBuilder();
        text.Append(command).Append(" failed (exit code ").Append(exitCode).Append(')').Append('\n');
        foreach (var error in errors.Distinct(StringComparer.Ordinal))
        {
            text.Append("  error: ").Append(error.Replace("\n", "\n    ", StringComparison.Ordinal)).Append('\n');
        }

        if (stderrTail.Count > 0)
        {
            text.Append("stderr (last ").Append(stderrTail.Count).Append(" lines):\n");
            foreach (var line in stderrTail)
            {
                text.Append("  ").Append(line).Append('\n');
            }
        }

        return Redact(text.ToString().TrimEnd(), knownSecrets);
    }

    public static string Redact(string text, IEnumerable<string> knownSecrets)
    {
        foreach (var secret in knownSecrets.Where(s => s.Length >= 4).OrderByDescending(s => s.Length))
        {
            text = text.Replace(secret, Redaction.SecretMarker, StringComparison.Ordinal);
        }

        text = PulumiToken().Replace(text, Redaction.SecretMarker);
        text = AwsAccessKeyId().Replace(text, Redaction.SecretMarker);
        return RedactSecretLookingPairs(text);
    }

    // "db_password=x", "password: x", "\"token\": \"x\"": the value after a secret-looking key becomes the marker.
    private static string RedactSecretLookingPairs(string text)
    {
        var result = new StringBuilder(text.Length);
        var position = 0;
        foreach (Match key in KeyAndSeparator().Matches(text))
        {
            if (key.Index < position || !Redaction.IsSecretLookingName(key.Groups["key"].Value))
            {
                continue;
            }

            var valueStart = key.Index + key.Length;
            var value = Value().Match(text, valueStart);
            if (!value.Success)
            {
                continue;
            }

            result.Append(text, position, valueStart - position).Append(Redaction.SecretMarker);
            position = valueStart + value.Length;
        }

        return result.Append(text, position, text.Length - position).ToString();
    }

    [GeneratedRegex(@"\bpul-[0-9a-f]{40}\b", RegexOptions.CultureInvariant)]
    private static partial Regex PulumiToken();

    [GeneratedRegex(@"\b(AKIA|ASIA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant)]
    private static partial Regex AwsAccessKeyId();

    [GeneratedRegex(@"(?<key>[A-Za-z_][A-Za-z0-9_\-]*)""?\s*[=:]\s*", RegexOptions.CultureInvariant)]
    private static partial Regex KeyAndSeparator();

    [GeneratedRegex(@"\G(""[^""]*""|'[^']*'|[^\s,;]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Value();
}
