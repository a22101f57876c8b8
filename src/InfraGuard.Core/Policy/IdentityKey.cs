using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace InfraGuard.Core.Policy;

/// <summary>How two identities relate when InfraGuard decides whether an approver is independent.</summary>
public enum IdentityLikeness
{
    /// <summary>Different people, as far as the identities show.</summary>
    Different,

    /// <summary>The same canonical key (<c>email:Dave@corp.com </c> and <c>dave@corp.com</c>).</summary>
    Same,

    /// <summary>Different keys with the same UTS #39 confusable skeleton (<c>dаve@corp.com</c> with a Cyrillic а): one person.</summary>
    LookAlike,

    /// <summary>
    /// One of them holds non-ASCII characters and the look-alike check (ICU) is unavailable on this host, so they
    /// cannot be told apart: fail closed and treat them as one person.
    /// </summary>
    Unverifiable,
}

/// <summary>
/// The one place that turns a raw identity (a CI login, a commit e-mail, a Slack id, a token's identity, a person id)
/// into the key InfraGuard compares. Every lookup in the identity map and every independence check goes through it.
/// </summary>
/// <remarks>
/// The canonical key, repeated until it no longer changes:
/// NFKC_Casefold (fullwidth and compatibility letters, full case folding, default-ignorable characters removed);
/// all whitespace, control and format characters removed (tabs, no-break and zero-width spaces);
/// <c>Name &lt;addr&gt;</c> reduced to the address; the <c>email:</c>, <c>mailto:</c> and <c>person:</c> prefixes
/// removed, so <c>email:dave@corp.com</c>, <c>mailto:dave@corp.com</c>, <c>person:dave@corp.com</c> and
/// <c>dave@corp.com</c> are one key; an e-mail's domain loses trailing dots and has IDNA full stops (<c>。</c>) and
/// punycode labels in one form; system logins keep their prefix (<c>github:</c>, <c>gitlab:</c>, <c>slack:</c>, …),
/// lower-cased. Two keys that differ but look alike (their UTS #39 skeletons, from ICU's <c>uspoof_getSkeleton</c>,
/// are equal) count as one person for independence, never for eligibility. Without ICU, any key holding a
/// non-ASCII character is <see cref="IdentityLikeness.Unverifiable"/> against every other key.
/// </remarks>
public static class IdentityKey
{
    /// <summary>The canonical comparable key of <paramref name="raw"/>; empty when nothing visible is left.</summary>
    public static string Canonical(string raw) => IdentityNormaliser.Default.Canonical(raw);

    /// <summary>How <paramref name="a"/> and <paramref name="b"/> relate: same key, look-alike, unverifiable or different.</summary>
    public static IdentityLikeness Compare(string a, string b) => IdentityNormaliser.Default.Compare(a, b);

    /// <summary>True when the two identities count as one person for independence (anything but <see cref="IdentityLikeness.Different"/>).</summary>
    public static bool SamePerson(string a, string b) => Compare(a, b) != IdentityLikeness.Different;

    /// <summary>True when ICU is loaded, so look-alike identities are recognised; false means non-ASCII identities fail closed.</summary>
    public static bool LookAlikeCheckAvailable => IdentityNormaliser.Default.CanCheckLookAlikes;
}

/// <summary><see cref="IdentityKey"/>'s implementation over a given ICU (or none, as on a host without libicu).</summary>
internal sealed partial class IdentityNormaliser
{
    private static readonly string[] AliasPrefixes = ["email:", "mailto:", "person:"];

    private readonly IcuUnicode? _icu;

    /// <summary>Case-insensitive skeletons of the alias prefixes (empty without ICU).</summary>
    private readonly HashSet<string> _prefixSkeletons;

    /// <summary>Memos: the same few identities (the map's names, a request's parties) are compared again and again.</summary>
    private readonly Memo<string> _keys = new();
    private readonly Memo<HashSet<string>?> _skeletons = new();

    public IdentityNormaliser(IcuUnicode? icu)
    {
        _icu = icu;
        _prefixSkeletons = [.. AliasPrefixes.SelectMany(p => CaseSkeletons(p) ?? [])];
    }

    public static IdentityNormaliser Default { get; } = new(IcuUnicode.Instance);

    public bool CanCheckLookAlikes => _icu is not null;

    public string Canonical(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        return _keys.Get(raw, r => Normal(r, fold: true));
    }

    /// <summary>
    /// The same steps as <see cref="Canonical"/> without NFKC_Casefold (fullwidth ASCII only becomes ASCII): folding can
    /// change how a letter looks (Greek <c>ϲ</c> looks like <c>c</c> but becomes <c>σ</c>), so look-alikes are also
    /// sought in this form.
    /// </summary>
    private string Visual(string raw) => Normal(raw, fold: false);

    private string Normal(string raw, bool fold)
    {
        var key = raw;
        for (var pass = 0; pass < 8; pass++)
        {
            var next = Pass(key, fold);
            if (string.Equals(next, key, StringComparison.Ordinal))
            {
                break;
            }

            key = next;
        }

        return key;
    }

    public IdentityLikeness Compare(string a, string b)
    {
        var ka = Canonical(a);
        var kb = Canonical(b);
        if (string.Equals(ka, kb, StringComparison.Ordinal))
        {
            return IdentityLikeness.Same;
        }

        return _skeletons.Get(a, r => Skeletons(ka, r)) is { } sa && _skeletons.Get(b, r => Skeletons(kb, r)) is { } sb
            ? sa.Overlaps(sb) ? IdentityLikeness.LookAlike : IdentityLikeness.Different
            : Ascii(ka) && Ascii(kb) ? IdentityLikeness.Different : IdentityLikeness.Unverifiable;
    }

    /// <summary>
    /// The UTS #39 skeletons of an identity (see <see cref="CaseSkeletons"/>) from its key and from its
    /// <see cref="Visual"/> form, after dropping look-alikes of the alias prefixes (<c>реrson:</c> in Cyrillic). Null when
    /// there is no ICU or ICU failed.
    /// </summary>
    private HashSet<string>? Skeletons(string key, string raw)
    {
        var skeletons = new HashSet<string>(StringComparer.Ordinal);
        foreach (var form in new[] { key, Visual(raw) })
        {
            if (WithoutLookAlikePrefixes(form) is not { } bare || CaseSkeletons(bare) is not { } both)
            {
                return null;
            }

            skeletons.UnionWith(both);
        }

        return skeletons;
    }

    /// <summary>
    /// Skeletons that ignore case, as identities do. The skeleton itself is case-sensitive, and a letter may look like
    /// another only in one case: Cyrillic <c>ӏ</c> maps to <c>i</c> but its capital to <c>l</c>, Greek <c>κ</c> to
    /// <c>ĸ</c> but its capital to <c>K</c>, Cyrillic capital <c>Һ</c> to itself but <c>һ</c> to <c>h</c>. So the
    /// skeleton is taken in one case, then again in the other, and lower-cased; once starting from lower case, once
    /// from upper case. Null when ICU is missing or failed.
    /// </summary>
    private string[]? CaseSkeletons(string s)
    {
        string? Skeleton(string text) => _icu?.Skeleton(text);
        return Skeleton(s.ToLowerInvariant())?.ToUpperInvariant() is { } a && Skeleton(a)?.ToLowerInvariant() is { } fromLower
            && Skeleton(s.ToUpperInvariant())?.ToLowerInvariant() is { } b && Skeleton(b)?.ToLowerInvariant() is { } fromUpper
            ? [fromLower, fromUpper]
            : null;
    }

    /// <summary>Drops leading segments up to a <c>:</c> that look like <c>email:</c>, <c>mailto:</c> or <c>person:</c>.</summary>
    private string? WithoutLookAlikePrefixes(string s)
    {
        for (var colon = s.IndexOf(':', StringComparison.Ordinal); colon > 0; colon = s.IndexOf(':', StringComparison.Ordinal))
        {
            if (CaseSkeletons(s[..(colon + 1)]) is not { } head)
            {
                return null;
            }

            if (!head.Any(_prefixSkeletons.Contains))
            {
                break;
            }

            s = s[(colon + 1)..];
        }

        return s;
    }

    private string Pass(string s, bool fold)
    {
        s = fold ? Visible(_icu?.NfkcCasefold(s) ?? s).ToLowerInvariant() : HalfWidth(Visible(s));
        s = AngleAddress(s);
        s = WithoutAliasPrefixes(s);
        return SystemPrefix().IsMatch(s) || !s.Contains('@', StringComparison.Ordinal) ? s : Email(s);
    }

    /// <summary>Drops whitespace (Unicode White_Space), control and format characters (zero-width spaces and joiners, bidi marks).</summary>
    private static string Visible(string s)
    {
        if (!s.Any(Invisible))
        {
            return s;
        }

        var b = new StringBuilder(s.Length);
        foreach (var c in s.Where(c => !Invisible(c)))
        {
            b.Append(c);
        }

        return b.ToString();
    }

    private static bool Invisible(char c) =>
        char.IsWhiteSpace(c) || char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format;

    /// <summary>Fullwidth ASCII (<c>ａ</c>, <c>＠</c>, <c>：</c>) as ASCII.</summary>
    private static string HalfWidth(string s) =>
        s.Any(c => c is >= '\uFF01' and <= '\uFF5E') ? string.Concat(s.Select(c => c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c)) : s;

    /// <summary><c>Dave &lt;dave@corp.com&gt;</c> → <c>dave@corp.com</c>.</summary>
    private static string AngleAddress(string s)
    {
        var open = s.LastIndexOf('<');
        return open >= 0 && s.EndsWith('>') && s[(open + 1)..^1] is var inner && inner.Contains('@', StringComparison.Ordinal) && !inner.Contains('>', StringComparison.Ordinal)
            ? inner
            : s;
    }

    private static string WithoutAliasPrefixes(string s)
    {
        for (var stripped = true; stripped;)
        {
            stripped = false;
            foreach (var prefix in AliasPrefixes)
            {
                if (s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    s = s[prefix.Length..];
                    if (prefix == "mailto:" && s.IndexOf('?', StringComparison.Ordinal) is var query and >= 0)
                    {
                        s = s[..query];
                    }

                    stripped = true;
                }
            }
        }

        return s;
    }

    /// <summary>One form for an e-mail's domain: IDNA full stops as <c>.</c>, no trailing dot, punycode labels decoded (so look-alikes stay visible to the skeleton).</summary>
    private static string Email(string s)
    {
        var at = s.LastIndexOf('@');
        var domain = s[(at + 1)..].Replace('\u3002', '.').Replace('\uFF0E', '.').Replace('\uFF61', '.').TrimEnd('.');
        var labels = domain.Split('.').Select(label =>
        {
            if (!label.StartsWith("xn--", StringComparison.Ordinal))
            {
                return label;
            }

            try
            {
                return new IdnMapping().GetUnicode(label).ToLowerInvariant();
            }
            catch (ArgumentException)
            {
                return label; // not valid punycode: compared as written
            }
        });
        return s[..(at + 1)] + string.Join('.', labels);
    }

    private static bool Ascii(string s) => System.Text.Ascii.IsValid(s);

    /// <summary>A system login's prefix (<c>github:</c>, <c>slack:</c>, <c>local:</c>): what follows is not an e-mail to reshape.</summary>
    [GeneratedRegex("^[a-z][a-z0-9+.-]*:", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SystemPrefix();

    /// <summary>A bounded memo: emptied when full, so strings from untrusted requests cannot grow it without end.</summary>
    private sealed class Memo<T>
    {
        private const int Capacity = 8192;
        private readonly ConcurrentDictionary<string, T> _entries = new(StringComparer.Ordinal);

        public T Get(string raw, Func<string, T> compute)
        {
            if (_entries.TryGetValue(raw, out var hit))
            {
                return hit;
            }

            var value = compute(raw);
            if (_entries.Count >= Capacity)
            {
                _entries.Clear();
            }

            _entries[raw] = value;
            return value;
        }
    }
}
