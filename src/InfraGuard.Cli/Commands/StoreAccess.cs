using System.CommandLine;
using InfraGuard.Core.Audit;
using InfraGuard.Store;

namespace InfraGuard.Cli.Commands;

/// <summary>Where the store and the audit signing key live, and how commands open them.</summary>
internal static class StoreAccess
{
    public const string DbVariable = "INFRAGUARD_DB";
    public const string KeyFileVariable = "INFRAGUARD_KEY_FILE";

    public static Option<string> DbOption() => new("--db")
    {
        Description = $"Store: a SQLite file or a postgres:// URL (default: ${DbVariable}, else .infraguard/infraguard.db)",
        HelpName = "DB",
    };

    public static Option<string> KeyOption() => new("--key")
    {
        Description = $"Audit signing key file (default: ${KeyFileVariable}, else ~/.config/infraguard/audit-key.pem; ${AuditKeyFile.EnvironmentVariable} may hold the key itself)",
        HelpName = "FILE",
    };

    public static string DbSpec(CliContext context, string? db) =>
        db ?? context.GetEnvironment(DbVariable) ?? Path.Combine(context.WorkingDirectory, ".infraguard", "infraguard.db");

    public static string KeyPath(CliContext context, string? key) =>
        context.Resolve(key ?? context.GetEnvironment(KeyFileVariable)
            ?? Path.Combine(context.GetEnvironment("XDG_CONFIG_HOME") ?? Path.Combine(context.GetEnvironment("HOME") ?? ".", ".config"), "infraguard", "audit-key.pem"));

    /// <summary>
    /// The audit signer: from <c>INFRAGUARD_AUDIT_KEY</c>, else the key file, which is created on first use (with a
    /// notice) so that a first `infraguard up` works without a setup step.
    /// </summary>
    public static Ed25519AuditSigner Signer(CliContext context, string? key) =>
        Load(context, KeyPath(context, key), context.GetEnvironment(AuditKeyFile.EnvironmentVariable), "audit signing key");

    /// <summary>
    /// The approval-token signer (CrossGuard tokens; a key of its own, never the audit key): from
    /// <c>INFRAGUARD_TOKEN_KEY</c>, else <c>$INFRAGUARD_TOKEN_KEY_FILE</c>, else <c>token-key.pem</c> beside the audit key.
    /// </summary>
    public static Ed25519AuditSigner TokenSigner(CliContext context, string? key) =>
        Load(context, TokenKeyPath(context, key), context.GetEnvironment(TokenKeyVariable), "approval-token key");

    public const string TokenKeyVariable = "INFRAGUARD_TOKEN_KEY";
    public const string TokenKeyFileVariable = "INFRAGUARD_TOKEN_KEY_FILE";

    public static string TokenKeyPath(CliContext context, string? key) =>
        context.Resolve(context.GetEnvironment(TokenKeyFileVariable) ?? Path.Combine(Path.GetDirectoryName(KeyPath(context, key))!, "token-key.pem"));

    private static Ed25519AuditSigner Load(CliContext context, string path, string? fromEnvironment, string what)
    {
        if (string.IsNullOrWhiteSpace(fromEnvironment) && !File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var created = AuditKeyFile.Create(path);
            context.Error.WriteLine($"Created {what} {created.KeyId} at {path} (mode 0600). Keep it outside the database; 'infraguard keys show' prints its public key.");
            return created;
        }

        try
        {
            return AuditKeyFile.Resolve(path, fromEnvironment);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            throw new BadInputException($"{path}: cannot use the {what}: {e.Message}");
        }
    }

    public static ChangeStore Open(CliContext context, string? db, string? key)
    {
        var spec = DbSpec(context, db);
        if (!Store.DbSpec.IsPostgres(spec))
        {
            var file = context.Resolve(spec.StartsWith("sqlite:", StringComparison.Ordinal) ? spec["sqlite:".Length..] : spec);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            spec = file;
        }

        return ChangeStore.Open(spec, context.Time, Signer(context, key), new ChangeStoreOptions { Waiting = context.Error.WriteLine });
    }
}
