using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;

namespace InfraGuard.Store;

/// <summary>What an API token may do. A token carries one or more scopes and acts as one identity.</summary>
public static class ApiScopes
{
    /// <summary>A pipeline running <c>infraguard up --server</c>: creates requests, moves them along, reports outcomes. Never decides.</summary>
    public const string Runner = "runner";

    /// <summary>A person who approves or rejects (subject to the approval rules).</summary>
    public const string Approver = "approver";

    /// <summary>Reads and verifies the audit log.</summary>
    public const string Auditor = "auditor";

    /// <summary>Manages tokens and reads everything.</summary>
    public const string Admin = "admin";

    /// <summary>Every scope, in a fixed order.</summary>
    public static IReadOnlyList<string> All { get; } = [Runner, Approver, Auditor, Admin];

    /// <summary>True for a known scope name.</summary>
    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}

/// <summary>A stored API token (never the token itself: only its SHA-256 is kept).</summary>
/// <param name="Id">Public id, <c>tok_</c> + 12 base32 characters; shown in lists and audit entries.</param>
/// <param name="Name">A label chosen by whoever created it.</param>
/// <param name="Identity">The identity the token acts as, e.g. <c>github:alice</c> or <c>slack:U123</c>.</param>
/// <param name="Scopes">What it may do (<see cref="ApiScopes"/>).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">Who created it (raw identity).</param>
/// <param name="RevokedAt">When it was revoked, or null while active.</param>
public sealed record ApiToken(string Id, string Name, string Identity, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt)
{
    /// <summary>True until revoked.</summary>
    public bool IsActive => RevokedAt is null;
}

/// <summary>A freshly created token: the secret <see cref="Token"/> is returned exactly once and never stored.</summary>
public sealed record IssuedApiToken(ApiToken Info, string Token);

/// <summary>Audit events for API tokens: ids and identities (and scopes) only, never token material.</summary>
public static class ApiTokenAuditEvents
{
    /// <summary><c>token.created</c>.</summary>
    public const string Created = "token.created";

    /// <summary><c>token.revoked</c>.</summary>
    public const string Revoked = "token.revoked";
}

/// <summary>API tokens: create (shown once), find by presented token, list, revoke. Each change appends an audit entry in the same transaction.</summary>
public sealed partial class ChangeStore
{
    /// <summary>Prefix of every token, so leaked tokens are recognisable by secret scanners.</summary>
    public const string TokenPrefix = "igt_";

    /// <summary>Creates a token for <paramref name="identity"/> with <paramref name="scopes"/>; the returned secret is not stored.</summary>
    /// <exception cref="ArgumentException">No scope, an unknown scope, or an empty identity.</exception>
    public Task<IssuedApiToken> CreateTokenAsync(string identity, IReadOnlyCollection<string> scopes, string? name, PersonRef actor, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(identity);
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(actor);
        var unknown = scopes.Where(s => !ApiScopes.IsKnown(s)).ToList();
        if (scopes.Count == 0 || unknown.Count > 0)
        {
            throw new ArgumentException($"Unknown or missing scope{(unknown.Count == 1 ? string.Empty : "s")} '{string.Join(", ", unknown)}'; use one or more of: {string.Join(", ", ApiScopes.All)}.", nameof(scopes));
        }

        var ordered = ApiScopes.All.Where(scopes.Contains).ToList();
        var secret = TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var id = "tok_" + RequestId.New()[RequestId.Prefix.Length..];
        var at = Now();
        var info = new ApiToken(id, string.IsNullOrWhiteSpace(name) ? identity : name.Trim(), identity.Trim(), ordered, at, actor.RawIdentity, null);
        return WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO api_token (id, name, identity, scopes, token_sha256, created_at, created_by) VALUES (@id, @name, @identity, @scopes, @hash, @at, @by)",
                new { id, name = info.Name, identity = info.Identity, scopes = string.Join(' ', ordered), hash = HashToken(secret), at = Format(at), by = actor.RawIdentity },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            await AppendInTransactionAsync(c, tx, TokenEvent(ApiTokenAuditEvents.Created, info, actor, at), cancellationToken).ConfigureAwait(false);
            return new IssuedApiToken(info, secret);
        }, cancellationToken);
    }

    /// <summary>The token whose secret is <paramref name="presented"/> (active or revoked), or null.</summary>
    public async Task<ApiToken?> FindTokenAsync(string presented, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(presented) || !presented.StartsWith(TokenPrefix, StringComparison.Ordinal) || presented.Length > 200)
        {
            return null;
        }

        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await c.QueryFirstOrDefaultAsync<TokenRow>(new CommandDefinition(
            TokenRow.Select + " WHERE token_sha256 = @hash", new { hash = HashToken(presented) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row?.ToModel();
    }

    /// <summary>All tokens, newest first.</summary>
    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var c = await _dialect.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await c.QueryAsync<TokenRow>(new CommandDefinition(TokenRow.Select + " ORDER BY created_at DESC, id", cancellationToken: cancellationToken)).ConfigureAwait(false);
        return [.. rows.Select(r => r.ToModel())];
    }

    /// <summary>Revokes a token (idempotent: an already revoked token is returned unchanged, with no new entry); null when no token has this id.</summary>
    public Task<ApiToken?> RevokeTokenAsync(string id, PersonRef actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return WriteAsync<ApiToken?>(async (c, tx) =>
        {
            var row = await c.QueryFirstOrDefaultAsync<TokenRow>(new CommandDefinition(TokenRow.Select + " WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (row is null || row.RevokedAt is not null)
            {
                return row?.ToModel();
            }

            var at = Now();
            await c.ExecuteAsync(new CommandDefinition(
                "UPDATE api_token SET revoked_at = @at, revoked_by = @by WHERE id = @id AND revoked_at IS NULL",
                new { id, at = Format(at), by = actor.RawIdentity },
                tx,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var revoked = row.ToModel() with { RevokedAt = at };
            await AppendInTransactionAsync(c, tx, TokenEvent(ApiTokenAuditEvents.Revoked, revoked, actor, at), cancellationToken).ConfigureAwait(false);
            return revoked;
        }, cancellationToken);
    }

    /// <summary>Lower-case hex SHA-256 of the token's UTF-8 bytes: what is stored and looked up.</summary>
    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static AuditEvent TokenEvent(string type, ApiToken token, PersonRef actor, DateTimeOffset at) =>
        new(type, at, null, new Dictionary<string, JsonNode?>
        {
            ["token_id"] = token.Id,
            ["identity"] = token.Identity,
            ["scopes"] = new JsonArray([.. token.Scopes.Select(s => (JsonNode?)s)]),
            ["actor"] = new JsonObject { ["person"] = actor.PersonId, ["identity"] = actor.RawIdentity },
        });

    private sealed class TokenRow
    {
        public const string Select = "SELECT id, name, identity, scopes, created_at, created_by, revoked_at FROM api_token";

        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string Identity { get; set; } = "";
        public string Scopes { get; set; } = "";
        public string CreatedAt { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public string? RevokedAt { get; set; }

        public ApiToken ToModel() =>
            new(Id, Name, Identity, Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries), Parse(CreatedAt), CreatedBy, RevokedAt is null ? null : Parse(RevokedAt));
    }
}
