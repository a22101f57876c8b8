using InfraGuard.Core.Requests;

namespace InfraGuard.Core.Tests.Requests;

public class RequestTransitionsTests
{
    public static TheoryData<RequestState, RequestState> Allowed => new()
    {
        { RequestState.Pending, RequestState.Approved },
        { RequestState.Pending, RequestState.Rejected },
        { RequestState.Pending, RequestState.Expired },
        { RequestState.Pending, RequestState.Superseded },
        { RequestState.Pending, RequestState.Cancelled },
        { RequestState.Approved, RequestState.Applying },
        { RequestState.Approved, RequestState.Expired },
        { RequestState.Approved, RequestState.Superseded },
        { RequestState.Approved, RequestState.Cancelled },
        { RequestState.Applying, RequestState.Applied },
        { RequestState.Applying, RequestState.Failed },
    };

    [Fact]
    public void Table_EveryPair_AllowsExactlyTheDocumentedTransitions()
    {
        var allowed = Allowed.Select(row => row.Data).ToHashSet();
        foreach (var from in Enum.GetValues<RequestState>())
        {
            foreach (var to in Enum.GetValues<RequestState>())
            {
                Assert.Equal(allowed.Contains((from, to)), RequestTransitions.IsAllowed(from, to));
            }
        }
    }

    [Theory]
    [InlineData(RequestState.Rejected)]
    [InlineData(RequestState.Applied)]
    [InlineData(RequestState.Failed)]
    public void Check_FromTerminalState_ExplainsItIsFinal(RequestState from)
    {
        var error = RequestTransitions.Check("cr_abc", from, RequestState.Approved);

        var illegal = Assert.IsType<IllegalTransition>(error);
        Assert.Contains("cannot become approved", illegal.Message, StringComparison.Ordinal);
        Assert.Contains("final", illegal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_PendingToApplying_IsIllegal() =>
        Assert.IsType<IllegalTransition>(RequestTransitions.Check("cr_abc", RequestState.Pending, RequestState.Applying));

    [Fact]
    public void New_ManyIds_AreWellFormedAndDistinct()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestId.New()).ToList();

        Assert.All(ids, id => Assert.True(RequestId.IsValid(id), id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.False(RequestId.IsValid("cr_ABCDEFGHJKMN"));
    }
}
