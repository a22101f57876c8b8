using System.CommandLine;
using System.Text.Json;
using InfraGuard.Core.Requests;
using InfraGuard.Server.Api;
using InfraGuard.Store;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// <c>infraguard tokens create|list|revoke</c>: the approval server's bearer tokens, managed against the store. Only a
/// token's SHA-256 is stored; <c>create</c> prints the token once, on stdout.
/// </summary>
internal static class TokensCommand
{
    public static Command Build(CliContext context)
    {
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();

        var identity = new Option<string>("--identity") { Description = "Who the token acts as, e.g. github:alice, slack:U0123ABCD, ci:deploy-prod", Required = true, HelpName = "ID" };
        var scope = new Option<string[]>("--scope") { Description = $"What it may do (repeatable): {string.Join(", ", ApiScopes.All)}", Required = true, HelpName = "SCOPE", AllowMultipleArgumentsPerToken = true };
        scope.AcceptOnlyFromAmong([.. ApiScopes.All]);
        var name = new Option<string>("--name") { Description = "A label for lists (default: the identity)", HelpName = "NAME" };
        var create = new Command("create", "Create a token; it is printed once and cannot be shown again.") { identity, scope, name, db, key };
        create.SetAction((parse, ct) => CreateAsync(context, parse.GetValue(identity)!, parse.GetValue(scope)!, parse.GetValue(name), parse.GetValue(db), parse.GetValue(key), ct));

        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var list = new Command("list", "List tokens (ids, identities, scopes, created and revoked times; never the tokens).") { format, db, key };
        list.SetAction((parse, ct) => ListAsync(context, parse.GetValue(format) == "json", parse.GetValue(db), parse.GetValue(key), ct));

        var id = new Argument<string>("ID") { Description = "Token id (tok_…), from 'infraguard tokens list'" };
        var revoke = new Command("revoke", "Revoke a token; the server refuses it from then on.") { id, db, key };
        revoke.SetAction((parse, ct) => RevokeAsync(context, parse.GetValue(id)!, parse.GetValue(db), parse.GetValue(key), ct));

        return new Command("tokens", "Bearer tokens for the approval server's API (runner, approver, auditor, admin).") { create, list, revoke };
    }

    private static async Task<int> CreateAsync(CliContext context, string identity, string[] scopes, string? name, string? db, string? key, CancellationToken cancellationToken)
    {
        if (!identity.Contains(':', StringComparison.Ordinal))
        {
            throw new UsageException($"--identity '{identity}' must be written kind:id, e.g. github:alice or slack:U0123ABCD.");
        }

        using var store = StoreAccess.Open(context, db, key);
        var issued = await store.CreateTokenAsync(identity, scopes.Distinct(StringComparer.Ordinal).ToList(), name, Actor(context), cancellationToken).ConfigureAwait(false);
        context.Out.WriteLine(issued.Token);
        context.Error.WriteLine($"Created token {issued.Info.Id} for {issued.Info.Identity} with scope {string.Join(", ", issued.Info.Scopes)}. It is shown only now; store it as a secret (e.g. INFRAGUARD_TOKEN).");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(CliContext context, bool json, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        var tokens = await store.ListTokensAsync(cancellationToken).ConfigureAwait(false);
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(tokens.Select(TokenView.From).ToList(), ServerJson.Options));
            return ExitCodes.Ok;
        }

        foreach (var t in tokens)
        {
            var state = t.RevokedAt is { } r ? "revoked " + r.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "active";
            context.Out.WriteLine($"{t.Id}  {t.Identity,-28} {string.Join(',', t.Scopes),-24} {t.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}  {state}  {t.Name}");
        }

        if (tokens.Count == 0)
        {
            context.Error.WriteLine("No tokens yet. Create one with 'infraguard tokens create --identity ID --scope runner'.");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> RevokeAsync(CliContext context, string id, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        var revoked = await store.RevokeTokenAsync(id, Actor(context), cancellationToken).ConfigureAwait(false);
        if (revoked is null)
        {
            context.Error.WriteLine($"Error: token {id} does not exist; see 'infraguard tokens list'.");
            return ExitCodes.BadInput;
        }

        context.Out.WriteLine($"{revoked.Id} revoked");
        context.Error.WriteLine($"Token {revoked.Id} ({revoked.Identity}) is revoked as of {revoked.RevokedAt:u}.");
        return ExitCodes.Ok;
    }

    /// <summary>Who manages tokens on this machine: <c>INFRAGUARD_IDENTITY</c>, else the login (recorded in the audit entry).</summary>
    private static PersonRef Actor(CliContext context)
    {
        var raw = context.GetEnvironment(DecideCommand.IdentityVariable) is { Length: > 0 } i ? i : "local:" + (context.GetEnvironment("USER") ?? "unknown");
        return new PersonRef(raw, raw);
    }

}
