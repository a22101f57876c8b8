using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Tests.Policy;

public class GlobTests
{
    [Theory]
    [InlineData("prod", "prod", true)]
    [InlineData("prod", "PROD", true)]
    [InlineData("prod", "prod-eu", false)]
    [InlineData("prod-*", "prod-eu", true)]
    [InlineData("prod-*", "prod-", true)]
    [InlineData("*/production", "team/production", true)]
    [InlineData("*/production", "production", false)]
    [InlineData("aws:rds/*", "AWS:RDS/instance:Instance", true)]
    [InlineData("*dynamodb*", "aws:dynamodb/table:Table", true)]
    [InlineData("aws:fsx/*FileSystem:*", "aws:fsx/lustreFileSystem:LustreFileSystem", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("a*a", "aa", true)]
    [InlineData("*a*b", "xbxa", false)]
    [InlineData("*a*b", "xaxb", true)]
    [InlineData("*ab*ab", "abab", true)]
    [InlineData("*ab*ab", "aba", false)]
    [InlineData("[a-c]x", "Bx", true)]
    [InlineData("[!a-c]x", "bx", false)]
    [InlineData("[!a-c]x", "dx", true)]
    [InlineData("[*]x", "*x", true)]
    [InlineData("[*]x", "ax", false)]
    [InlineData("x[-a]", "x-", true)]
    public void IsMatch_Examples_WholeStringCaseInsensitive(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob.Parse(pattern).IsMatch(text));
    }

    [Fact]
    public void IsMatch_LiteralBrackets_BracketsAreText()
    {
        var glob = Glob.TryParse("ingress[*].cidrBlocks[*]", literalBrackets: true, out _)!;

        Assert.True(glob.IsMatch("ingress[0].cidrBlocks[12]"));
        Assert.False(glob.IsMatch("ingress0.cidrBlocks12"));
    }

    [Fact]
    public void IsMatch_ReviewsBacktrackingPattern_AnswersAtOnce()
    {
        // Security review F5: a backtracking regex took minutes for this pattern and text.
        var glob = Glob.Parse("*a*a*a*a*a*a*a*ac");
        var type = "aws:" + new string('a', 60) + "/x:Y";

        Assert.False(glob.IsMatch(type));
        Assert.True(glob.IsMatch(type + "ac"));
        Assert.True(glob.IsMatch(new string('a', 8) + "c"));
        Assert.False(glob.IsMatch(new string('a', 7) + "c"));
    }

    [Fact]
    public void IsMatch_RandomPatternsAndTexts_AgreesWithRegex()
    {
        var patternPart = Gen.OneOf("a", "b", "A", "*", "?", "[ab]", "[!a]", "[a-b]", ".", "/");
        var pattern = patternPart.Array[1, 8].Select(parts => string.Concat(parts)).Where(p => p.Count(c => c == '*') <= Glob.MaxWildcards);
        var text = Gen.OneOf('a', 'b', 'B', 'c', '.', '/').Array[0, 12].Select(chars => new string(chars));

        Gen.Select(pattern, text).Sample((p, t) => Glob.Parse(p).IsMatch(t) == Reference(p).IsMatch(t), iter: 5000, print: x => $"pattern '{x.Item1}' text '{x.Item2}'");
    }

    [Theory]
    [InlineData(Glob.MaxWildcards + 1)]
    [InlineData(40)]
    public void TryParse_TooManyWildcards_RefusedSayingTheLimit(int stars)
    {
        var pattern = string.Concat(Enumerable.Repeat("*a", stars)) + "c";

        Assert.Null(Glob.TryParse(pattern, out var problem));
        Assert.Equal($"the pattern has {stars} '*' wildcards; at most {Glob.MaxWildcards} are allowed", problem);
    }

    [Fact]
    public void TryParse_TooLong_RefusedSayingTheLimit()
    {
        Assert.NotNull(Glob.TryParse(new string('a', Glob.MaxLength), out _));
        Assert.Null(Glob.TryParse(new string('a', Glob.MaxLength + 1), out var problem));
        Assert.Equal($"the pattern is {Glob.MaxLength + 1} characters long; at most {Glob.MaxLength} are allowed", problem);
    }

    [Fact]
    public void Load_PathologicalGlobInRule_ErrorNamesFileLineColumnAndLimit()
    {
        const string yaml = """
            apiVersion: infraguard/v1
            tiers:
              development:
                default: true
                review-at: 100
            rules:
              - id: slow
                summary: s
                match: { types: ["*a*a*a*a*a*a*a*a*a*a*a*ac"] }
                score: 1
            """;

        var ex = Assert.Throws<PolicyException>(() => PolicyPackLoader.Load(yaml, "policy.yaml"));

        Assert.Equal(
            "policy.yaml:9:22: bad glob '*a*a*a*a*a*a*a*a*a*a*a*ac' in 'types' of rule 'slow': the pattern has 12 '*' wildcards; at most 10 are allowed; use * for any text, ? for one character, [abc] for a set",
            Assert.Single(ex.Errors).ToString());
    }

    // The glob as a regular expression, as it was compiled before matching became linear (NonBacktracking here).
    private static Regex Reference(string pattern)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '[')
            {
                var close = pattern.IndexOf(']', i + 1);
                var set = pattern[(i + 1)..close];
                sb.Append('[').Append(set.StartsWith('!') ? "^" + set[1..] : set).Append(']');
                i = close;
            }
            else
            {
                sb.Append(c switch { '*' => ".*", '?' => ".", _ => Regex.Escape(c.ToString()) });
            }
        }

        return new Regex(sb.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking);
    }
}
