namespace InfraGuard.Slack.Web;

/// <summary>A posted or updated message: where, and its <c>ts</c> (the id for threads and updates).</summary>
public sealed record PostedMessage(string Channel, string Ts);

/// <summary>The parts of a Slack user InfraGuard needs (from <c>users.info</c>).</summary>
/// <param name="Id">Slack user id.</param>
/// <param name="TeamId">Home workspace.</param>
/// <param name="Name">Handle.</param>
/// <param name="RealName">Display name.</param>
/// <param name="Email"><c>profile.email</c>; null without the <c>users:read.email</c> scope.</param>
/// <param name="IsBot">A bot user.</param>
/// <param name="IsAppUser">An app user.</param>
/// <param name="IsRestricted">Multi-channel guest.</param>
/// <param name="IsUltraRestricted">Single-channel guest.</param>
/// <param name="Deleted">Deactivated.</param>
public sealed record SlackUser(
    string Id,
    string? TeamId,
    string? Name,
    string? RealName,
    string? Email,
    bool IsBot,
    bool IsAppUser,
    bool IsRestricted,
    bool IsUltraRestricted,
    bool Deleted);

/// <summary>The user and user-group look-ups the identity resolver needs; <see cref="SlackWebApi"/> implements it.</summary>
public interface ISlackDirectory
{
    /// <summary><c>users.info</c>.</summary>
    Task<SlackUser> GetUserAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary><c>usergroups.users.list</c>: member user ids of a user group (<c>S…</c>).</summary>
    Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken = default);
}
