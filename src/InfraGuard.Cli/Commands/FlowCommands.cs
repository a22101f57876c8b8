using System.CommandLine;
using System.Globalization;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Audit;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// The approval flow over time against the store: <c>infraguard delegate</c> (grant, <c>list</c>, <c>revoke</c>) and
/// <c>infraguard reviews</c> (<c>overdue</c>, <c>record</c>). Who acts is the same identity <c>approve</c> uses
/// (<c>INFRAGUARD_IDENTITY</c>, else git's e-mail); a delegation is always the caller's own (admins grant for others
/// through the API).
/// </summary>
internal static class FlowCommands
{
    public static Command Delegate(CliContext context)
    {
        var to = new Option<string>("--to") { Description = "Who covers your approvals (e.g. bob, github:bob, bob@example.com)", HelpName = "PERSON" };
        var from = new Option<string>("--from") { Description = "Start: a date or time (2026-12-24, 2026-12-24T09:00Z); default: now", HelpName = "DATE" };
        var until = new Option<string>("--until") { Description = "End (exclusive): a date or time, or a duration from the start (7d)", HelpName = "DATE" };
        var reason = new Option<string>("--reason") { Description = "Why (leave, on-call swap); stored in the audit log", HelpName = "TEXT" };
        var policy = Options.Policy();
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var command = new Command("delegate", "Let another person approve what you could, for a while; they must still be independent of each change.")
        {
            to, from, until, reason, policy, db, key,
        };
        command.SetAction((parse, ct) => GrantAsync(context, parse.GetValue(to), parse.GetValue(from), parse.GetValue(until), parse.GetValue(reason), parse.GetValue(policy), parse.GetValue(db), parse.GetValue(key), ct));

        var listPolicy = Options.Policy();
        var listDb = StoreAccess.DbOption();
        var listKey = StoreAccess.KeyOption();
        var all = new Option<bool>("--all") { Description = "Every delegation, not only yours" };
        var list = new Command("list", "List delegations you granted or hold (one per line: id, state, delegator, delegate, from, until).") { all, listPolicy, listDb, listKey };
        list.SetAction((parse, ct) => ListAsync(context, parse.GetValue(all), parse.GetValue(listPolicy), parse.GetValue(listDb), parse.GetValue(listKey), ct));
        command.Add(list);

        var id = new Argument<string>("ID") { Description = "Delegation id (dl_…)" };
        var revokePolicy = Options.Policy();
        var revokeDb = StoreAccess.DbOption();
        var revokeKey = StoreAccess.KeyOption();
        var revoke = new Command("revoke", "Revoke a delegation you granted or hold.") { id, revokePolicy, revokeDb, revokeKey };
        revoke.SetAction((parse, ct) => RevokeAsync(context, parse.GetValue(id)!, parse.GetValue(revokePolicy), parse.GetValue(revokeDb), parse.GetValue(revokeKey), ct));
        command.Add(revoke);
        return command;
    }

    public static Command Reviews(CliContext context)
    {
        var command = new Command("reviews", "Retrospective reviews of break-glass changes.");
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var overdue = new Command("overdue", "List break-glass changes past their review window; exits 8 when there is any (for a compliance job).") { db, key };
        overdue.SetAction((parse, ct) => OverdueAsync(context, parse.GetValue(db), parse.GetValue(key), ct));
        command.Add(overdue);

        var id = new Argument<string>("ID") { Description = "The break-glass change request" };
        var reason = new Option<string>("--reason", "-m") { Description = "Your review (required; stored in the audit log)", Required = true, HelpName = "TEXT" };
        var reject = new Option<bool>("--reject") { Description = "Record that the change should not have been made" };
        var recordPolicy = Options.Policy();
        var recordDb = StoreAccess.DbOption();
        var recordKey = StoreAccess.KeyOption();
        var record = new Command("record", "Record your review of a break-glass change (you must be eligible and independent of it).") { id, reason, reject, recordPolicy, recordDb, recordKey };
        record.SetAction((parse, ct) => RecordAsync(context, parse.GetValue(id)!, parse.GetValue(reason)!, parse.GetValue(reject), parse.GetValue(recordPolicy), parse.GetValue(recordDb), parse.GetValue(recordKey), ct));
        command.Add(record);
        return command;
    }

    private static async Task<int> GrantAsync(CliContext context, string? to, string? from, string? until, string? reason, string? policyDir, string? db, string? key, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(to) || string.IsNullOrWhiteSpace(until))
        {
            throw new UsageException("delegate needs --to PERSON and --until DATE (or 'delegate list' / 'delegate revoke ID').");
        }

        var pack = Inputs.ReadPolicy(context, policyDir);
        var actor = ApprovalDesk.Resolve(pack.Identities, await DecideCommand.IdentityAsync(context, ct).ConfigureAwait(false));
        var now = context.Time.GetUtcNow();
        var start = from is null ? now : ParseTime("--from", from, now);
        var end = ParseTime("--until", until, start);
        var target = ApprovalDesk.Resolve(pack.Identities, to);
        if (DelegationRules.Problem(actor, target, start, end, actor, actorIsAdmin: false, now) is { } problem)
        {
            context.Error.WriteLine($"Refused ({problem.Rule}): {problem.Message}");
            return problem.Rule == "bad-window" ? ExitCodes.Usage : ExitCodes.Refused;
        }

        using var store = StoreAccess.Open(context, db, key);
        var granted = await store.GrantDelegationAsync(
            new Delegation("dl_" + RequestId.New()["cr_".Length..], actor, target, start, end, string.IsNullOrWhiteSpace(reason) ? null : reason.Trim(), actor, now), ct).ConfigureAwait(false);
        context.Out.WriteLine(granted.Id);
        context.Error.WriteLine($"{granted.Delegate.PersonId} may approve what {granted.Delegator.PersonId} could from {Stamp(granted.From)} until {Stamp(granted.Until)}, when independent of the change. Revoke with 'infraguard delegate revoke {granted.Id}'.");
        return ExitCodes.Ok;
    }

    private static async Task<int> ListAsync(CliContext context, bool all, string? policyDir, string? db, string? key, CancellationToken ct)
    {
        var pack = Inputs.ReadPolicy(context, policyDir);
        var me = all ? null : ApprovalDesk.Resolve(pack.Identities, await DecideCommand.IdentityAsync(context, ct).ConfigureAwait(false)).PersonId;
        using var store = StoreAccess.Open(context, db, key);
        var now = context.Time.GetUtcNow();
        foreach (var d in await store.ListDelegationsAsync(me, ct).ConfigureAwait(false))
        {
            var state = d.RevokedAt is not null ? "revoked" : d.ActiveAt(now) ? "active" : now < d.From ? "scheduled" : "expired";
            context.Out.WriteLine($"{d.Id}\t{state}\t{d.Delegator.PersonId}\t{d.Delegate.PersonId}\t{Stamp(d.From)}\t{Stamp(d.Until)}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> RevokeAsync(CliContext context, string id, string? policyDir, string? db, string? key, CancellationToken ct)
    {
        var pack = Inputs.ReadPolicy(context, policyDir);
        var actor = ApprovalDesk.Resolve(pack.Identities, await DecideCommand.IdentityAsync(context, ct).ConfigureAwait(false));
        using var store = StoreAccess.Open(context, db, key);
        if (await store.GetDelegationAsync(id, ct).ConfigureAwait(false) is not { } d)
        {
            context.Error.WriteLine($"Error: there is no delegation {id}; list them with 'infraguard delegate list'.");
            return ExitCodes.BadInput;
        }

        if (actor.PersonId != d.Delegator.PersonId && actor.PersonId != d.Delegate.PersonId)
        {
            context.Error.WriteLine($"Refused (not-delegator): only {d.Delegator.PersonId} or {d.Delegate.PersonId} (or an admin, through the API) may revoke {id}; you are {actor.PersonId}.");
            return ExitCodes.Refused;
        }

        if (await store.RevokeDelegationAsync(id, actor, ct).ConfigureAwait(false) is null)
        {
            context.Error.WriteLine($"Delegation {id} was already revoked.");
            return ExitCodes.Ok;
        }

        context.Out.WriteLine($"{id} revoked");
        return ExitCodes.Ok;
    }

    private static async Task<int> OverdueAsync(CliContext context, string? db, string? key, CancellationToken ct)
    {
        using var store = StoreAccess.Open(context, db, key);
        var now = context.Time.GetUtcNow();
        var overdue = (await store.ListOpenReviewsAsync(ct).ConfigureAwait(false)).Where(o => o.OverdueAt(now)).ToList();
        foreach (var o in overdue)
        {
            context.Out.WriteLine($"{o.Use.RequestId}\t{o.Use.Tier}\tdue {Stamp(o.Use.ReviewDueAt)}\t{o.Reviews}/{o.Use.ReviewersNeeded} reviews\tby {o.Use.Actor.PersonId}\tincident {o.Use.Incident}");
        }

        context.Error.WriteLine(overdue.Count == 0
            ? "No break-glass review is overdue."
            : $"{overdue.Count} break-glass review(s) overdue: each needs its tier's count of independent reviewers ('infraguard reviews record ID --reason TEXT').");
        return overdue.Count == 0 ? ExitCodes.Ok : ExitCodes.ReviewsOverdue;
    }

    private static async Task<int> RecordAsync(CliContext context, string id, string reason, bool reject, string? policyDir, string? db, string? key, CancellationToken ct)
    {
        var pack = Inputs.ReadPolicy(context, policyDir);
        var raw = await DecideCommand.IdentityAsync(context, ct).ConfigureAwait(false);
        using var store = StoreAccess.Open(context, db, key);
        var verdict = reject ? Verdict.Reject : Verdict.Approve;
        var outcome = await new ApprovalDesk(store, context.Time, null, store, pack.Identities)
            .ReviewAsync(new DecisionAttempt(id, ApprovalDesk.ApproverFor(pack.Identities, raw), DecisionChannel.Cli, verdict, reason), ct).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            context.Error.WriteLine($"Refused: {outcome.Refusal}");
            return error is RequestNotFound ? ExitCodes.BadInput : ExitCodes.Refused;
        }

        context.Out.WriteLine($"{id} reviewed");
        return ExitCodes.Ok;
    }

    /// <summary>A date (midnight UTC), a date and time, or a duration after <paramref name="start"/>.</summary>
    private static DateTimeOffset ParseTime(string option, string text, DateTimeOffset start) =>
        Duration.TryParse(text, out var span) ? start + span
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? at
        : throw new UsageException($"{option} '{text}' is neither a date (2026-12-24, 2026-12-24T09:00Z) nor a duration (7d, 12h).");

    private static string Stamp(DateTimeOffset at) => CanonicalJson.FormatTimestamp(at);
}
