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
    /// The signer: from <c>INFRAGUARD_AUDIT_KEY</c>, else the key file, which is created on first use (with a notice)
    /// so that a first `infraguard up` works without a setup step.
    /// </summary>
    public static Ed25519AuditSigner Signer(CliContext context, string? key)
    {
        var path = KeyPath(context, key);
        var fromEnvironment = context.GetEnvironment(AuditKeyFile.EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(fromEnvironment) && !File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var created = AuditKeyFile.Create(path);
            context.Error.WriteLine($"Created audit signing key {created.KeyId} at {path} (mode 0600). Keep it outside the database; 'infraguard keys show' prints its public key.");
            return created;
        }

        try
        {
            return AuditKeyFile.Resolve(path, fromEnvironment);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            throw new BadInputException($"{path}: cannot use the audit signing key: {e.Message}");
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
