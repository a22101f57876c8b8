using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using InfraGuard.Cli.Rendering;
using InfraGuard.Core.Policy;
using InfraGuard.Core.Requests;
using Spectre.Console;

namespace InfraGuard.Cli.Commands;

/// <summary><c>infraguard requests list|show ID</c>.</summary>
internal static class RequestsCommand
{
    public static Command Build(CliContext context)
    {
        var db = StoreAccess.DbOption();
        var key = StoreAccess.KeyOption();
        var stack = new Option<string>("--stack", "-s") { Description = "Only this stack", HelpName = "NAME" };
        var state = new Option<string>("--state") { Description = "Only requests in this state (pending, approved, rejected, expired, superseded, cancelled, applying, applied, failed)" };
        var limit = new Option<int>("--limit") { Description = "At most this many", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List change requests, newest first.") { stack, state, limit, db, key };
        list.SetAction((parse, ct) => ListAsync(context, parse.GetValue(stack), parse.GetValue(state), parse.GetValue(limit), parse.GetValue(db), parse.GetValue(key), ct));

        var id = new Argument<string>("ID") { Description = "Change request id" };
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var show = new Command("show", "Show a change request: plan hash, findings, decisions, outcome.") { id, format, db, key };
        show.SetAction((parse, ct) => ShowAsync(context, parse.GetValue(id)!, parse.GetValue(format) == "json", parse.GetValue(db), parse.GetValue(key), ct));

        return new Command("requests", "List and inspect change requests.") { list, show };
    }

    private static async Task<int> ListAsync(CliContext context, string? stack, string? stateText, int limit, string? db, string? key, CancellationToken cancellationToken)
    {
        RequestState? state = null;
        if (stateText is not null)
        {
            state = Enum.TryParse<RequestState>(stateText, ignoreCase: true, out var s) && !int.TryParse(stateText, out _)
                ? s
                : throw new UsageException($"--state '{stateText}' is not a state; use one of {string.Join(", ", Enum.GetNames<RequestState>().Select(n => n.ToLowerInvariant()))}.");
        }

        using var store = StoreAccess.Open(context, db, key);
        var requests = await store.ListAsync(new RequestQuery(stack, state, limit), cancellationToken).ConfigureAwait(false);
        var table = new Table().AddColumns("Id", "Stack", "Tier", "Score", "State", "Requester", "Created", "Expires");
        foreach (var r in requests)
        {
            table.AddRow(
                new Text(r.Id), new Text(r.Stack), new Text(r.Tier), new Text(r.Score.ToString(CultureInfo.InvariantCulture)),
                new Text(r.State.ToString().ToLowerInvariant()), new Text(r.Requester.RawIdentity), new Text(Time(r.CreatedAt)), new Text(Time(r.ExpiresAt)));
        }

        Consoles.Create(context.Out, context.OutIsTerminal, context.OutColor).Write(table);
        return ExitCodes.Ok;
    }

    private static async Task<int> ShowAsync(CliContext context, string id, bool json, string? db, string? key, CancellationToken cancellationToken)
    {
        using var store = StoreAccess.Open(context, db, key);
        if (await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } r)
        {
            context.Error.WriteLine($"Error: {new RequestNotFound(id).Message}");
            return ExitCodes.BadInput;
        }

        var decisions = await store.GetDecisionsAsync(id, cancellationToken).ConfigureAwait(false);
        var outcome = await store.GetApplyOutcomeAsync(id, cancellationToken).ConfigureAwait(false);
        if (json)
        {
            context.Out.WriteLine(JsonSerializer.Serialize(new { request = r, decisions, outcome }, JsonOptions));
            return ExitCodes.Ok;
        }

        var w = context.Out;
        w.WriteLine($"{r.Id}  {r.State.ToString().ToLowerInvariant()}");
        if (r.Action is { } action)
        {
            w.WriteLine($"action     {action.Kind} on {action.Target ?? action.Program}{(action.DataClass is null ? "" : $" ({action.DataClass} data)")}, tier {r.Tier}, score {r.Score}, decision {CheckReport.DecisionName(r.Decision)}");
            w.WriteLine($"command    {action.Display()}");
            w.WriteLine($"summary    {RequestSummary.Sentence(r)}");
        }
        else
        {
            w.WriteLine($"stack      {r.Stack} ({r.Project}), tier {r.Tier}, score {r.Score}, decision {CheckReport.DecisionName(r.Decision)}");
            if (r.Kind == RequestKinds.InfraRefreshOnly)
            {
                w.WriteLine("run        refresh-only: accepts the drift into state; resources deleted outside the engine are dropped from state");
            }
        }

        w.WriteLine($"requester  {r.Requester.RawIdentity} ({r.Requester.PersonId}), actor {r.ActorKind.ToString().ToLowerInvariant()}{(r.OnBehalfOf is null ? "" : $", on behalf of {r.OnBehalfOf}")}");
        w.WriteLine($"authors    {(r.CommitAuthors.Count == 0 ? "(none known)" : string.Join(", ", r.CommitAuthors))}");
        w.WriteLine($"plan       {r.PlanHash}");
        w.WriteLine($"state      {r.StateFingerprint}");
        w.WriteLine($"policy     {r.PolicyPackHash}");
        w.WriteLine($"created    {Time(r.CreatedAt)}, expires {Time(r.ExpiresAt)}");
        w.WriteLine($"approvals  {r.RequiredApprovals.Count} from {(r.RequiredApprovals.From.Count == 0 ? "any independent person" : string.Join(", ", r.RequiredApprovals.From))}");
        if (r.CiRunUrl is not null)
        {
            w.WriteLine($"run        {r.CiRunUrl}");
        }

        w.WriteLine("findings");
        foreach (var f in r.Assessment.Findings)
        {
            w.WriteLine($"  {f.Points,5}  {f.RuleId,-22} {CheckText.ShortName(f.Address)}  {f.Reason}");
        }

        w.WriteLine("decisions");
        foreach (var d in decisions)
        {
            w.WriteLine($"  {Time(d.At)}  {d.Verdict.ToString().ToLowerInvariant(),-7} {d.Approver.PersonId} ({d.Approver.RawIdentity}) via {d.Channel.ToString().ToLowerInvariant()}: {d.Reason}");
        }

        if (outcome is not null)
        {
            w.WriteLine($"outcome    {(outcome.Succeeded ? "applied" : "failed")} (engine exit {outcome.ExitCode})");
        }

        return ExitCodes.Ok;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
