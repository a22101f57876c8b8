using System.Globalization;
using System.Text;
using CsCheck;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Tests.Approvals;

/// <summary>
/// Attacks on independence (security review 1, F1): the requester, a commit author or the agent's principal tries to
/// approve under another spelling of one of their identities, mapped in the identity map or not.
/// </summary>
public class ApprovalIndependenceTests
{
    private const string Plan = "9f2c1a7b3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd";
    private const string Reason = "checked the plan with on-call";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 2, 10, 0, TimeSpan.Zero);

    private static readonly IdentityMap Map = new()
    {
        People =
        [
            new Person("alice", "Alice", ["github:alice-example"], ["alice@example.com"], ["slack:U0EXAMPLEA"], ["sre-leads"]),
            new Person("bob", "Bob", ["github:bob-example", "gitlab:bobby"], ["bob@example.com", "robert@corp.example"], ["slack:U0EXAMPLEB"], ["sre-leads"]),
            new Person("carol", "Carol", ["github:carol-example"], ["carol@example.com"], ["slack:U0EXAMPLEC"], ["platform"]),
        ],
        Groups = [],
    };

    private static readonly string[] Unmapped = ["dave@corp.com", "erin.ops@corp.example", "github:frank-ci", "gitlab:grace", "local:heidi", "ivan"];

    private enum Role
    {
        Requester,
        Author,
        Principal,
    }

    /// <summary>A request as `infraguard up` stores it: every party resolved through the identity map.</summary>
    private static ApprovalSubject Subject(Role role, string party, IReadOnlyList<PriorDecision>? decisions = null)
    {
        var requester = ApprovalDesk.Resolve(Map, role == Role.Requester ? party : "github:zara-release");
        return new ApprovalSubject(
            Plan,
            requester.PersonId,
            role == Role.Principal ? ApprovalDesk.Resolve(Map, party).PersonId : null,
            role == Role.Author ? [ApprovalDesk.Resolve(Map, party).PersonId] : [],
            new ApprovalRequirement(1, [], TimeSpan.FromHours(4)), // staging/development: anyone independent may approve
            Now.AddHours(1),
            decisions ?? [],
            requester.RawIdentity);
    }

    private static ApprovalOutcome Approve(ApprovalSubject subject, string identity) =>
        ApprovalRules.Evaluate(subject, ApprovalDesk.ApproverFor(Map, identity), Verdict.Approve, Reason, Plan, Now);

    private static string Expected(Role role) => role switch
    {
        Role.Requester => "You requested this change",
        Role.Author => "You authored a commit",
        _ => "acts on your behalf",
    };

    private static readonly Dictionary<char, string> LookAlikes = new()
    {
        ['a'] = "аα", ['c'] = "сϲ", ['e'] = "е", ['i'] = "іι", ['o'] = "оο", ['p'] = "рρ", ['x'] = "х", ['y'] = "у",
        ['s'] = "ѕ", ['j'] = "ј", ['h'] = "һ", ['k'] = "κ", ['v'] = "ν", ['d'] = "ԁ", ['l'] = "ӏ", ['n'] = "ո",
    };

    private const string Invisible = "\u200B\u200C\u200D\u2060\uFEFF\u00AD\u200E\u202A";
    private const string Spaces = " \t\n\r\u00A0\u2003\u3000\u202F";

    /// <summary>One spelling of <paramref name="name"/> that is still the same person, built from the review's alias forms.</summary>
    private static Gen<string> AliasOf(string name) =>
        Gen.Select(Gen.Int[0, 5], Gen.Bool, Gen.Int[0, 3], Gen.Int[0, 2], Gen.Int[0, 3], Gen.Int[0, int.MaxValue], Gen.Bool)
            .Select((prefix, lookAlike, fullwidth, invisible, trailing, seed, angle) =>
            {
                var random = new Random(seed);
                var email = name.Contains('@', StringComparison.Ordinal) && !name.Contains(':', StringComparison.Ordinal);
                var chars = new StringBuilder();
                foreach (var c in name)
                {
                    var ch = random.Next(3) == 0 ? char.ToUpperInvariant(c) : c;
                    if (lookAlike && LookAlikes.TryGetValue(c, out var options) && random.Next(4) == 0)
                    {
                        ch = options[random.Next(options.Length)];
                    }
                    else if (fullwidth > 0 && ch is >= '!' and <= '~' && random.Next(4 - fullwidth) == 0)
                    {
                        ch = (char)(ch + 0xFEE0);
                    }

                    chars.Append(ch);
                    if (invisible > 0 && random.Next(6) == 0)
                    {
                        chars.Append(Invisible[random.Next(Invisible.Length)]);
                    }
                }

                var alias = chars.ToString();
                if (email && trailing > 0)
                {
                    alias += trailing == 3 ? "\u3002" : new string('.', trailing);
                }

                if (email && angle)
                {
                    alias = $"Someone <{alias}>";
                }

                alias = prefix switch
                {
                    1 when email => "email:" + alias,
                    2 when email => "MAILTO:" + alias,
                    3 => "person:" + alias,
                    4 => "Person:" + alias,
                    _ => alias,
                };

                if (lookAlike && alias.StartsWith("person:", StringComparison.Ordinal))
                {
                    alias = "реrson:" + alias["person:".Length..]; // Cyrillic р and е in the prefix itself
                }

                return Spaces[random.Next(Spaces.Length)] + alias + (random.Next(2) == 0 ? "" : Spaces[random.Next(Spaces.Length)]);
            });

    /// <summary>A mapped person's name (or an unmapped identity) and another name of the same person to alias.</summary>
    private static readonly Gen<(string Party, string Approver)> SamePerson =
        Gen.OneOf(
            Gen.Int[0, Map.People.Count - 1].SelectMany(i =>
            {
                var names = Map.People[i].Names.Select(n => n == Map.People[i].Id ? "person:" + n : n).ToArray();
                return Gen.Select(Gen.Int[0, names.Length - 1], Gen.Int[0, names.Length - 1]).Select((a, b) => (names[a], names[b]));
            }),
            Gen.Int[0, Unmapped.Length - 1].Select(i => (Unmapped[i], Unmapped[i])));

    [Fact]
    public void Evaluate_AnyAliasOfRequesterAuthorOrPrincipal_IsNeverAccepted()
    {
        Assert.True(IdentityKey.LookAlikeCheckAvailable, "libicu must load on the test host");
        Gen.Select(Gen.Enum<Role>(), SamePerson)
            .SelectMany((role, pair) => AliasOf(pair.Approver).Select(alias => (role, pair.Party, alias)))
            .Sample((role, party, alias) =>
            {
                var outcome = Approve(Subject(role, party), alias);
                return !outcome.Accepted && outcome.Reason!.Contains(Expected(role), StringComparison.Ordinal);
            }, iter: 3000, print: t => $"{t.Item1} {t.Item2} approver '{Escape(t.Item3)}'");
    }

    [Fact]
    public void Evaluate_AnyAliasOfSomeoneWhoAlreadyDecided_IsCountedOnce()
    {
        SamePerson
            .SelectMany(pair => AliasOf(pair.Approver).Select(alias => (pair.Party, alias)))
            .Sample((party, alias) =>
            {
                var first = ApprovalDesk.ApproverFor(Map, party);
                var subject = Subject(Role.Requester, "github:frank-ci", [new PriorDecision(first.PersonId, Verdict.Approve, first.RawIdentity)]) with
                {
                    Requirement = new ApprovalRequirement(2, [], TimeSpan.FromHours(4)),
                };
                var outcome = Approve(subject, alias);
                return party == "github:frank-ci" || (!outcome.Accepted && outcome.Reason!.StartsWith("You have already decided", StringComparison.Ordinal));
            }, iter: 1000, print: t => $"{t.Item1} approver '{Escape(t.Item2)}'");
    }

    [Theory]
    [InlineData("zed@corp.com")]
    [InlineData("github:bob-example")]
    [InlineData("slack:U0EXAMPLEB")]
    [InlineData("ｂｏｂ@example.com")]
    public void Evaluate_IndependentPersonInAnySpelling_IsAccepted(string approver)
    {
        foreach (var role in Enum.GetValues<Role>())
        {
            foreach (var party in new[] { "dave@corp.com", "github:alice-example" })
            {
                var outcome = Approve(Subject(role, party), approver);
                Assert.True(outcome.Accepted, $"{role} {party}: {outcome.Reason}");
            }
        }
    }

    public static TheoryData<string> ReviewRepro() => new()
    {
        " dave@corp.com ", "dave@corp.com\t", "email:dave@corp.com", "person:dave@corp.com", "dave@corp.com.", "dаve@corp.com", "mailto:dave@corp.com",
    };

    [Theory]
    [MemberData(nameof(ReviewRepro))]
    public void Evaluate_ReviewF1UnmappedRequesterAlias_RefusedNamingTheRequester(string alias)
    {
        var outcome = Approve(Subject(Role.Requester, "dave@corp.com"), alias);

        Assert.False(outcome.Accepted);
        Assert.StartsWith("You requested this change", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("requester", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("'dave@corp.com'", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_LookAlikeOfAMappedRequestersEmail_RefusedAsLookAlike()
    {
        // The request names only alice's person id and login; the approver uses an unmapped look-alike of her e-mail.
        var outcome = Approve(Subject(Role.Requester, "github:alice-example"), "аlice@example.com");

        Assert.False(outcome.Accepted);
        Assert.Contains("looks like the requester", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("Unicode look-alike", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_CommitAuthorStoredAsRawEmailByARunner_RefusedForTheMappedOwner()
    {
        // A runner that did not resolve identities sends the commit author as a raw e-mail: it is one of bob's.
        var subject = Subject(Role.Requester, "github:carol-example") with { CommitAuthorPersonIds = ["email:Robert@Corp.Example"] };

        var outcome = Approve(subject, "slack:U0EXAMPLEB");

        Assert.False(outcome.Accepted);
        Assert.Contains("commit author: 'robert@corp.example'", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WithoutIcuNonAsciiApprover_RefusedAndSaysWhy()
    {
        var subject = Subject(Role.Requester, "dave@corp.com");
        var approver = new Approver("ｚｅｄ@corp.com", "ｚｅｄ@corp.com", new HashSet<string>());

        var outcome = ApprovalRules.Evaluate(subject, approver, Verdict.Approve, Reason, Plan, Now, new IdentityNormaliser(null));
        var withIcu = ApprovalRules.Evaluate(subject, approver, Verdict.Approve, Reason, Plan, Now, IdentityNormaliser.Default);

        Assert.False(outcome.Accepted);
        Assert.Contains("ICU could not be loaded on this host", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("'dave@corp.com'", outcome.Reason, StringComparison.Ordinal);
        Assert.True(withIcu.Accepted, withIcu.Reason); // zed is someone else: only the missing check refuses them
    }

    [Fact]
    public void Evaluate_EmptyIdentityAfterNormalising_Refused()
    {
        var outcome = Approve(Subject(Role.Requester, "dave@corp.com"), "\u200B\u00A0");

        Assert.False(outcome.Accepted);
        Assert.Contains("empty", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void IsEligible_LookAlikeOfAnEligiblePerson_IsNotEligible()
    {
        var lookAlike = ApprovalDesk.ApproverFor(Map, "person:аlice"); // Cyrillic а
        var real = ApprovalDesk.ApproverFor(Map, " Person:ALICE ");

        Assert.False(ApprovalRules.IsEligible(lookAlike, ["person:alice"]));
        Assert.False(ApprovalRules.IsEligible(lookAlike, ["group:sre-leads"]));
        Assert.True(ApprovalRules.IsEligible(real, ["person:alice"]));
        Assert.True(ApprovalRules.IsEligible(real, ["group:sre-leads"]));
    }

    private static string Escape(string s) =>
        string.Concat(s.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{((int)c).ToString("X4", CultureInfo.InvariantCulture)}"));
}
