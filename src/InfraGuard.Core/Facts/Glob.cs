namespace InfraGuard.Core.Facts;

/// <summary>
/// A shell-style pattern: <c>*</c> matches any run of characters (including <c>/</c>, <c>:</c> and <c>.</c>),
/// <c>?</c> one character, <c>[abc]</c> / <c>[a-z]</c> / <c>[!abc]</c> one character from (or not from) a set.
/// Matching is whole-string and case-insensitive (ordinal, invariant case).
/// </summary>
/// <remarks>
/// Matching never backtracks: the pattern is split at its <c>*</c>s into segments, the first segment must match at the
/// start, the last at the end, and each one between at its leftmost place after the one before (leftmost is always
/// right, since a <c>*</c> absorbs whatever lies between). A match costs at most text length × pattern length
/// character comparisons, and patterns are bounded by <see cref="MaxLength"/> and <see cref="MaxWildcards"/>, so a
/// policy cannot make matching slow, whatever the text.
/// </remarks>
public sealed class Glob
{
    /// <summary>Longest pattern accepted, in characters.</summary>
    public const int MaxLength = 200;

    /// <summary>Most <c>*</c> wildcards a pattern may hold.</summary>
    public const int MaxWildcards = 10;

    // Segments between the *s; with no * there is exactly one and it must match the whole text.
    private readonly Segment[] _segments;
    private readonly bool _hasStar;
    private readonly int _minLength;

    private Glob(string pattern, Segment[] segments, bool hasStar)
    {
        Pattern = pattern;
        _segments = segments;
        _hasStar = hasStar;
        _minLength = segments.Sum(s => s.Length);
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>True when <paramref name="text"/> matches the whole pattern.</summary>
    public bool IsMatch(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        if (span.Length < _minLength)
        {
            return false;
        }

        if (!_hasStar)
        {
            return span.Length == _minLength && _segments[0].MatchesAt(span);
        }

        var first = _segments[0];
        var last = _segments[^1];
        if (!first.MatchesAt(span) || !last.MatchesAt(span[^last.Length..]))
        {
            return false;
        }

        // The middle segments, each at its leftmost place, between the first and the last.
        var rest = span[first.Length..^last.Length];
        for (var i = 1; i < _segments.Length - 1; i++)
        {
            var at = _segments[i].IndexIn(rest);
            if (at < 0)
            {
                return false;
            }

            rest = rest[(at + _segments[i].Length)..];
        }

        return true;
    }

    /// <summary>Parses a pattern; on failure returns null and says why in <paramref name="problem"/>.</summary>
    public static Glob? TryParse(string pattern, out string? problem) => TryParse(pattern, literalBrackets: false, out problem);

    /// <summary>
    /// Parses a pattern. With <paramref name="literalBrackets"/> <c>[</c> and <c>]</c> stand for themselves, so
    /// property path patterns such as <c>ingress[*].cidrBlocks[*]</c> read naturally.
    /// </summary>
    public static Glob? TryParse(string pattern, bool literalBrackets, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        problem = null;
        if (pattern.Length == 0)
        {
            problem = "empty pattern";
            return null;
        }

        if (pattern.Length > MaxLength)
        {
            problem = $"the pattern is {pattern.Length} characters long; at most {MaxLength} are allowed";
            return null;
        }

        var segments = new List<Segment>();
        var atoms = new List<Atom>();
        var stars = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    stars++;
                    segments.Add(new Segment([.. atoms]));
                    atoms.Clear();
                    break;
                case '?':
                    atoms.Add(Atom.Any);
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

                    atoms.Add(Atom.Set(set, negate));
                    i = close;
                    break;
                case ']' when !literalBrackets:
                    problem = $"unmatched ']' at character {i + 1}";
                    return null;
                default:
                    atoms.Add(Atom.Literal(c));
                    break;
            }
        }

        if (stars > MaxWildcards)
        {
            problem = $"the pattern has {stars} '*' wildcards; at most {MaxWildcards} are allowed";
            return null;
        }

        segments.Add(new Segment([.. atoms]));
        return new Glob(pattern, [.. segments], stars > 0);
    }

    /// <summary>Parses a pattern known to be valid; throws <see cref="ArgumentException"/> otherwise.</summary>
    public static Glob Parse(string pattern) =>
        TryParse(pattern, out var problem) ?? throw new ArgumentException($"bad glob '{pattern}': {problem}", nameof(pattern));

    /// <inheritdoc/>
    public override string ToString() => Pattern;

    private static char Fold(char c) => char.ToUpperInvariant(c);

    /// <summary>Characters that must match one after another; plain text compares with the vectorised ordinal search.</summary>
    private sealed class Segment
    {
        private readonly Atom[] _atoms;
        private readonly string? _text;

        public Segment(Atom[] atoms)
        {
            _atoms = atoms;
            _text = atoms.All(a => a.Kind == AtomKind.Literal) ? new string([.. atoms.Select(a => a.Char)]) : null;
        }

        public int Length => _atoms.Length;

        /// <summary>True when the segment matches at the start of <paramref name="text"/> (which is at least as long).</summary>
        public bool MatchesAt(ReadOnlySpan<char> text)
        {
            if (_text is not null)
            {
                return text.StartsWith(_text, StringComparison.OrdinalIgnoreCase);
            }

            for (var i = 0; i < _atoms.Length; i++)
            {
                if (!_atoms[i].Matches(text[i]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The leftmost place the segment matches in <paramref name="text"/>, or -1.</summary>
        public int IndexIn(ReadOnlySpan<char> text)
        {
            if (_text is not null)
            {
                return text.IndexOf(_text, StringComparison.OrdinalIgnoreCase);
            }

            for (var at = 0; at + _atoms.Length <= text.Length; at++)
            {
                if (MatchesAt(text[at..]))
                {
                    return at;
                }
            }

            return -1;
        }
    }

    private enum AtomKind
    {
        Literal,
        Any,
        Set,
    }

    /// <summary>One pattern character: a literal, <c>?</c>, or a set of characters and ranges (folded to one case).</summary>
    private readonly record struct Atom(AtomKind Kind, char Char, (char From, char To)[]? Ranges, bool Negate)
    {
        public static Atom Any => new(AtomKind.Any, default, null, false);

        public static Atom Literal(char c) => new(AtomKind.Literal, c, null, false);

        /// <summary>A set as written between the brackets: characters and <c>a-z</c> ranges; a '-' first or last is itself.</summary>
        public static Atom Set(string set, bool negate)
        {
            var ranges = new List<(char, char)>();
            for (var i = 0; i < set.Length; i++)
            {
                if (i + 2 < set.Length && set[i + 1] == '-')
                {
                    ranges.Add((set[i], set[i + 2]));
                    i += 2;
                }
                else
                {
                    ranges.Add((set[i], set[i]));
                }
            }

            return new(AtomKind.Set, default, [.. ranges], negate);
        }

        public bool Matches(char c) => Kind switch
        {
            AtomKind.Literal => c == Char || Fold(c) == Fold(Char),
            AtomKind.Any => true,
            _ => InSet(c) != Negate,
        };

        // Case-insensitive: the character, its upper and its lower case are each tried against the ranges as written.
        private bool InSet(char c) => InRanges(c) || InRanges(char.ToUpperInvariant(c)) || InRanges(char.ToLowerInvariant(c));

        private bool InRanges(char c)
        {
            foreach (var (from, to) in Ranges!)
            {
                if (c >= from && c <= to)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
