using System.CommandLine;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Requests;
using InfraGuard.Store;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard keys init|show|rotate</c>: the Ed25519 key that signs audit entries and approval tokens.</summary>
internal static class KeysCommand
{
    public static Command Build(CliContext context)
    {
        var key = StoreAccess.KeyOption();
        var init = new Command("init", "Create the signing key file (mode 0600). Refuses to overwrite an existing key.") { key };
        init.SetAction(parse => Init(context, parse.GetValue(key)));

        var show = new Command("show", "Print the key id and public key (PEM) to give auditors and the CrossGuard pack.") { key };
        show.SetAction(parse => Show(context, parse.GetValue(key)));

        var db = StoreAccess.DbOption();
        var reason = new Option<string>("--reason") { Description = "Why the key is rotated (stored in the audit log)", Required = true, HelpName = "TEXT" };
        var rotate = new Command("rotate", "Replace the key; the rotation is recorded as an audit entry signed by the old key.") { reason, key, db };
        rotate.SetAction((parse, ct) => RotateAsync(context, parse.GetValue(reason)!, parse.GetValue(key), parse.GetValue(db), ct));

        return new Command("keys", "Manage the audit signing key.") { init, show, rotate };
    }

    private static int Init(CliContext context, string? key)
    {
        var path = StoreAccess.KeyPath(context, key);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var signer = AuditKeyFile.Create(path);
            context.Out.WriteLine(signer.KeyId);
            context.Error.WriteLine($"Created {path}. Keep it outside the database and back it up; 'infraguard keys show' prints the public key.");
            return ExitCodes.Ok;
        }
        catch (IOException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
        }
    }

    private static int Show(CliContext context, string? key)
    {
        using var signer = StoreAccess.Signer(context, key);
        context.Out.WriteLine(signer.KeyId);
        context.Out.Write(AuditKeys.PublicKeyPem(signer.PublicKey.Span));
        context.Out.WriteLine($"crossguard publicKeys: {{\"{signer.KeyId}\": \"{Convert.ToBase64String(signer.PublicKey.Span)}\"}}");
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
