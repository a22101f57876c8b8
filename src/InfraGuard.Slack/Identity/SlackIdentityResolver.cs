using InfraGuard.Core.Approvals;
using InfraGuard.Core.Policy;
using InfraGuard.Slack.Web;

namespace InfraGuard.Slack.Identity;

/// <summary>Settings for <see cref="SlackIdentityResolver"/>.</summary>
public sealed record SlackIdentityOptions
{
    /// <summary>How long a <c>users.info</c> answer and a user group's member list are reused.</summary>
    public TimeSpan CacheFor { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Slack user group id (<c>S…</c>) → InfraGuard group name granted to its members (e.g. <c>S0614TZR7</c> → <c>sre-leads</c>).</summary>
    public IReadOnlyDictionary<string, string> UserGroups { get; init; } = new Dictionary<string, string>();
}

/// <summary>A Slack user resolved for an approval decision.</summary>
/// <param name="Approver">What Core's rules evaluate (guests, bots and deactivated users are flagged so Core refuses them).</param>
/// <param name="User">What Slack said about the user.</param>
/// <param name="InIdentityMap">True when the identity map knows the person (by chat id or e-mail).</param>
public sealed record SlackIdentity(Approver Approver, SlackUser User, bool InIdentityMap);

/// <summary>
/// Slack user id → <c>users.info</c> → person in the <see cref="IdentityMap"/> (by <c>slack:U…</c> first, then e-mail),
/// with groups from the map plus configured Slack user groups; an unmapped user is the person of their Slack e-mail. Answers are cached for <see cref="SlackIdentityOptions.CacheFor"/>.
/// It never decides eligibility: that is <see cref="ApprovalRules"/>' job.
/// </summary>
public sealed class SlackIdentityResolver
{
    private readonly ISlackDirectory _directory;
    private readonly IdentityMap _map;
    private readonly SlackIdentityOptions _options;
    private readonly TimeProvider _time;
    private readonly Cache<SlackUser> _users;
    private readonly Cache<IReadOnlySet<string>> _groups;

    /// <summary>Creates the resolver.</summary>
    public SlackIdentityResolver(ISlackDirectory directory, IdentityMap map, SlackIdentityOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _directory = directory;
        _map = map;
        _options = options;
        _time = time;
        _users = new Cache<SlackUser>(time, options.CacheFor);
        _groups = new Cache<IReadOnlySet<string>>(time, options.CacheFor);
    }

    /// <summary>Resolves the user who clicked. Slack errors (<c>user_not_found</c>, …) surface as <see cref="SlackApiException"/>.</summary>
    public async Task<SlackIdentity> ResolveAsync(string slackUserId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(slackUserId);
        var user = await _users.GetAsync(slackUserId, ct => _directory.GetUserAsync(slackUserId, ct), cancellationToken).ConfigureAwait(false);
        var raw = "slack:" + slackUserId;
        string[] verified = user.Email is { Length: > 0 } email ? ["email:" + email] : [];
        var person = _map.Resolve(raw) ?? verified.Select(_map.Resolve).FirstOrDefault(p => p is not null);

        var slackGroups = new List<string>();
        foreach (var (userGroupId, groupName) in _options.UserGroups)
        {
            var members = await _groups.GetAsync(userGroupId, async ct => (IReadOnlySet<string>)new HashSet<string>(await _directory.GetUserGroupMembersAsync(userGroupId, ct).ConfigureAwait(false), StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
            if (members.Contains(slackUserId))
            {
                slackGroups.Add(groupName);
            }
        }

        // Slack verified the profile's e-mail for this account: an unmapped user is that e-mail's person, so the
        // requester cannot approve as their own Slack account, and a person deciding by token and in Slack counts once.
        var approver = ApprovalDesk.ApproverFor(
            _map,
            raw,
            slackGroups,
            isBot: user.IsBot || user.IsAppUser,
            isGuest: user.IsRestricted || user.IsUltraRestricted || user.Deleted,
            verifiedAliases: verified);
        return new SlackIdentity(approver, user, person is not null);
    }

    /// <summary>A small expiring cache on <see cref="TimeProvider"/>; concurrent misses may both fetch (harmless).</summary>
    private sealed class Cache<T>(TimeProvider time, TimeSpan ttl)
    {
        private readonly Dictionary<string, (T Value, DateTimeOffset Until)> _entries = new(StringComparer.Ordinal);
        private readonly Lock _lock = new();

        public async Task<T> GetAsync(string key, Func<CancellationToken, Task<T>> fetch, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                if (_entries.TryGetValue(key, out var hit) && time.GetUtcNow() < hit.Until)
                {
                    return hit.Value;
                }
            }

            var value = await fetch(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                _entries[key] = (value, time.GetUtcNow() + ttl);
            }

            return value;
        }
    }
}
