using InfraGuard.Core.Changes;

namespace InfraGuard.Pulumi.Readers;

/// <summary>
/// Folds engine steps into logical changes. A pre-event starts a step and its outputs event (or
/// <c>resOpFailedEvent</c>) finishes it; the finished data wins. Steps of one resource with the same logical op
/// merge into one change (the replacement triple, repeated events), so nothing is counted twice. <c>same</c>
/// steps are only counted. Memory grows with the number of changes, not with the number of events.
/// </summary>
internal sealed class ChangeFolder
{
    private readonly Dictionary<(string Urn, ChangeOp Op), ChangeDraft> _drafts = [];
    private readonly List<ChangeDraft> _order = [];
    private readonly Dictionary<(string Urn, string Op), Pending> _pending = [];
    private readonly Dictionary<string, Pending> _pendingRefresh = new(StringComparer.Ordinal);

    /// <summary>Count of <c>same</c> steps so far.</summary>
    public int SameCount { get; private set; }

    /// <summary>True while a refresh pre-event waits for the outputs event that tells its real op.</summary>
    public bool HasPendingRefresh => _pendingRefresh.Count > 0;

    /// <summary>The drafts in plan order.</summary>
    public IReadOnlyList<ChangeDraft> Drafts => _order;

    /// <summary>The started step that an outputs or failure event for <paramref name="urn"/> and <paramref name="op"/> would finish.</summary>
    public PulumiStep? Started(string urn, string op) =>
        _pending.TryGetValue((urn, op), out var head) ? head.Step : null;

    /// <summary>A <c>resourcePreEvent</c>: the step starts.</summary>
    public void Started(PulumiStep step)
    {
        switch (step.Op)
        {
            case PulumiOps.Same:
                SameCount++;
                break;
            case PulumiOps.Refresh:
                Enqueue(_pendingRefresh, step.Urn, new Pending(null, step));
                break;
            default:
                var draft = DraftFor(step);
                draft.Add(step, finished: false);
                Enqueue(_pending, (step.Urn, step.Op), new Pending(draft, step));
                break;
        }
    }

    /// <summary>A <c>resOutputsEvent</c> (<paramref name="failed"/> false) or <c>resOpFailedEvent</c> (true).</summary>
    public void Finished(PulumiStep step, bool failed)
    {
        if (Dequeue(_pending, (step.Urn, step.Op)) is { Draft: { } draft } pending)
        {
            draft.Complete(pending.Step, step.FillFrom(pending.Step));
            draft.Failed |= failed;
            return;
        }

        var fromRefresh = Dequeue(_pendingRefresh, step.Urn);
        if (fromRefresh is not null)
        {
            step.FillFrom(fromRefresh.Step);
        }

        if (step.Op == PulumiOps.Same)
        {
            // A refresh that found no drift counts as same. Any other same outputs event repeats a counted step
            // (the root stack and components get a second one when they register outputs).
            SameCount += fromRefresh is null ? 0 : 1;
            return;
        }

        // The outputs of a refresh, or an outputs event whose pre-event is not in the log.
        var orphan = DraftFor(step);
        if (fromRefresh is not null)
        {
            orphan.AddEngineOp(PulumiOps.Refresh);
        }

        orphan.Add(step, finished: true);
        orphan.Failed |= failed;
    }

    /// <summary>A step from a document that has no outputs events (the preview digest).</summary>
    public void Planned(PulumiStep step)
    {
        if (step.Op == PulumiOps.Same)
        {
            SameCount++;
            return;
        }

        DraftFor(step).Add(step, finished: true);
    }

    /// <summary>Refresh pre-events still waiting at the end become changes of their own (op refresh).</summary>
    public void FlushPendingRefreshes()
    {
        foreach (var head in _pendingRefresh.Values)
        {
            for (var pending = head; pending is not null; pending = pending.Next)
            {
                DraftFor(pending.Step).Add(pending.Step, finished: false);
            }
        }

        _pendingRefresh.Clear();
    }

    /// <summary>The logical op of a step.</summary>
    public static ChangeOp Classify(PulumiStep step) => step.Op switch
    {
        PulumiOps.Create => ChangeOp.Create,
        PulumiOps.Update => ChangeOp.Update,
        PulumiOps.Delete when step.Old?.RetainOnDelete == true => ChangeOp.Forget,
        PulumiOps.Delete => ChangeOp.Delete,
        PulumiOps.Read => ChangeOp.Read,
        PulumiOps.Import => ChangeOp.Import,
        PulumiOps.Discard => ChangeOp.Forget,
        PulumiOps.Refresh => ChangeOp.Refresh,
        PulumiOps.Same => ChangeOp.Same,
        _ when PulumiOps.IsReplacementStep(step.Op) => ChangeOp.Replace,
        _ => ChangeOp.Unknown,
    };

    private static void Enqueue<TKey>(Dictionary<TKey, Pending> queue, TKey key, Pending pending)
        where TKey : notnull
    {
        if (!queue.TryGetValue(key, out var head))
        {
            queue[key] = pending;
            return;
        }

        while (head.Next is not null)
        {
            head = head.Next;
        }

        head.Next = pending;
    }

    private static Pending? Dequeue<TKey>(Dictionary<TKey, Pending> queue, TKey key)
        where TKey : notnull
    {
        if (!queue.Remove(key, out var head))
        {
            return null;
        }

        if (head.Next is not null)
        {
            queue[key] = head.Next;
        }

        return head;
    }

    private ChangeDraft DraftFor(PulumiStep step)
    {
        var op = Classify(step);
        if (!_drafts.TryGetValue((step.Urn, op), out var draft))
        {
            draft = new ChangeDraft(step.Urn, op);
            _drafts[(step.Urn, op)] = draft;
            _order.Add(draft);
        }

        return draft;
    }

    private sealed class Pending(ChangeDraft? draft, PulumiStep step)
    {
        public ChangeDraft? Draft { get; } = draft;

        public PulumiStep Step { get; } = step;

        public Pending? Next { get; set; }
    }
}

/// <summary>One logical change being assembled from one or more steps.</summary>
internal sealed class ChangeDraft(string urn, ChangeOp op)
{
    private readonly List<string> _engineOps = [];
    private int _bestRank = -1;

    public string Urn { get; } = urn;

    public ChangeOp Op { get; } = op;

    /// <summary>The step whose data describes the change best (the logical <c>replace</c> step for a replacement).</summary>
    public PulumiStep? Best { get; private set; }

    /// <summary>The engine's op names, in the order seen, joined with commas.</summary>
    public string EngineOp => string.Join(",", _engineOps);

    public bool Failed { get; set; }

    /// <summary>Steps that started but never got an outputs or failure event.</summary>
    public int Unfinished { get; private set; }

    /// <summary>For replacements: which half came first, if either was seen.</summary>
    public ReplaceOrder? Order { get; private set; }

    public void Add(PulumiStep step, bool finished)
    {
        AddEngineOp(step.Op);
        if (!finished)
        {
            Unfinished++;
        }

        if (Order is null && PulumiOps.IsCreateHalf(step.Op))
        {
            Order = ReplaceOrder.CreateBeforeDelete;
        }
        else if (Order is null && PulumiOps.IsDeleteHalf(step.Op))
        {
            Order = ReplaceOrder.DeleteBeforeCreate;
        }

        var rank = step.Op == PulumiOps.Replace ? 3 : PulumiOps.IsDeleteHalf(step.Op) ? 1 : 2;
        if (rank >= _bestRank)
        {
            Best = step;
            _bestRank = rank;
        }
    }

    /// <summary>The started step <paramref name="started"/> finished with <paramref name="finished"/> data.</summary>
    public void Complete(PulumiStep started, PulumiStep finished)
    {
        Unfinished--;
        if (ReferenceEquals(Best, started))
        {
            Best = finished;
        }
    }

    public void AddEngineOp(string engineOp)
    {
        if (!_engineOps.Contains(engineOp))
        {
            _engineOps.Add(engineOp);
        }
    }
}
