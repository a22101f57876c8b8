using System.CommandLine;
using InfraGuard.Core.Approvals;
using InfraGuard.Core.Requests;

namespace InfraGuard.Cli.Commands;

/// <summary>
/// <c>infraguard approve|reject ID --reason TEXT</c> against the local store. The decider's identity comes from
/// <c>INFRAGUARD_IDENTITY</c>, else <c>git config user.email</c>, else the login name; the same Core rules as every
/// other channel decide whether it counts.
/// </summary>
internal static class DecideCommand
{
    public const string IdentityVariable = "INFRAGUARD_IDENTITY";

    public static Command Build(CliContext context, Verdict verdict)
    {
        var id = new Argument<string>("ID") { Description = "Change request id (see 'infraguard requests list')" };
        var reason = new Option<string>("--reason", "-m") { Description = "Why (required; it is stored in the audit log)", Required = true, HelpName = "TEXT" };
        var plan = new Option<string>("--plan") { Description = "Only decide if the request is for this plan hash (as shown by 'requests show')", HelpName = "SHA256" };
        var policy = Options.Policy();
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var name = verdict == Verdict.Approve ? "approve" : "reject";
        var command = new Command(name, verdict == Verdict.Approve
            ? "Approve a pending change request (you must be eligible and independent of it)."
            : "Reject a pending change request; the waiting run stops with exit 4.")
        {
            id, reason, plan, policy, db, key,
        };
        command.SetAction((parse, ct) => DecideAsync(
            context, verdict, parse.GetValue(id)!, parse.GetValue(reason)!, parse.GetValue(plan), parse.GetValue(policy), parse.GetValue(db), parse.GetValue(key), ct));
        return command;
    }

    private static async Task<int> DecideAsync(CliContext context, Verdict verdict, string id, string reason, string? plan, string? policyDir, string? db, string? key, CancellationToken cancellationToken)
    {
        try
        {
            var pack = Inputs.ReadPolicy(context, policyDir);
            var raw = await IdentityAsync(context, cancellationToken).ConfigureAwait(false);
            var approver = ApprovalDesk.ApproverFor(pack.Identities, raw);
            using var store = StoreAccess.Open(context, db, key);
            var outcome = await new ApprovalDesk(store, context.Time, null, store, pack.Identities).DecideAsync(
                new DecisionAttempt(id, approver, DecisionChannel.Cli, verdict, reason, plan), cancellationToken).ConfigureAwait(false);
            if (outcome.Error is { } error)
            {
                context.Error.WriteLine($"Refused: {outcome.Refusal}");
                return error is RequestNotFound ? ExitCodes.BadInput : ExitCodes.Refused;
            }

            var request = outcome.Request!;
            context.Out.WriteLine($"{request.Id} {request.State.ToString().ToLowerInvariant()}");
            context.Error.WriteLine($"Recorded {(verdict == Verdict.Approve ? "approval" : "rejection")} of {request.Id} by {approver.PersonId} ({raw}); request is now {request.State.ToString().ToLowerInvariant()}.");
            return ExitCodes.Ok;
        }
        catch (BadInputException e)
        {
            context.Error.WriteLine($"Error: {e.Message}");
            return ExitCodes.BadInput;
        }
    }

    internal static async Task<string> IdentityAsync(CliContext context, CancellationToken cancellationToken)
    {
        if (context.GetEnvironment(IdentityVariable) is { Length: > 0 } explicitIdentity)
        {
            return explicitIdentity;
        }

        return await Git.UserEmailAsync(context.WorkingDirectory, cancellationToken).ConfigureAwait(false) is { } email
            ? "email:" + email
            : "local:" + (context.GetEnvironment("USER") ?? "unknown");
    }
}
