using System.Security.Claims;
using InfraGuard.Core.Actions;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Facts;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Runs;
using InfraGuard.Pulumi;
using InfraGuard.Server.Auth;
using InfraGuard.Store;
using InfraGuard.Terraform;

namespace InfraGuard.Server.Hosting;

/// <summary>The approval-token key (CrossGuard grants), separate from the audit key; null when none is configured.</summary>
internal sealed record ApprovalTokenKey(Ed25519AuditSigner? Signer) : IDisposable
{
    public void Dispose() => Signer?.Dispose();
}

/// <summary>
/// The server's <see cref="ChangeAuthority"/> for one caller: its own policy pack, store and token key, with the
/// submitter taken from the caller's verified credential only.
/// </summary>
internal sealed class Authorities(PolicyPack pack, ChangeStore store, TimeProvider time, ApprovalTokenKey tokenKey)
{
    private static readonly IEvidenceReader[] Readers = [new PulumiEvidence(), new TerraformEvidence()];

    public ChangeAuthority For(ClaimsPrincipal user) => new(pack, store, store, Readers, time, tokenKey.Signer, SubmitterOf(user), store);

    /// <summary>The action authority for one caller (<c>POST /api/v1/actions</c>, and a server-side gateway's tool calls).</summary>
    public ActionAuthority ActionsFor(ClaimsPrincipal user) => ActionsFor(SubmitterOf(user));

    /// <summary>The action authority for a submitter the server established itself (a gateway's authenticated agent).</summary>
    public ActionAuthority ActionsFor(Submitter submitter) => new(pack, store, store, time, submitter);

    /// <summary><c>exec --break-glass</c> for one caller: the person is the credential's, never one the body names.</summary>
    public BreakGlassAction BreakGlassActionsFor(ClaimsPrincipal user)
    {
        var submitter = SubmitterOf(user);
        return new(ActionsFor(submitter), pack, store, store, store, time, submitter);
    }

    /// <summary>Who submits, from the credential: a CI token's verified claims, or a static token's own identity.</summary>
    public static Submitter SubmitterOf(ClaimsPrincipal user) => new(
        ApiClaims.RequesterOf(user),
        ApiClaims.IdentityOf(user),
        ApiClaims.IsAttested(user),
        user.FindFirstValue(ApiClaims.Commit),
        user.FindFirstValue(ApiClaims.ActorKind) is { } kind && ActorKinds.TryParse(kind, out var parsed) ? parsed : null,
        user.FindFirstValue(ApiClaims.RunUrl));

    /// <summary>True when the credential may touch <paramref name="stack"/> (static tokens: any stack; CI trust rules: their stack globs).</summary>
    public static bool MayTouch(ClaimsPrincipal user, string stack)
    {
        var globs = ApiClaims.StacksOf(user);
        return globs.Count == 0 || globs.Any(g => Glob.Parse(g).IsMatch(stack));
    }

    /// <summary>Resolves the token key: inline, else the file, else <c>token-key.pem</c> beside the audit key file (created when missing).</summary>
    public static ApprovalTokenKey ResolveTokenKey(ServerOptions options, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.TokenKey) || !string.IsNullOrWhiteSpace(options.TokenKeyFile))
        {
            return new(AuditKeyFile.Resolve(options.TokenKeyFile ?? string.Empty, options.TokenKey));
        }

        if (string.IsNullOrWhiteSpace(options.KeyFile))
        {
            ServerLog.NoTokenKey(logger);
            return new(null);
        }

        var path = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.KeyFile))!, "token-key.pem");
        if (File.Exists(path))
        {
            return new(AuditKeyFile.Load(path));
        }

        var created = AuditKeyFile.Create(path);
        ServerLog.TokenKeyCreated(logger, created.KeyId, path);
        return new(created);
    }
}
