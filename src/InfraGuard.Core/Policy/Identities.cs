namespace InfraGuard.Core.Policy;

/// <summary>What kind of account a person entry is. Only members can approve.</summary>
public enum IdentityKind
{
    /// <summary>A regular member of the organisation.</summary>
    Member,

    /// <summary>A guest or external collaborator: never an eligible approver.</summary>
    Guest,

    /// <summary>A bot or service account: never an eligible approver.</summary>
    Bot,
}

/// <summary>One person (or bot) and every name they appear under.</summary>
/// <param name="Id">Stable id used in <c>person:ID</c> references and in the audit log.</param>
/// <param name="DisplayName">Readable name.</param>
/// <param name="Logins">CI / VCS logins, prefixed with the system (<c>github:alice</c>, <c>gitlab:alice</c>).</param>
/// <param name="Emails">Commit and account e-mail addresses.</param>
/// <param name="ChatIds">Chat user ids, prefixed (<c>slack:U0123ABC</c>).</param>
/// <param name="Groups">Group names this person belongs to.</param>
/// <param name="Kind">Member, guest or bot.</param>
public sealed record Person(
    string Id,
    string DisplayName,
    IReadOnlyList<string> Logins,
    IReadOnlyList<string> Emails,
    IReadOnlyList<string> ChatIds,
    IReadOnlyList<string> Groups,
    IdentityKind Kind = IdentityKind.Member)
{
    /// <summary>Every name of this person: id, logins, e-mails and chat ids.</summary>
    public IEnumerable<string> Names => [Id, .. Logins, .. Emails, .. ChatIds];
}

/// <summary>A named group of people (<c>group:NAME</c> in approval rules).</summary>
/// <param name="Name">Group name.</param>
/// <param name="Description">What the group is for.</param>
public sealed record IdentityGroup(string Name, string Description);

/// <summary>
/// Maps the many names of a person (CI login, commit e-mail, Slack id, person id) to one <see cref="Person"/>.
/// Names are compared by their <see cref="IdentityKey"/> (case, whitespace, invisible characters, Unicode width and the
/// <c>email:</c>/<c>mailto:</c>/<c>person:</c> prefixes do not matter).
/// </summary>
public sealed record IdentityMap
{
    /// <summary>An empty map.</summary>
    public static IdentityMap Empty { get; } = new() { People = [], Groups = [] };

    /// <summary>People in file order.</summary>
    public required IReadOnlyList<Person> People { get; init; }

    /// <summary>Declared groups in file order.</summary>
    public required IReadOnlyList<IdentityGroup> Groups { get; init; }

    /// <summary>The person with this id (<c>alice</c> or <c>person:alice</c>), or null.</summary>
    public Person? FindById(string id)
    {
        var key = IdentityKey.Canonical(id);
        return key.Length == 0 ? null : People.FirstOrDefault(p => IdentityKey.Canonical(p.Id) == key);
    }

    /// <summary>
    /// The person known by <paramref name="name"/>: a login (<c>github:alice</c>), an e-mail (<c>alice@example.com</c>,
    /// <c>email:</c> or <c>mailto:</c> optional), a chat id (<c>slack:U0123</c>) or a person id (<c>alice</c>,
    /// <c>person:alice</c>), all by canonical key. Null when nobody matches. Look-alikes never match here: they may
    /// not borrow a person's eligibility (see <see cref="LookAlikesOf"/>).
    /// </summary>
    public Person? Resolve(string name)
    {
        var key = IdentityKey.Canonical(name);
        return key.Length == 0
            ? null
            : People.FirstOrDefault(p => p.Logins.Concat(p.Emails).Concat(p.ChatIds).Any(n => IdentityKey.Canonical(n) == key))
              ?? People.FirstOrDefault(p => IdentityKey.Canonical(p.Id) == key);
    }

    /// <summary>
    /// People one of whose names looks like <paramref name="name"/> without being it (UTS #39 skeletons, e.g. a Cyrillic
    /// <c>а</c> for a Latin <c>a</c>): for independence they count as the same person.
    /// </summary>
    public IReadOnlyList<Person> LookAlikesOf(string name) =>
        People.Where(p => p.Names.Any(n => IdentityKey.Compare(name, n) == IdentityLikeness.LookAlike)).ToList();

    /// <summary>Members of a group (<c>sre-leads</c> or <c>group:sre-leads</c>), in file order.</summary>
    public IReadOnlyList<Person> MembersOf(string group)
    {
        var g = group.StartsWith("group:", StringComparison.OrdinalIgnoreCase) ? group["group:".Length..] : group;
        return People.Where(p => p.Groups.Contains(g, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>True when <paramref name="person"/> is named by a principal (<c>group:x</c> or <c>person:y</c>).</summary>
    public static bool IsIn(Person person, string principal)
    {
        if (principal.StartsWith("group:", StringComparison.OrdinalIgnoreCase))
        {
            return person.Groups.Contains(principal["group:".Length..], StringComparer.OrdinalIgnoreCase);
        }

        if (principal.StartsWith("person:", StringComparison.OrdinalIgnoreCase))
        {
            return IdentityKey.Canonical(person.Id) == IdentityKey.Canonical(principal);
        }

        return false;
    }
}
