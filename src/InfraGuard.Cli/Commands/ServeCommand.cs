using System.CommandLine;
using System.Runtime;
using InfraGuard.Server;
using Microsoft.Extensions.Hosting;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// <c>infraguard serve</c>: the approval server (REST API v1) on the generic host. Settings come from flags, then
/// appsettings.json and <c>INFRAGUARD_SERVER__*</c> variables, then the same defaults as every other command
/// (<c>INFRAGUARD_DB</c>, the audit key file). Logs go to stderr. Stops on Ctrl-C / SIGTERM.
/// </summary>
internal static class ServeCommand
{
    public const string DefaultUrls = "http://127.0.0.1:8080";

    public static Command Build(CliContext context)
    {
        var urls = new Option<string>("--urls") { Description = $"Addresses to listen on, separated by ';' (default: {DefaultUrls})", HelpName = "URLS" };
        var publicUrl = new Option<string>("--public-url") { Description = "The URL people and runners use to reach the server (default: the first of --urls)", HelpName = "URL" };
        var policy = Options.Policy();
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var command = new Command("serve", "Run the approval server: REST API v1 for runners (up --server), approvers and auditors.")
        {
            urls, publicUrl, policy, db, key,
        };
        command.SetAction((parse, ct) => RunAsync(context, parse.GetValue(urls), parse.GetValue(publicUrl), parse.GetValue(policy), parse.GetValue(db), parse.GetValue(key), ct));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string? urls, string? publicUrl, string? policy, string? db, string? key, CancellationToken cancellationToken)
    {
        // Create both keys on first use, as every other command does, and check they can be read.
        using (StoreAccess.Signer(context, key))
        using (StoreAccess.TokenSigner(context, key))
        {
        }

        policy ??= context.GetEnvironment(Inputs.PolicyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;

        var spec = StoreAccess.DbSpec(context, db);
        var defaults = new Dictionary<string, string?>
        {
            ["Server:Db"] = Store.DbSpec.IsPostgres(spec) ? spec : context.Resolve(spec),
            ["Server:KeyFile"] = StoreAccess.KeyPath(context, key),
            ["Server:TokenKeyFile"] = StoreAccess.TokenKeyPath(context, key),
            ["Server:PublicBaseUrl"] = DefaultUrls,
            ["urls"] = DefaultUrls,
        };
        if (!Store.DbSpec.IsPostgres(spec))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(defaults["Server:Db"]!)!);
        }

        // Explicit flags win over configuration; everything else stays overridable by appsettings and variables.
        var args = new List<string>();
        if (urls is not null)
        {
            args.Add("--urls=" + urls);
        }

        if ((publicUrl ?? urls?.Split(';')[0]) is { } url)
        {
            args.Add("--Server:PublicBaseUrl=" + url);
        }

        if (db is not null)
        {
            args.Add("--Server:Db=" + defaults["Server:Db"]);
        }

        if (key is not null)
        {
            args.Add("--Server:KeyFile=" + defaults["Server:KeyFile"]);
        }

        if (policy is not null)
        {
            args.Add("--Server:PolicyDir=" + context.Resolve(policy));
        }

        // A long-running server wants short pauses (background gen2 collections), unlike the batch commands.
        GCSettings.LatencyMode = GCLatencyMode.Interactive;
        try
        {
            await using var app = ServerApp.Build([.. args], defaults);
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException e)
        {
            await context.Error.WriteLineAsync($"Error: the server's settings are not valid:\n  {string.Join("\n  ", e.Failures)}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
    }
}
