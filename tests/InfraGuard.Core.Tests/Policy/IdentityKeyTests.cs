using System.Globalization;
using CsCheck;
using InfraGuard.Core.Policy;

namespace InfraGuard.Core.Tests.Policy;

public class IdentityKeyTests
{
    /// <summary>Every alias form of security review 1, finding F1, plus the other ways to write the same address.</summary>
    public static TheoryData<string> DaveAliases() => new()
    {
        "dave@corp.com",
        " dave@corp.com ",
        "dave@corp.com\t",
        "\tdave@corp.com\r\n",
        "DAVE@Corp.Com",
        "email:dave@corp.com",
        "EMAIL: dave@corp.com",
        "person:dave@corp.com",
        "person:email:dave@corp.com",
        "mailto:dave@corp.com",
        "MailTo:Dave@corp.com?subject=approve",
        "dave@corp.com.",
        "dave@corp.com..",
        "dave@corp.com\u3002",                 // ideographic full stop
        "Dave Example <dave@corp.com>",
        "<dave@corp.com>",
        "\u00A0dave@corp.com\u3000",           // no-break and ideographic spaces
        "dave@corp.com\u2003",                 // em space
        "d\u200Bave@corp.com",                 // zero-width space
        "da\u200Cve@co\u200Drp.com",           // zero-width non-joiner and joiner
        "\uFEFFdave@corp.com\u2060",           // BOM and word joiner
        "dav\u00ADe@corp.com",                 // soft hyphen
        "\u202Edave@corp.com",                 // right-to-left override
        "ｄａｖｅ@corp.com",                   // fullwidth letters
        "ｄａｖｅ＠ｃｏｒｐ．ｃｏｍ",           // all fullwidth, including @ and .
        "\uFF45\uFF4D\uFF41\uFF49\uFF4C\uFF1Adave@corp.com", // fullwidth "email:"
        "ⅾave@corp.com",                      // U+217E small roman numeral five hundred
    };

    [Theory]
    [MemberData(nameof(DaveAliases))]
    public void Canonical_AliasOfAnEmail_IsThePlainLowerCaseAddress(string alias)
    {
        Assert.Equal("dave@corp.com", IdentityKey.Canonical(alias));
        Assert.Equal(IdentityLikeness.Same, IdentityKey.Compare(alias, "dave@corp.com"));
    }

    [Theory]
    [InlineData("github:Alice-Example", "github:alice-example")]
    [InlineData(" GitHub:alice-example\t", "github:alice-example")]
    [InlineData("slack:U0EXAMPLEA", "slack:u0examplea")]
    [InlineData("gitlab:ＢＯＢ", "gitlab:bob")]
    [InlineData("person:Alice", "alice")]
    [InlineData("ALICE", "alice")]
    [InlineData("person:github:alice", "github:alice")]
    [InlineData("github:dave@corp.com.", "github:dave@corp.com.")] // a login, not an e-mail: only case and spacing change
    [InlineData("Straße@corp.com", "strasse@corp.com")]             // full case folding
    [InlineData("dave@xn--bcher-kva.de", "dave@bücher.de")]          // punycode domain in Unicode form
    [InlineData("\u200B\u00A0", "")]
    public void Canonical_OtherForms_KeepSystemPrefixAndFoldCase(string raw, string expected)
    {
        Assert.Equal(expected, IdentityKey.Canonical(raw));
    }

    [Theory]
    [InlineData("dаve@corp.com")]           // Cyrillic а
    [InlineData("dave@cоrp.com")]           // Cyrillic о in the domain
    [InlineData("dаvе@сorр.com")]           // Cyrillic а, е, с, р
    [InlineData("dave@corp.cοm")]           // Greek ο
    [InlineData("dαve@corp.com")]           // Greek α
    [InlineData("email:DАVE@corp.com")]     // Cyrillic capital А, with prefix and upper case
    public void Compare_LookAlikeLetters_AreTheSamePerson(string lookAlike)
    {
        Assert.True(IdentityKey.LookAlikeCheckAvailable, "ICU is installed on every host that runs .NET here; libicu must load");
        Assert.NotEqual("dave@corp.com", IdentityKey.Canonical(lookAlike));
        Assert.NotEqual(IdentityLikeness.Different, IdentityKey.Compare(lookAlike, "dave@corp.com"));
        Assert.True(IdentityKey.SamePerson("dave@corp.com", lookAlike));
    }

    [Fact]
    public void Compare_PunycodeOfALookAlikeDomain_IsALookAlike()
    {
        var ascii = new IdnMapping().GetAscii("cоrp.com"); // Cyrillic о
        Assert.StartsWith("xn--", ascii, StringComparison.Ordinal);

        Assert.Equal(IdentityLikeness.LookAlike, IdentityKey.Compare("dave@" + ascii, "dave@corp.com"));
    }

    [Fact]
    public void Compare_GreekCapitalsThatLookLatinOnlyInUpperCase_AreALookAlike()
    {
        Assert.Equal(IdentityLikeness.LookAlike, IdentityKey.Compare("github:ΚΑΙ", "github:kai"));
    }

    [Theory]
    [InlineData("dave@corp.com", "carol@corp.com")]
    [InlineData("dave@corp.com", "dave@corp.org")]
    [InlineData("github:dave", "gitlab:dave")]
    [InlineData("github:dave", "dave")]
    [InlineData("slack:U0EXAMPLEA", "slack:U0EXAMPLEB")]
    [InlineData("josé@corp.com", "jose@corp.com")]  // an accent is visible: different letters
    public void Compare_DifferentPeople_AreDifferent(string a, string b)
    {
        Assert.Equal(IdentityLikeness.Different, IdentityKey.Compare(a, b));
        Assert.False(IdentityKey.SamePerson(a, b));
    }

    [Fact]
    public void Compare_WithoutIcu_NonAsciiIsUnverifiableAgainstEveryoneAndAsciiStillWorks()
    {
        var noIcu = new IdentityNormaliser(null);

        Assert.Equal(IdentityLikeness.Unverifiable, noIcu.Compare("dаve@corp.com", "dave@corp.com"));
        Assert.Equal(IdentityLikeness.Unverifiable, noIcu.Compare("carol@corp.com", "ｄａｖｅ@corp.com"));
        Assert.Equal(IdentityLikeness.Unverifiable, noIcu.Compare("josé@corp.com", "carol@corp.com"));
        Assert.Equal(IdentityLikeness.Same, noIcu.Compare(" Email:Dave@Corp.com.\t", "d\u200Bave@corp.com"));
        Assert.Equal(IdentityLikeness.Same, noIcu.Compare("person:DAVE@corp.com", "mailto:dave@corp.com"));
        Assert.Equal(IdentityLikeness.Different, noIcu.Compare("dave@corp.com", "carol@corp.com"));
    }

    [Fact]
    public void Canonical_AnyString_IsIdempotentAndHasNoWhitespaceOrControlCharacters()
    {
        Gen.OneOf(Gen.String, Gen.String[Gen.Char["\t \u00A0\u200Bабвгдеоαβοｅｍａｉｌ：@.<>:ABCDemailtopersn"], 0, 40])
            .Sample(raw =>
            {
                var key = IdentityKey.Canonical(raw);
                return IdentityKey.Canonical(key) == key
                    && !key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || char.GetUnicodeCategory(c) == UnicodeCategory.Format);
            }, iter: 2000, print: raw => string.Join(" ", raw.Select(c => ((int)c).ToString("X4", CultureInfo.InvariantCulture))));
    }
}
