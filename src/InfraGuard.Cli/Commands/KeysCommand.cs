using System.CommandLine;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Store;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// <c>infraguard keys init|show|rotate</c>: the two Ed25519 keys, each with its own id: the audit key signs the log, the
/// approval-token key signs CrossGuard tokens. The CrossGuard pack trusts token keys only.
/// </summary>
internal static class KeysCommand
{
    public static Command Build(CliContext context)
    {
        var key = StoreAccess.KeyOption();
        var init = new Command("init", "Create the audit key and the approval-token key files (mode 0600) where missing. Never overwrites a key.") { key };
        init.SetAction(parse => Init(context, parse.GetValue(key)));

        var show = new Command("show", "Print both keys' ids and public keys: the audit key for auditors, the token key for the CrossGuard pack.") { key };
        show.SetAction(parse => Show(context, parse.GetValue(key)));

        var db = StoreAccess.DbOption();
        var reason = new Option<string>("--reason") { Description = "Why the key is rotated (stored in the audit log)", Required = true, HelpName = "TEXT" };
        var which = new Option<string>("--which") { Description = "Which key to rotate: audit, token or oidc", DefaultValueFactory = _ => "audit" };
        which.AcceptOnlyFromAmong("audit", "token", "oidc");
        var rotate = new Command("rotate", "Replace a key. Audit: the rotation is an audit entry signed by the old key. Token: the old key stays listed as previous until the next rotation. OIDC: the old key stays published until 'keys drop-retired'.") { reason, which, key, db };
        rotate.SetAction((parse, ct) => parse.GetValue(which) switch
        {
            "token" => RotateTokenKeyAsync(context, parse.GetValue(reason)!, parse.GetValue(key), parse.GetValue(db), ct),
            "oidc" => OidcKeysAsync(context, parse.GetValue(reason)!, parse.GetValue(key), parse.GetValue(db), drop: false, ct),
            _ => RotateAsync(context, parse.GetValue(reason)!, parse.GetValue(key), parse.GetValue(db), ct),
        });

        var dropReason = new Option<string>("--reason") { Description = "Why the retired keys are dropped (stored in the audit log)", Required = true, HelpName = "TEXT" };
        var drop = new Command("drop-retired", "Stop publishing the OIDC issuer's retired keys: ID tokens they signed are refused from then on.") { dropReason, key, db };
        drop.SetAction((parse, ct) => OidcKeysAsync(context, parse.GetValue(dropReason)!, parse.GetValue(key), parse.GetValue(db), drop: true, ct));

        return new Command("keys", "Manage the audit key, the approval-token key and the OIDC issuer's keys.") { init, show, rotate, drop };
    }

    private static int Init(CliContext context, string? key)
    {
        var created = 0;
        foreach (var (path, what) in new[] { (StoreAccess.KeyPath(context, key), "audit key"), (StoreAccess.TokenKeyPath(context, key), "approval-token key") })
        {
            if (File.Exists(path))
            {
                context.Error.WriteLine($"{what}: {path} exists; kept (use 'infraguard keys rotate' to replace it).");
                continue;
            }

            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var signer = AuditKeyFile.Create(path);
                context.Out.WriteLine(signer.KeyId);
                context.Error.WriteLine($"Created {what} {path}. Keep it outside the database and back it up; 'infraguard keys show' prints the public key.");
                created++;
            }
            catch (IOException e)
            {
                context.Error.WriteLine($"Error: {e.Message}");
                return ExitCodes.BadInput;
            }
        }

        return created > 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }

    private static int Show(CliContext context, string? key)
    {
        using var audit = StoreAccess.Signer(context, key);
        using var token = StoreAccess.TokenSigner(context, key);
        context.Out.WriteLine($"audit {audit.KeyId}");
        context.Out.Write(AuditKeys.PublicKeyPem(audit.PublicKey.Span));
        context.Out.WriteLine($"token {token.KeyId}");
        context.Out.Write(AuditKeys.PublicKeyPem(token.PublicKey.Span));
        var trusted = new List<Ed25519AuditSigner> { token };
        var previous = StoreAccess.TokenKeyPath(context, key) + ".previous";
        if (File.Exists(previous))
        {
            trusted.Add(AuditKeyFile.Load(previous));
        }

        context.Out.WriteLine("crossguard publicKeys: {" + string.Join(", ", trusted.Select(t => $"\"{t.KeyId}\": \"{Convert.ToBase64String(t.PublicKey.Span)}\"")) + "}");
        foreach (var t in trusted.Skip(1))
        {
            t.Dispose();
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// A new token key; the old one is kept as <c>.previous</c> and still listed for the CrossGuard pack until the next
    /// rotation, so runs holding a token of the old key finish. The rotation is recorded in the audit log.
    /// </summary>
    private static async Task<int> RotateTokenKeyAsync(CliContext context, string reason, string? key, string? db, CancellationToken cancellationToken)
    {
        var path = StoreAccess.TokenKeyPath(context, key);
        using var store = StoreAccess.Open(context, db, key);
        using var old = StoreAccess.TokenSigner(context, key);
        using var next = Ed25519AuditSigner.Generate();
        AuditKeyFile.Write(path + ".previous", old, overwrite: true);
        AuditKeyFile.Write(path, next, overwrite: true);
        var actor = new PersonRef(context.GetEnvironment("USER") ?? "unknown", "local:" + (context.GetEnvironment("USER") ?? "unknown"));
        await store.AppendAsync(RequestAuditEvents.TokenKeyRotated(old.KeyId, next, actor, reason, context.Time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        context.Out.WriteLine(next.KeyId);
        context.Error.WriteLine($"Rotated the approval-token key to {next.KeyId}; {old.KeyId} stays trusted as the previous key. Update the CrossGuard pack's publicKeys ('infraguard keys show') and restart the server.");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The OIDC issuer's key ring (<c>$INFRAGUARD_SERVER__OIDC__KEYFILE</c>, else <c>oidc-keys.json</c> beside the audit
    /// key): a new signing key with the old one still published, or the retired keys dropped. The server reads the file
    /// again on its next token; the change is recorded in the audit log.
    /// </summary>
    private static async Task<int> OidcKeysAsync(CliContext context, string reason, string? key, string? db, bool drop, CancellationToken cancellationToken)
    {
        var path = context.Resolve(context.GetEnvironment("INFRAGUARD_SERVER__OIDC__KEYFILE") ?? Path.Combine(Path.GetDirectoryName(StoreAccess.KeyPath(context, key))!, "oidc-keys.json"));
        using var store = StoreAccess.Open(context, db, key);
        var before = File.Exists(path) ? Server.Oidc.OidcKeyRing.Load(path).Keys.Select(k => k.KeyId).ToList() : [];
        IReadOnlyList<string> changed = drop ? Server.Oidc.OidcKeyRing.DropRetired(path) : [Server.Oidc.OidcKeyRing.Rotate(path, context.Time.GetUtcNow())];
        var actor = new PersonRef(context.GetEnvironment("USER") ?? "unknown", "local:" + (context.GetEnvironment("USER") ?? "unknown"));
        await store.AppendAsync(new AuditEvent(AuditEventTypes.OidcKeyChanged, context.Time.GetUtcNow(), null, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
        {
            ["change"] = drop ? "dropped-retired" : "rotated",
            ["key_ids"] = new System.Text.Json.Nodes.JsonArray([.. changed.Select(k => (System.Text.Json.Nodes.JsonNode?)k)]),
            ["previous_key_ids"] = new System.Text.Json.Nodes.JsonArray([.. before.Select(k => (System.Text.Json.Nodes.JsonNode?)k)]),
            ["actor"] = new System.Text.Json.Nodes.JsonObject { ["person"] = actor.PersonId, ["identity"] = actor.RawIdentity },
            ["reason"] = reason,
        }), cancellationToken).ConfigureAwait(false);
        foreach (var id in changed)
        {
            context.Out.WriteLine(id);
        }

        context.Error.WriteLine(drop
            ? $"Dropped {changed.Count} retired OIDC key(s) from {path}: tokens they signed are refused once relying parties refresh the JWKS."
            : $"Rotated the OIDC signing key to {changed[0]} in {path}; the previous key stays published until 'infraguard keys drop-retired'.");
        return ExitCodes.Ok;
    }

    private static async Task<int> RotateAsync(CliContext context, string reason, string? key, string? db, CancellationToken cancellationToken)
    {
        var path = StoreAccess.KeyPath(context, key);
        using var store = StoreAccess.Open(context, db, key);
        using var next = Ed25519AuditSigner.Generate();
        // Write the new key beside the old one first, so a failure after the database step cannot lose it.
        var staged = path + ".next";
        AuditKeyFile.Write(staged, next, overwrite: true);
        var actor = new PersonRef(context.GetEnvironment("USER") ?? "unknown", "local:" + (context.GetEnvironment("USER") ?? "unknown"));
        await store.RotateKeyAsync(next, actor, reason, cancellationToken).ConfigureAwait(false);
        File.Move(staged, path, overwrite: true);
        context.Out.WriteLine(next.KeyId);
        context.Error.WriteLine($"Rotated to {next.KeyId}; the rotation is in the audit log, signed by the previous key. Give auditors the new public key ('infraguard keys show').");
        return ExitCodes.Ok;
    }
}
