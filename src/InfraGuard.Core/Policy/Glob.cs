using System.Text;
using System.Text.RegularExpressions;

namespace InfraGuard.Core.Policy;

/// <summary>
/// A shell-style pattern: <c>*</c> matches any run of characters (including <c>/</c>, <c>:</c> and <c>.</c>),
/// <c>?</c> one character, <c>[abc]</c> / <c>[a-z]</c> / <c>[!abc]</c> one character from (or not from) a set.
/// Matching is whole-string and case-insensitive.
/// </summary>
public sealed class Glob
{
    private readonly Regex _regex;

    private Glob(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>True when <paramref name="text"/> matches the whole pattern.</summary>
    public bool IsMatch(string text) => _regex.IsMatch(text);

    /// <summary>Parses a pattern; on failure returns null and says why in <paramref name="problem"/>.</summary>
    public static Glob? TryParse(string pattern, out string? problem) => TryParse(pattern, literalBrackets: false, out problem);

    /// <summary>
    /// Parses a pattern. With <paramref name="literalBrackets"/> <c>[</c> and <c>]</c> stand for themselves, so
    /// property path patterns such as <c>ingress[*].cidrBlocks[*]</c> read naturally.
    /// </summary>
    public static Glob? TryParse(string pattern, bool literalBrackets, out string? problem)
    {
        problem = null;
        if (pattern.Length == 0)
        {
            problem = "empty pattern";
            return null;
        }

        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[' when !literalBrackets:
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        problem = $"unclosed '[' at character {i + 1}";
                        return null;
                    }

                    var set = pattern[(i + 1)..close];
                    var negate = set.StartsWith('!');
                    if (negate)
                    {
                        set = set[1..];
                    }

                    if (set.Length == 0)
                    {
                        problem = $"empty character set at character {i + 1}";
                        return null;
                    }

                    sb.Append('[').Append(negate ? "^" : string.Empty)
                        .Append(set.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal).Replace("^", "\\^", StringComparison.Ordinal))
                        .Append(']');
                    i = close;
                    break;
                case ']' when !literalBrackets:
                    problem = $"unmatched ']' at character {i + 1}";
                    return null;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        sb.Append('$');
        return new Glob(pattern, new Regex(sb.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline));
    }

    /// <summary>Parses a pattern known to be valid; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static Glob Parse(string pattern) =>
        TryParse(pattern, out var problem) ?? throw new ArgumentException($"bad glob '{pattern}': {problem}", nameof(pattern));

    /// <inheritdoc/>
    public override string ToString() => Pattern;
}
